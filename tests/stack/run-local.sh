#!/usr/bin/env bash
# The newcomer's path: a complete local ImageOperator in one command (`make run`), stopped with `make down`.
#
# Usage: run-local.sh [up|down|status]
#   up (default)  provisions the components if needed, then starts or reuses: a real kube-apiserver + etcd, a real
#                 S3 server (Ceph RGW) and the operator (a published build, as a background process; republished
#                 only when a file under operator/ or a build setting changed since the last publish). Installs the
#                 CRDs, the shape catalogue and the webhook configurations, makes a small bootable-looking disk on
#                 the spot (MBR + ext4, converted to QCOW2 with our own `image-operator convert`), uploads it,
#                 imports it, exports it to VMDK and .oci, waits, and prints what happened. Everything stays up.
#   down          stops everything `up` started (by the PIDs it recorded) and deletes the state in .run/.
#   status        says what is running.
#
# State lives in $RUN_DIR (default <repo>/.run): kubeconfig, s3.env (S3_ENDPOINT, S3_ACCESS_KEY, S3_SECRET_KEY,
# S3_BUCKET, S3_STORE), env (KUBECONFIG and the S3 variables), operator.log, operator.pid, the operator's config file and the sample disk.
# Environment: RUN_DIR, RUN_TIMEOUT (seconds to wait for each import/export, default 300),
#              ARTIFACTS (dotnet --artifacts-path of the published build, default $RUN_DIR/artifacts).
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"

ROOT=$(cd "$STACK_DIR/../.." && pwd)
RUN_DIR=${RUN_DIR:-$ROOT/.run}
ARTIFACTS=${ARTIFACTS:-$RUN_DIR/artifacts}
TIMEOUT=${RUN_TIMEOUT:-300}
OPERATOR_NS=image-operator-system
DEMO_NS=image-operator-demo
SOURCE_BUCKET=images
EXPORT_BUCKET=exports
LIBRARY_BUCKET=image-library
STORE=default
unset IMAGE_OPERATOR_OWNER_PID # the servers must outlive this script

# The API server's state sits in .run; Ceph's admin sockets need a short path (a Unix socket path has at most
# 107 bytes), so its state goes to /tmp when the checkout's path is long, and .run/s3.dir remembers where.
s3_state_dir() {
  if [ -f "$RUN_DIR/s3.dir" ]; then cat "$RUN_DIR/s3.dir"; return; fi
  local dir=$RUN_DIR/s3
  [ "${#dir}" -le 60 ] || dir=$(mktemp -d "${TMPDIR:-/tmp}/image-operator-run-s3.XXXXXX")
  echo "$dir" >"$RUN_DIR/s3.dir"
  echo "$dir"
}

# The operator's PID, if the process recorded in operator.pid still runs our published build.
operator_pid() {
  local pid
  pid=$(cat "$RUN_DIR/operator.pid" 2>/dev/null) || return 0
  if kill -0 "$pid" 2>/dev/null && tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF -- "$RUN_DIR/operator.yaml"; then
    echo "$pid"
  fi
}

stop_operator() {
  local pid
  pid=$(operator_pid)
  [ -n "$pid" ] || { rm -f "$RUN_DIR/operator.pid"; return 0; }
  log "stopping the operator ($pid)"
  kill -TERM "$pid" 2>/dev/null || true
  local deadline=$((SECONDS + 50)) # the operator drains in-flight transfers for up to 45 s
  while kill -0 "$pid" 2>/dev/null && [ "$SECONDS" -lt "$deadline" ]; do sleep 0.2; done
  kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null
  rm -f "$RUN_DIR/operator.pid"
}

down() {
  [ -d "$RUN_DIR" ] || { log "nothing to stop ($RUN_DIR does not exist)"; return 0; }
  stop_operator
  if [ -d "$RUN_DIR/apiserver" ]; then log "stopping the API server"; bash "$STACK_DIR/apiserver-down.sh" "$RUN_DIR/apiserver"; fi
  local s3
  s3=$(cat "$RUN_DIR/s3.dir" 2>/dev/null || true)
  if [ -n "$s3" ] && [ -d "$s3" ]; then log "stopping the S3 server"; bash "$STACK_DIR/s3-down.sh" "$s3"; fi
  # The published build is kept (under $ARTIFACTS) so that the next `make run` only rebuilds what changed.
  find "$RUN_DIR" -mindepth 1 -maxdepth 1 ! -name artifacts ! -name bin -exec rm -rf {} +
  log "stopped"
}

