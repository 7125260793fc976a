#!/usr/bin/env bash
# End-to-end run in a real cluster (needs Docker, kind, kubectl and helm): creates a kind cluster, builds the
# operator's image (operator/Dockerfile) and loads it, installs MinIO (tests/e2e/minio.yaml), optionally
# cert-manager, then the chart with helm, and runs the integration test suite against that cluster and MinIO
# (through a port-forward) instead of the local API server and Ceph RGW.
#
# Usage: tests/e2e/kind.sh
# Environment: CLUSTER (kind cluster name, default image-operator-e2e), KEEP_CLUSTER=1 (leave it running),
#              CERT_MANAGER=1 (serve the webhooks with a cert-manager certificate instead of a generated one),
#              CERT_MANAGER_VERSION (default v1.16.2), E2E_FILTER (dotnet test --filter; default: the
#              distribution and controller tests), IMG (image name, default image-operator:e2e).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
CLUSTER=${CLUSTER:-image-operator-e2e}
IMG=${IMG:-image-operator:e2e}
NS=image-operator-system
# The installed operator watches only this namespace, so that the test suite's in-process operators (each
# watching a namespace of its own) never race it.
DEMO_NS=e2e-demo
WORK=$(mktemp -d "${TMPDIR:-/tmp}/image-operator-e2e.XXXXXX")
export KUBECONFIG=$WORK/kubeconfig
PORT_FORWARD_PID=""

log() { echo "[kind.sh $(date +%T)] $*" >&2; }
die() { log "error: $*"; exit 1; }

cleanup() {
  [ -z "$PORT_FORWARD_PID" ] || kill "$PORT_FORWARD_PID" 2>/dev/null || true
  if [ "${KEEP_CLUSTER:-0}" = 1 ]; then
    log "cluster $CLUSTER kept; kubeconfig: $KUBECONFIG"
  else
    kind delete cluster --name "$CLUSTER" >/dev/null 2>&1 || true
    rm -rf "$WORK"
  fi
}
trap cleanup EXIT

for tool in docker kind kubectl helm dotnet; do
  command -v "$tool" >/dev/null || die "$tool is required (this script needs a Docker engine; see README, 'End-to-end in kind')"
done
docker info >/dev/null 2>&1 || die "no Docker engine answers (docker info failed)"

if kind get clusters 2>/dev/null | grep -qx "$CLUSTER"; then
  log "reusing kind cluster $CLUSTER"
  kind export kubeconfig --name "$CLUSTER" --kubeconfig "$KUBECONFIG"
else
  log "creating kind cluster $CLUSTER"
  kind create cluster --name "$CLUSTER" --kubeconfig "$KUBECONFIG" --wait 120s
fi

log "building $IMG"
make -C "$ROOT" docker-build IMG="$IMG"
kind load docker-image "$IMG" --name "$CLUSTER"

log "installing MinIO"
kubectl apply -f "$ROOT/tests/e2e/minio.yaml"
kubectl -n minio rollout status deployment/minio --timeout=180s
S3_ACCESS_KEY=$(kubectl -n minio get secret minio-root -o jsonpath='{.data.MINIO_ROOT_USER}' | base64 -d)
S3_SECRET_KEY=$(kubectl -n minio get secret minio-root -o jsonpath='{.data.MINIO_ROOT_PASSWORD}' | base64 -d)

values=(--set "image.repository=${IMG%:*}" --set "image.tag=${IMG##*:}" --set image.pullPolicy=Never
  --set "objectStores[0].name=default" --set "objectStores[0].endpoint=http://minio.minio.svc:9000"
  --set "objectStores[0].credentialsSecret.name=image-operator-s3"
  --set "objectStores[0].grants[0].namespaces[0]=$DEMO_NS" --set "objectStores[0].grants[0].buckets[0]=e2e-sources"
  --set "objectStores[0].grants[0].access=Read"
  --set logFormat=simple --set "watchNamespace=$DEMO_NS")
