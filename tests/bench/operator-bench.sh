#!/usr/bin/env bash
# Operator benchmark (make bench-operator), against a real kube-apiserver and Ceph RGW started here:
#  1. BENCH_IMAGES (default 1000) small ImageImports applied at once: wall time until every CustomImage is
#     Available, and the operator's peak RSS (VmHWM);
#  2. a BENCH_GIB GiB virtual disk (default 16) holding BENCH_DATA_GIB GiB of data (default 2): import (QCOW2
#     source -> library QCOW2) and export (library -> QCOW2 destination) through the operator, each against a
#     plain S3 download + upload of the same source bytes with curl (the ratio goal is <= 1.3), and the
#     operator's peak RSS during them (goal < 512 MiB).
# BENCH_OPERATOR_DLL runs an already built image-operator-manager.dll instead of building one.
# Prints a summary at the end; everything is stopped and removed on exit.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
COUNT=${BENCH_IMAGES:-1000}
GIB=${BENCH_GIB:-16}
DATA_GIB=${BENCH_DATA_GIB:-2}
WORKERS=${BENCH_WORKERS:-8}
WORK=$(mktemp -d "${TMPDIR:-/tmp}/image-operator-bench.XXXXXX")
NS=bench
OPERATOR_PID=

log() { echo "[bench $(date +%T)] $*" >&2; }
cleanup() {
  if [ -n "$OPERATOR_PID" ] && kill -TERM "$OPERATOR_PID" 2>/dev/null; then
    wait "$OPERATOR_PID" 2>/dev/null || true
  fi
  bash "$ROOT/tests/stack/s3-down.sh" "$WORK/s3" >/dev/null 2>&1 || true
  bash "$ROOT/tests/stack/apiserver-down.sh" "$WORK/api" >/dev/null 2>&1 || true
  rm -rf "$WORK"
}
trap cleanup EXIT

log "starting kube-apiserver and Ceph RGW (memstore $((DATA_GIB * 4 + 2)) GiB)"
eval "$(bash "$ROOT/tests/stack/apiserver-up.sh" "$WORK/api")"
eval "$(S3_MEMSTORE_BYTES=$(((DATA_GIB * 4 + 2) << 30)) bash "$ROOT/tests/stack/s3-up.sh" "$WORK/s3")"
export KUBECONFIG
k() { kubectl --kubeconfig "$KUBECONFIG" "$@" 2>/dev/null; }
s3() { curl -sS -f --aws-sigv4 "aws:amz:us-east-1:s3" --user "$S3_ACCESS_KEY:$S3_SECRET_KEY" -H "x-amz-content-sha256: UNSIGNED-PAYLOAD" "$@"; }

k apply -f "$ROOT/crds/" >/dev/null
k wait --for=condition=Established --timeout=60s crd --all >/dev/null
k create namespace "$NS" >/dev/null
k -n "$NS" create secret generic s3-credentials --from-literal=accessKey="$S3_ACCESS_KEY" --from-literal=secretKey="$S3_SECRET_KEY" >/dev/null
for bucket in sources exports copies; do s3 -X PUT "$S3_ENDPOINT/$bucket" >/dev/null; done

if [ -n "${BENCH_OPERATOR_DLL:-}" ]; then
  DLL=$BENCH_OPERATOR_DLL
else
  log "building the operator (Release)"
  dotnet build "$ROOT/operator/ImageOperator/ImageOperator.csproj" -c Release --artifacts-path "$WORK/build" -v quiet -nologo >/dev/null
  DLL=$(find "$WORK/build/bin" -name image-operator-manager.dll | head -n 1)
fi
cat >"$WORK/operator.yaml" <<YAML
ImageOperator:
  WatchNamespace: $NS
  ObjectStores:
    - Name: default
      Endpoint: $S3_ENDPOINT
      CredentialsSecret: {Namespace: $NS, Name: s3-credentials}
      Grants: [{Namespaces: [$NS], Buckets: [sources, exports], Access: ReadWrite}]
  Library: {Bucket: library}
  LeaderElection: {Enabled: false}
  MetricsPort: 0
  Concurrency: {Imports: $WORKERS, Exports: 2, Images: $WORKERS}
  Webhooks: {Enabled: false}
Logging:
  LogLevel: {Default: Warning}
YAML
dotnet "$DLL" --kubeconfig "$KUBECONFIG" --config "$WORK/operator.yaml" >"$WORK/operator.log" 2>&1 &
OPERATOR_PID=$!

count_available() { k -n "$NS" get customimages -o jsonpath='{range .items[*]}{.status.lifecycleState}{"\n"}{end}' | grep -c '^Available$' || true; }
wait_phase() { # kind name phase-jsonpath wanted
  until [ "$(k -n "$NS" get "$1" "$2" -o jsonpath='{.status.phase}')" = "$3" ]; do
    if [ "$(k -n "$NS" get "$1" "$2" -o jsonpath='{.status.phase}')" = Failed ]; then k -n "$NS" get "$1" "$2" -o yaml >&2; exit 1; fi
    sleep 0.2
  done
}