status() {
  local state=0
  if [ -f "$RUN_DIR/kubeconfig" ] && kubectl --kubeconfig "$RUN_DIR/kubeconfig" get --raw /readyz >/dev/null 2>&1; then
    echo "API server: up ($(awk '/server:/ { print $2 }' "$RUN_DIR/kubeconfig"))"
  else echo "API server: down"; state=1; fi
  # shellcheck source=/dev/null
  if [ -f "$RUN_DIR/s3.env" ] && (source "$RUN_DIR/s3.env" && curl -sf -o /dev/null --max-time 5 "$S3_ENDPOINT/"); then
    echo "S3 server:  up ($(grep -o 'http://[^ ]*' "$RUN_DIR/s3.env"))"
  else echo "S3 server:  down"; state=1; fi
  if [ -n "$(operator_pid)" ]; then echo "operator:   up (PID $(operator_pid), log $RUN_DIR/operator.log)"
  else echo "operator:   down"; state=1; fi
  return "$state"
}

# --- up ---------------------------------------------------------------------------------------------------------

k() { kubectl --kubeconfig "$RUN_DIR/kubeconfig" "$@"; }

# s3 <method> <path> [curl options...]: a SigV4-signed request to the S3 server (RGW needs the payload header).
s3() {
  local method=$1 path=$2; shift 2
  curl -sS --fail-with-body --aws-sigv4 "aws:amz:us-east-1:s3" --user "$S3_ACCESS_KEY:$S3_SECRET_KEY" \
    -H "x-amz-content-sha256: UNSIGNED-PAYLOAD" -X "$method" "$@" "$S3_ENDPOINT/$path"
}

start_servers() {
  log "API server (etcd + kube-apiserver)"
  bash "$STACK_DIR/apiserver-up.sh" "$RUN_DIR/apiserver" >/dev/null
  cp "$RUN_DIR/apiserver/kubeconfig" "$RUN_DIR/kubeconfig"
  chmod 600 "$RUN_DIR/kubeconfig"

  log "S3 server (Ceph RGW)"
  local s3 env
  s3=$(s3_state_dir)
  env=$(bash "$STACK_DIR/s3-up.sh" "$s3")
  eval "$env"
  {
    echo "$env" | grep -E '^export S3_(ENDPOINT|ACCESS_KEY|SECRET_KEY)='
    echo "export S3_BUCKET=$SOURCE_BUCKET"
    echo "export S3_STORE=$STORE"
  } >"$RUN_DIR/s3.env"
  # .run/env: everything at once (source it to use the stack from a shell).
  { echo "export KUBECONFIG=$RUN_DIR/kubeconfig"; cat "$RUN_DIR/s3.env"; } >"$RUN_DIR/env"
  chmod 600 "$RUN_DIR/s3.env" "$RUN_DIR/env"
  # shellcheck source=/dev/null
  source "$RUN_DIR/s3.env"
}

# A digest of everything the published binaries are built from: every file under operator/ (but bin/ and obj/), the
# central build settings and the SDK version. publish() skips `dotnet publish` when it matches the last publish's.
publish_inputs_digest() {
  (
    cd "$ROOT"
    find operator -type f -not -path '*/bin/*' -not -path '*/obj/*' -print0 | sort -z | xargs -0 sha256sum
    for file in Directory.Build.props Directory.Packages.props .editorconfig global.json nuget.config NuGet.config; do
      [ ! -f "$file" ] || sha256sum "$file"
    done
    dotnet --version
  ) | sha256sum | cut -d' ' -f1
}

publish() {
  local project digest stamp=$RUN_DIR/bin/publish.sha256
  digest=$(publish_inputs_digest)
  if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$digest" ] &&
    [ -x "$RUN_DIR/bin/ImageOperator/image-operator-manager" ] && [ -x "$RUN_DIR/bin/ImageOperator.Cli/image-operator" ]; then
    log "operator and CLI are up to date (sources unchanged since the last publish)"
    return 0
  fi
  log "publishing the operator and the CLI (dotnet publish -c Release; log: $RUN_DIR/publish.log)"
  rm -f "$stamp"
  for project in ImageOperator ImageOperator.Cli; do
    if ! dotnet publish "$ROOT/operator/$project" -c Release --artifacts-path "$ARTIFACTS" --nologo -v quiet \
      -o "$RUN_DIR/bin/$project" >>"$RUN_DIR/publish.log" 2>&1; then
      log_tail "$RUN_DIR/publish.log" 30
      die "dotnet publish operator/$project failed"
    fi
  done
  echo "$digest" >"$stamp"
}

