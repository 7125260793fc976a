#!/usr/bin/env bash
# The local stack behind `make run`: a Kubernetes API server (etcd + kube-apiserver), an S3 server (Ceph RGW) and
# the CRDs from crds/, all on 127.0.0.1, with state and logs in .run/. Writes .run/env (source it to use the
# stack: KUBECONFIG, S3_ENDPOINT, S3_ACCESS_KEY, S3_SECRET_KEY). Idempotent; stop with stack-down.sh.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"
ROOT=$(cd "$STACK_DIR/../.." && pwd)
RUN=$ROOT/.run
mkdir -p "$RUN"

bash "$STACK_DIR/provision.sh" >/dev/null
bash "$STACK_DIR/apiserver-up.sh" "$RUN/apiserver" >"$RUN/apiserver.env"
bash "$STACK_DIR/s3-up.sh" "$RUN/s3" >"$RUN/s3.env"
cat "$RUN/apiserver.env" "$RUN/s3.env" >"$RUN/env"
chmod 600 "$RUN/env"
# shellcheck source=/dev/null
source "$RUN/env"

kubectl apply -f "$ROOT/crds" -o name >/dev/null
kubectl wait --for=condition=Established --timeout=60s -f "$ROOT/crds" >/dev/null
log "CRDs installed: $(kubectl get crd -o name | grep -c 'imageoperator.io')"
cat >&2 <<MSG
Local stack is up. Use it with:
  source $RUN/env
  kubectl get customimages -A
Stop it with: make down
MSG