if [ "${CERT_MANAGER:-0}" = 1 ]; then
  version=${CERT_MANAGER_VERSION:-v1.16.2}
  log "installing cert-manager $version"
  kubectl apply -f "https://github.com/cert-manager/cert-manager/releases/download/$version/cert-manager.yaml"
  kubectl -n cert-manager rollout status deployment/cert-manager-webhook --timeout=180s
  values+=(--set webhook.certificates.certManager.enabled=true)
fi
# Either way two replicas (the chart's default) serve the webhooks: without cert-manager they share the certificate
# the first one generates (Secret image-operator-webhook-generated-cert).

log "installing the chart"
kubectl create namespace "$NS" --dry-run=client -o yaml | kubectl apply -f -
kubectl -n "$NS" create secret generic image-operator-s3 \
  --from-literal=accessKey="$S3_ACCESS_KEY" --from-literal=secretKey="$S3_SECRET_KEY" --dry-run=client -o yaml | kubectl apply -f -
helm upgrade --install image-operator "$ROOT/charts/image-operator" -n "$NS" "${values[@]}" --wait --timeout 5m
kubectl apply -f "$ROOT/config/samples/shapes.yaml"

log "forwarding MinIO to the test process"
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
kubectl -n minio port-forward svc/minio "$port:9000" >"$WORK/port-forward.log" 2>&1 &
PORT_FORWARD_PID=$!
for _ in $(seq 50); do curl -sf -o /dev/null "http://127.0.0.1:$port/minio/health/ready" && break; sleep 0.2; done

log "smoke test: the installed operator imports a disk from MinIO"
s3() { curl -sS --fail-with-body --aws-sigv4 "aws:amz:us-east-1:s3" --user "$S3_ACCESS_KEY:$S3_SECRET_KEY" \
  -H "x-amz-content-sha256: UNSIGNED-PAYLOAD" "$@"; }
truncate -s 16M "$WORK/disk.raw"
printf 'image-operator e2e' | dd of="$WORK/disk.raw" bs=1 seek=1048576 conv=notrunc status=none
dotnet run --project "$ROOT/operator/ImageOperator.Cli" -c Release -- convert -f raw -O qcow2 "$WORK/disk.raw" "$WORK/disk.qcow2"
s3 -X PUT "http://127.0.0.1:$port/e2e-sources" -o /dev/null || true
s3 -T "$WORK/disk.qcow2" "http://127.0.0.1:$port/e2e-sources/disk.qcow2" -o /dev/null
kubectl create namespace "$DEMO_NS" --dry-run=client -o yaml | kubectl apply -f -
kubectl -n "$DEMO_NS" apply -f - <<YAML
apiVersion: imageoperator.io/v1alpha1
kind: ImageImport
metadata: {name: e2e-disk}
spec:
  source: {objectStore: {bucket: e2e-sources, object: disk.qcow2}}
  sourceImageType: QCOW2
  imageName: e2e-disk
  operatingSystem: Ubuntu
  operatingSystemVersion: "22.04"
  launchMode: PARAVIRTUALIZED
  architecture: x86_64
YAML
kubectl -n "$DEMO_NS" wait --for=jsonpath='{.status.phase}'=Succeeded imageimport/e2e-disk --timeout=300s ||
  { kubectl -n "$DEMO_NS" get imageimport e2e-disk -o yaml; kubectl -n "$NS" logs deploy/image-operator --tail=50; die "the smoke import failed"; }
kubectl -n "$DEMO_NS" get vmimages

log "running the test suite against the cluster"
IMAGE_OPERATOR_TEST_KUBECONFIG=$KUBECONFIG \
IMAGE_OPERATOR_TEST_S3_ENDPOINT=http://127.0.0.1:$port \
IMAGE_OPERATOR_TEST_S3_ACCESS_KEY=$S3_ACCESS_KEY \
IMAGE_OPERATOR_TEST_S3_SECRET_KEY=$S3_SECRET_KEY \
  dotnet test "$ROOT/tests/ImageOperator.IntegrationTests" \
    --filter "${E2E_FILTER:-FullyQualifiedName~Distribution|FullyQualifiedName~Controllers}" --logger "console;verbosity=normal"
log "end-to-end run passed"