install_api() {
  log "installing the CRDs and the shape catalogue"
  k apply -f "$ROOT/crds" >/dev/null
  k wait --for=condition=Established --timeout=60s -f "$ROOT/crds" >/dev/null
  k create namespace "$OPERATOR_NS" --dry-run=client -o yaml | k apply -f - >/dev/null
  k create namespace "$DEMO_NS" --dry-run=client -o yaml | k apply -f - >/dev/null
  k create secret generic s3-credentials -n "$OPERATOR_NS" \
    --from-literal=accessKey="$S3_ACCESS_KEY" --from-literal=secretKey="$S3_SECRET_KEY" --dry-run=client -o yaml |
    k apply -f - >/dev/null
}

# The webhook configurations of the kustomize layout (config/default: final names, as the chart has them), pointed
# at the local operator's HTTPS port instead of a Service (the API server runs outside any cluster network). The
# operator writes its CA into them when it starts.
install_webhooks() {
  local port=$1
  if [ ! -f "$ROOT/config/webhook/kustomization.yaml" ]; then
    log "warning: config/webhook has no kustomization.yaml; running without admission webhooks"
    return 0
  fi
  log "installing the webhook configurations (https://127.0.0.1:$port)"
  k kustomize "$ROOT/config/default" |
    k create --dry-run=client -o json -f - |
    python3 -c '
import json, sys
port = sys.argv[1]
text, decoder, position, items = sys.stdin.read(), json.JSONDecoder(), 0, []
while text[position:].strip():  # kubectl prints one JSON document per object
    doc, end = decoder.raw_decode(text, len(text) - len(text[position:].lstrip()))
    items.extend(doc["items"] if doc.get("kind") == "List" else [doc])
    position = end
keep = []
for item in items:
    if item["kind"] not in ("ValidatingWebhookConfiguration", "MutatingWebhookConfiguration"):
        continue
    for webhook in item.get("webhooks", []):
        service = webhook["clientConfig"].pop("service", None) or {}
        webhook["clientConfig"]["url"] = "https://127.0.0.1:%s%s" % (port, service.get("path", "/"))
    item["metadata"].pop("annotations", None)  # no cert-manager CA injection here: the operator patches caBundle
    keep.append(item)
json.dump({"apiVersion": "v1", "kind": "List", "items": keep}, sys.stdout)
' "$port" | k apply -f - >/dev/null
}

write_operator_config() {
  local metrics_port=$1 webhook_port=$2
  mkdir -p "$RUN_DIR/webhook-certs"
  cat >"$RUN_DIR/operator.yaml" <<YAML
# Written by tests/stack/run-local.sh: the operator of \`make run\`, outside any cluster.
ImageOperator:
  ObjectStores:
  - Name: $STORE
    Endpoint: $S3_ENDPOINT
    CredentialsSecret: {Namespace: $OPERATOR_NS, Name: s3-credentials}
    # Each namespace may use the operator's keys only under its own prefix of the demo's two buckets.
    Grants:
    - {Namespaces: ["*"], Buckets: [$SOURCE_BUCKET, $EXPORT_BUCKET], Prefix: "{namespace}/", Access: ReadWrite}
  Library: {Bucket: $LIBRARY_BUCKET}
  LeaderElection: {Enabled: true, Namespace: $OPERATOR_NS}
  MetricsPort: $metrics_port
  MetricsBindAddress: 127.0.0.1
  ProgressInterval: "00:00:01"
  Webhooks:
    Port: $webhook_port
    BindAddress: 127.0.0.1
    CertificateDirectory: $RUN_DIR/webhook-certs
    ServiceNamespace: $OPERATOR_NS
Logging:
  LogLevel: {Default: Information, Microsoft.AspNetCore: Warning}
YAML
}

