#!/usr/bin/env bash
# Starts a real Kubernetes control plane (etcd + kube-apiserver) on free 127.0.0.1 ports.
#
# Usage: apiserver-up.sh [STATE_DIR]    (default: a new folder under ${TMPDIR:-/tmp})
# Prints shell exports on stdout (also written to STATE_DIR/env): KUBECONFIG, IMAGE_OPERATOR_APISERVER_URL,
# IMAGE_OPERATOR_STACK_APISERVER_DIR. Stop with apiserver-down.sh STATE_DIR. Running it again on a healthy
# STATE_DIR just prints the exports again.
#
# Binaries: $KUBEBUILDER_ASSETS/{kube-apiserver,etcd} when set (official envtest binaries), otherwise the ones
# tests/stack/provision.sh installs and builds (it is run here when they are missing).
# Authentication: a token (user "admin", group system:masters) in STATE_DIR/token; TLS with a CA made here.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"

STATE=${1:-$(mktemp -d "${TMPDIR:-/tmp}/image-operator-apiserver.XXXXXX")}
mkdir -p "$STATE"
STATE=$(cd "$STATE" && pwd)

readyz() { curl -sf --max-time 5 --cacert "$STATE/pki/ca.crt" -H "Authorization: Bearer $(cat "$STATE/token")" "$1/readyz"; }

if [ -f "$STATE/env" ] && [ -n "$(pid_of kube-apiserver)" ]; then
  # shellcheck source=/dev/null
  url=$(source "$STATE/env" && echo "$IMAGE_OPERATOR_APISERVER_URL")
  if readyz "$url" >/dev/null 2>&1; then cat "$STATE/env"; exit 0; fi
fi
stop_daemons
rm -rf "${STATE:?}/etcd" "$STATE/env"

if [ -n "${KUBEBUILDER_ASSETS:-}" ]; then
  BIN=$KUBEBUILDER_ASSETS
else
  BIN=$APISERVER_CACHE_BIN
  if [ ! -x "$BIN/kube-apiserver" ] || [ ! -x "$BIN/etcd" ]; then provision; fi
fi
for b in kube-apiserver etcd; do [ -x "$BIN/$b" ] || die "$BIN/$b is missing (KUBEBUILDER_ASSETS=${KUBEBUILDER_ASSETS:-})"; done
command -v openssl curl >/dev/null || provision

# --- credentials: a CA, a serving certificate for 127.0.0.1/localhost, the service-account key pair, a token ---
PKI=$STATE/pki
if [ ! -f "$PKI/serving.crt" ]; then
  mkdir -p "$PKI"
  (
    cd "$PKI"
    openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj "/CN=image-operator-test-ca" \
      -keyout ca.key -out ca.crt 2>/dev/null
    openssl req -newkey rsa:2048 -nodes -subj "/CN=kube-apiserver" -keyout serving.key -out serving.csr 2>/dev/null
    printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n' >serving.ext
    openssl x509 -req -in serving.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 3650 \
      -extfile serving.ext -out serving.crt 2>/dev/null
    openssl genrsa -out sa.key 2048 2>/dev/null
    openssl rsa -in sa.key -pubout -out sa.pub 2>/dev/null
  )
  head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$STATE/token"
  printf '%s,admin,admin,"system:masters"\n' "$(cat "$STATE/token")" >"$PKI/tokens.csv"
  chmod 600 "$PKI"/*.key "$PKI/tokens.csv" "$STATE/token"
fi

start_control_plane() {
  ETCD_PORT=$(free_port); ETCD_PEER_PORT=$(free_port); API_PORT=$(free_port)
  URL=https://127.0.0.1:$API_PORT
  start_daemon etcd "$STATE/etcd.log" "$BIN/etcd" --name default --data-dir "$STATE/etcd" \
    --listen-client-urls "http://127.0.0.1:$ETCD_PORT" --advertise-client-urls "http://127.0.0.1:$ETCD_PORT" \
    --listen-peer-urls "http://127.0.0.1:$ETCD_PEER_PORT" --initial-advertise-peer-urls "http://127.0.0.1:$ETCD_PEER_PORT" \
    --initial-cluster "default=http://127.0.0.1:$ETCD_PEER_PORT" --logger=zap --log-level=warn
  wait_daemon etcd 30 "$STATE/etcd.log" curl -sf --max-time 2 "http://127.0.0.1:$ETCD_PORT/health" || return 1
  start_daemon kube-apiserver "$STATE/kube-apiserver.log" "$BIN/kube-apiserver" \
    --etcd-servers="http://127.0.0.1:$ETCD_PORT" --bind-address=127.0.0.1 --advertise-address=127.0.0.1 \
    --secure-port="$API_PORT" --cert-dir="$PKI" --tls-cert-file="$PKI/serving.crt" --tls-private-key-file="$PKI/serving.key" \
    --token-auth-file="$PKI/tokens.csv" --authorization-mode=RBAC \
    --service-account-issuer=https://kubernetes.default.svc --service-account-key-file="$PKI/sa.pub" \
    --service-account-signing-key-file="$PKI/sa.key" --service-cluster-ip-range=10.0.0.0/24 --profiling=false
  wait_daemon kube-apiserver 180 "$STATE/kube-apiserver.log" readyz "$URL"
}

# A port picked as free can be taken before the daemon binds it; a failed start is retried on new ports.
for attempt in 1 2 3; do
  start_control_plane && break
  stop_daemons
  rm -rf "${STATE:?}/etcd"
  [ "$attempt" -lt 3 ] || die "the control plane did not start (logs in $STATE)"
  log "retrying on other ports"
done

cat >"$STATE/kubeconfig" <<KUBECONFIG
apiVersion: v1
kind: Config
clusters:
- name: image-operator-test
  cluster:
    server: $URL
    certificate-authority-data: $(base64 -w0 "$PKI/ca.crt")
users:
- name: admin
  user:
    token: $(cat "$STATE/token")
contexts:
- name: image-operator-test
  context:
    cluster: image-operator-test
    user: admin
current-context: image-operator-test
KUBECONFIG
chmod 600 "$STATE/kubeconfig"
watch_owner "$STACK_DIR/apiserver-down.sh"

cat >"$STATE/env" <<ENV
export KUBECONFIG=$STATE/kubeconfig
export IMAGE_OPERATOR_APISERVER_URL=$URL
export IMAGE_OPERATOR_STACK_APISERVER_DIR=$STATE
ENV
log "kube-apiserver ready at $URL (state in $STATE)"
cat "$STATE/env"