# --- 1. many small imports ---
qemu-img create -q -f raw "$WORK/small.raw" 4M
qemu-io -f raw -c "write -P 0x33 0 1M" "$WORK/small.raw" >/dev/null
qemu-img convert -f raw -O qcow2 "$WORK/small.raw" "$WORK/small.qcow2"
s3 -T "$WORK/small.qcow2" "$S3_ENDPOINT/sources/small.qcow2" >/dev/null
for i in $(seq 1 "$COUNT"); do
  cat <<YAML
---
apiVersion: imageoperator.io/v1alpha1
kind: ImageImport
metadata: {name: imp-$i}
spec:
  imageName: img-$i
  operatingSystem: Oracle Linux
  operatingSystemVersion: "8.9"
  source: {objectStore: {bucket: sources, object: small.qcow2}}
YAML
done >"$WORK/imports.yaml"
log "applying $COUNT ImageImports"
start=$(date +%s.%N)
k -n "$NS" apply -f "$WORK/imports.yaml" >/dev/null
while [ "$(count_available)" -lt "$COUNT" ]; do sleep 1; done
small_seconds=$(echo "$(date +%s.%N) - $start" | bc)
peak_rss_kib=$(awk '/VmHWM/ {print $2}' "/proc/$OPERATOR_PID/status")
log "$COUNT images Available in $small_seconds s; operator peak RSS $((peak_rss_kib / 1024)) MiB"

# --- 2. one large image: operator import + export vs plain copy ---
log "making a $GIB GiB disk with $DATA_GIB GiB of data"
small_rss_kib=$(awk '/VmHWM/ {print $2}' "/proc/$OPERATOR_PID/status")
qemu-img create -q -f raw "$WORK/big.raw" "${GIB}G"
# Four data runs spread over the disk, holes between them.
step=$((GIB * 1024 / 4)) run=$((DATA_GIB * 1024 / 4))
for part in 0 1 2 3; do qemu-io -f raw -c "write -P 0x$((part + 1))7 $((part * step))M ${run}M" "$WORK/big.raw" >/dev/null; done
qemu-img convert -f raw -O qcow2 "$WORK/big.raw" "$WORK/big.qcow2"
rm -f "$WORK/big.raw"
bytes=$(stat -c %s "$WORK/big.qcow2")
s3 -T "$WORK/big.qcow2" "$S3_ENDPOINT/sources/big.qcow2" >/dev/null
rm -f "$WORK/big.qcow2"

start=$(date +%s.%N)
k -n "$NS" apply -f - >/dev/null <<YAML
apiVersion: imageoperator.io/v1alpha1
kind: ImageImport
metadata: {name: imp-big}
spec:
  imageName: big
  operatingSystem: Oracle Linux
  operatingSystemVersion: "8.9"
  source: {objectStore: {bucket: sources, object: big.qcow2}}
YAML
wait_phase imageimport imp-big Succeeded
import_seconds=$(echo "$(date +%s.%N) - $start" | bc)

start=$(date +%s.%N)
k -n "$NS" apply -f - >/dev/null <<YAML
apiVersion: imageoperator.io/v1alpha1
kind: ImageExport
metadata: {name: exp-big}
spec:
  imageName: big
  format: QCOW2
  destination: {objectStore: {bucket: exports, object: big.qcow2}}
YAML
wait_phase imageexport exp-big Succeeded
export_seconds=$(echo "$(date +%s.%N) - $start" | bc)

start=$(date +%s.%N)
s3 "$S3_ENDPOINT/sources/big.qcow2" -o "$WORK/plain.qcow2"
s3 -T "$WORK/plain.qcow2" "$S3_ENDPOINT/copies/big.qcow2" >/dev/null
plain_seconds=$(echo "$(date +%s.%N) - $start" | bc)
rm -f "$WORK/plain.qcow2"
peak_rss_kib=$(awk '/VmHWM/ {print $2}' "/proc/$OPERATOR_PID/status")
# Memory the operator keeps once the work is done: what a container limit has to leave room for between bursts.
sleep 15
idle_rss_kib=$(awk '/VmRSS/ {print $2}' "/proc/$OPERATOR_PID/status")
ratio() { echo "scale=2; $1 / $plain_seconds" | bc; }

mib=$(echo "scale=1; $bytes / 1048576" | bc)
cat <<REPORT

== bench-operator ($(nproc) cores) ==
$COUNT small imports (4 MiB disk, $WORKERS import workers): all Available in ${small_seconds}s, operator peak RSS $((small_rss_kib / 1024)) MiB
large image: ${GIB} GiB virtual, ${mib} MiB QCOW2 source
  plain S3 download + upload of the source bytes (curl):         ${plain_seconds}s
  operator import (read + inspect + convert + upload + verify):  ${import_seconds}s  ratio $(ratio "$import_seconds")
  operator export (read + convert + upload + verify + manifest): ${export_seconds}s  ratio $(ratio "$export_seconds")
operator peak RSS over the whole run: $((peak_rss_kib / 1024)) MiB; resident after 15 s idle: $((idle_rss_kib / 1024)) MiB
GC settings: DOTNET_gcServer=${DOTNET_gcServer:-unset (project)} DOTNET_GCConserveMemory=${DOTNET_GCConserveMemory:-unset (project)}
REPORT