start_operator() {
  local metrics_port webhook_port
  if [ -n "$(operator_pid)" ] && [ "$RUN_DIR/bin/ImageOperator/image-operator-manager" -ot "$RUN_DIR/operator.pid" ]; then
    log "operator already running (PID $(operator_pid))"
    install_webhooks "$(cat "$RUN_DIR/webhook.port")"
    return 0
  fi
  stop_operator
  metrics_port=$(free_port); webhook_port=$(free_port)
  write_operator_config "$metrics_port" "$webhook_port"
  echo "$webhook_port" >"$RUN_DIR/webhook.port"
  install_webhooks "$webhook_port"
  log "starting the operator (log: $RUN_DIR/operator.log)"
  setsid "$RUN_DIR/bin/ImageOperator/image-operator-manager" --config "$RUN_DIR/operator.yaml" \
    --kubeconfig "$RUN_DIR/kubeconfig" </dev/null >>"$RUN_DIR/operator.log" 2>&1 9>&- &
  echo $! >"$RUN_DIR/operator.pid"
  echo "$metrics_port" >"$RUN_DIR/metrics.port"
  local deadline=$((SECONDS + 60))
  until curl -sf -o /dev/null --max-time 2 "http://127.0.0.1:$metrics_port/readyz"; do
    if [ -z "$(operator_pid)" ] || [ "$SECONDS" -ge "$deadline" ]; then
      log_tail "$RUN_DIR/operator.log" 30
      die "the operator did not become ready (log: $RUN_DIR/operator.log)"
    fi
    sleep 0.5
  done
}

# Admission webhooks with failurePolicy Fail refuse everything until the operator has written its CA into them.
wait_for_ca_bundles() {
  local deadline=$((SECONDS + 30)) missing
  while :; do
    missing=$(k get validatingwebhookconfigurations,mutatingwebhookconfigurations -o json 2>/dev/null |
      python3 -c 'import json, sys; print(sum(1 for c in json.load(sys.stdin)["items"] for w in c.get("webhooks", []) if w["clientConfig"].get("url", "").startswith("https://127.0.0.1:") and not w["clientConfig"].get("caBundle")))')
    [ "$missing" = 0 ] && return 0
    [ "$SECONDS" -lt "$deadline" ] || { log "warning: $missing webhook(s) still have no caBundle"; return 0; }
    sleep 0.5
  done
}

# A disk that looks bootable: an MBR with one active Linux partition holding an ext4 filesystem with a few files
# (mkfs.ext4 -d fills it without mounting), converted to QCOW2 by our own engine.
make_sample_disk() {
  local dir=$RUN_DIR/sample
  [ -f "$dir/demo-disk.qcow2" ] && return 0
  log "making the sample disk (MBR + ext4, converted to QCOW2 with image-operator convert)"
  rm -rf "$dir"; mkdir -p "$dir/rootfs/etc" "$dir/rootfs/boot"
  echo "image-operator-demo" >"$dir/rootfs/etc/hostname"
  printf 'NAME="ImageOperator demo"\nVERSION_ID="22.04"\n' >"$dir/rootfs/etc/os-release"
  head -c 1048576 /dev/urandom >"$dir/rootfs/boot/payload.bin" # data the round trip must preserve
  truncate -s 64M "$dir/disk.raw"
  echo 'label: dos
start=2048, type=83, bootable' | sfdisk -q "$dir/disk.raw"
  truncate -s $((63 * 1024 * 1024)) "$dir/part.ext4"
  mkfs.ext4 -q -F -L demo-root -d "$dir/rootfs" "$dir/part.ext4"
  dd if="$dir/part.ext4" of="$dir/disk.raw" bs=1M seek=1 conv=notrunc,sparse status=none
  rm -rf "$dir/part.ext4" "$dir/rootfs"
  "$RUN_DIR/bin/ImageOperator.Cli/image-operator" convert -f raw -O qcow2 "$dir/disk.raw" "$dir/demo-disk.qcow2"
}

upload_sample() {
  local bucket
  for bucket in "$SOURCE_BUCKET" "$EXPORT_BUCKET"; do
    s3 PUT "$bucket" -o /dev/null 2>/dev/null || true # exists already on a warm run
  done
  log "uploading the sample disk to s3://$SOURCE_BUCKET/$DEMO_NS/demo-disk.qcow2"
  s3 PUT "$SOURCE_BUCKET/$DEMO_NS/demo-disk.qcow2" -T "$RUN_DIR/sample/demo-disk.qcow2" -o /dev/null
}

apply_demo() {
  log "applying the ImageImport and, once the image is Available, the ImageExports"
  k apply -n "$DEMO_NS" -f - >/dev/null <<YAML
apiVersion: imageoperator.io/v1alpha1
kind: ImageImport
metadata:
  name: demo-disk
spec:
  source:
    objectStore: {store: $STORE, bucket: $SOURCE_BUCKET, object: $DEMO_NS/demo-disk.qcow2}
  sourceImageType: QCOW2
  imageName: demo-disk
  displayName: ImageOperator demo disk
  operatingSystem: Ubuntu
  operatingSystemVersion: "22.04"
  launchMode: PARAVIRTUALIZED
  architecture: x86_64
  shapeCompatibilities:
  - shape: vm.standard2.1
  freeformTags: {source: make-run}
YAML
  wait_phase imageimport demo-disk || return 1
  k apply -n "$DEMO_NS" -f - >/dev/null <<YAML
apiVersion: imageoperator.io/v1alpha1
kind: ImageExport
metadata:
  name: demo-disk-vmdk
spec:
  imageName: demo-disk
  format: VMDK
  destination:
    objectStore: {store: $STORE, bucket: $EXPORT_BUCKET, object: $DEMO_NS/demo-disk.vmdk}
---
apiVersion: imageoperator.io/v1alpha1
kind: ImageExport
metadata:
  name: demo-disk-oci
spec:
  imageName: demo-disk
  format: OCI
  destination:
    objectStore: {store: $STORE, bucket: $EXPORT_BUCKET, object: $DEMO_NS/demo-disk.oci}
  preauthenticatedRequest: {enabled: true, expiresInSeconds: 3600, secretName: demo-disk-oci-par}
YAML
  local failed=0
  wait_phase imageexport demo-disk-vmdk || failed=1
  wait_phase imageexport demo-disk-oci || failed=1
  return "$failed"
}

# wait_phase <kind> <name>: waits for phase Succeeded; stops early on Failed, saying why, or when no controller
# has given the object any status within a minute.
wait_phase() {
  local kind=$1 name=$2 phase="" start=$SECONDS deadline=$((SECONDS + TIMEOUT))
  while [ "$SECONDS" -lt "$deadline" ]; do
    phase=$(k get "$kind" "$name" -n "$DEMO_NS" -o jsonpath='{.status.phase}' 2>/dev/null || true)
    if [ -z "$phase" ] && [ $((SECONDS - start)) -ge 60 ]; then
      log "$kind/$name has no status after 60 s: no controller handles it (see $RUN_DIR/operator.log)"
      return 1
    fi
    case $phase in
      Succeeded) log "$kind/$name: Succeeded"; return 0 ;;
      Failed)
        log "$kind/$name failed: $(k get "$kind" "$name" -n "$DEMO_NS" \
          -o jsonpath='{range .status.conditions[?(@.status=="False")]}{.reason}: {.message}{"\n"}{end}')"
        return 1 ;;
    esac
    sleep 1
  done
  log "$kind/$name did not finish within ${TIMEOUT}s (phase '${phase:-none}'); is its controller running? See $RUN_DIR/operator.log"
  return 1
}

show() {
  echo
  echo "\$ kubectl get vmimages -n $DEMO_NS"
  k get vmimages -n "$DEMO_NS" || true
  echo
  echo "Exported objects in s3://$EXPORT_BUCKET:"
  s3 GET "$EXPORT_BUCKET?list-type=2&prefix=$DEMO_NS%2F" |
    python3 -c '
import sys, xml.etree.ElementTree as ET
ns = {"s3": "http://s3.amazonaws.com/doc/2006-03-01/"}
for item in ET.parse(sys.stdin).getroot().findall("s3:Contents", ns):
    print("  %-40s %12s bytes" % (item.find("s3:Key", ns).text, item.find("s3:Size", ns).text))
' || true
}

up() {
  local started=$SECONDS
  mkdir -p "$RUN_DIR"
  bash "$STACK_DIR/provision.sh" >/dev/null
  start_servers
  publish
  install_api
  log "applying the shape catalogue"
  k apply -f "$ROOT/config/samples/shapes.yaml" >/dev/null
  start_operator
  wait_for_ca_bundles
  make_sample_disk
  upload_sample
  local demo=0
  apply_demo || demo=1
  show
  cat <<EOF

ImageOperator is running locally ($((SECONDS - started)) s).
  kubectl:   export KUBECONFIG=$RUN_DIR/kubeconfig; kubectl get vmimages -A
  S3:        source $RUN_DIR/s3.env   (S3_ENDPOINT, S3_ACCESS_KEY, S3_SECRET_KEY, S3_BUCKET, S3_STORE)
  both:      source $RUN_DIR/env
  operator:  log $RUN_DIR/operator.log, metrics http://127.0.0.1:$(cat "$RUN_DIR/metrics.port")/metrics
  stop:      make down
EOF
  [ "$demo" = 0 ] || die "the demo import/export did not complete (see above and $RUN_DIR/operator.log); the stack is left running"
}

case ${1:-up} in
  up) up ;;
  down) down ;;
  status) status ;;
  *) die "usage: $0 [up|down|status]" ;;
esac
