#!/usr/bin/env bash
# Starts a one-node Kubernetes 1.20 cluster inside its own network namespace, with no route out of it:
# etcd, kube-apiserver, kube-controller-manager, kube-scheduler, dockerd + kubelet (dockershim, CNI bridge),
# kube-proxy (iptables) and a Ceph RGW S3 server for the pods. Laid out for more nodes: the node's name, address
# and pod range are per node; the control plane only needs to be reachable at NODE_IP.
#
# Usage: cluster-up.sh [STATE_DIR]    (default: .cluster in the repository)
# Prints shell exports (also in STATE_DIR/env): KUBECONFIG (server on 127.0.0.1 through a socket bridge),
# DOCKER_HOST (the node's docker, a unix socket), S3_ENDPOINT (the S3 server through a bridge on 127.0.0.1),
# S3_ACCESS_KEY, S3_SECRET_KEY, CLUSTER_S3_ENDPOINT (the S3 address pods use), IMAGE_OPERATOR_CLUSTER_DIR.
# Stop with cluster-down.sh STATE_DIR. Running it again on a running cluster just prints the exports.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"
ROOT=$(cd "$CLUSTER_DIR/../.." && pwd)
STATE=${1:-$ROOT/.cluster}
mkdir -p "$STATE"
STATE=$(cd "$STATE" && pwd)
PKI=$STATE/pki
LOGS=$STATE/logs
mkdir -p "$LOGS"
export DOCKER_HOST=unix://$STATE/docker.sock

[ "$(id -u)" = 0 ] || die "the cluster needs root (network namespaces, dockerd, the kubelet)"
if [ -f "$STATE/env" ] && [ -n "$(pid_of kubelet)" ]; then
  # shellcheck source=/dev/null
  if (source "$STATE/env" && kubectl get --raw /readyz >/dev/null 2>&1); then cat "$STATE/env"; exit 0; fi
fi
if [ -e "$NETNS_PATH" ]; then
  die "network namespace $CLUSTER_NETNS exists already: another cluster is running (stop it with its cluster-down.sh)"
fi
BASE_TAR=$(bash "$CLUSTER_DIR/provision.sh")
BIN=$APISERVER_CACHE_BIN
for b in kube-apiserver kube-controller-manager kube-scheduler kubelet kube-proxy pause etcd; do
  [ -x "$BIN/$b" ] || die "$BIN/$b is missing (tests/stack/provision.sh builds it)"
done
stop_daemons
SECONDS=0
# A test run that dies without stopping its cluster still gets it stopped (IMAGE_OPERATOR_OWNER_PID, see lib.sh).
watch_owner "$CLUSTER_DIR/cluster-down.sh"

# --- the network: blackholes in the host namespace first, so that a mistake fails here instead of leaving ---
guard_ranges() {
  local range
  for range in "${GUARDED_RANGES[@]}"; do
    ip route replace blackhole "$range"
    echo "$range" >>"$STATE/blackholes"
  done
}
create_netns() {
  ip netns add "$CLUSTER_NETNS"
  ip -n "$CLUSTER_NETNS" link set lo up
  ip -n "$CLUSTER_NETNS" link add node0 type ifb
  ip -n "$CLUSTER_NETNS" link set node0 addrgenmode none # no IPv6 link-local address, so no router solicitations
  ip -n "$CLUSTER_NETNS" addr add "$NODE_IP/${NODE_CIDR#*/}" dev node0
  ip -n "$CLUSTER_NETNS" link set node0 up
  # A ClusterIP needs a route for connect() to get as far as kube-proxy's DNAT; on node0 an unrewritten packet dies.
  ip -n "$CLUSTER_NETNS" route add "$SERVICE_CIDR" dev node0
}
guard_ranges
create_netns
bash "$CLUSTER_DIR/check-netns.sh"

# --- credentials: a CA, serving certificates, the service-account keys, one token per component ---
kubeconfig() { # kubeconfig FILE USER TOKEN SERVER
  cat >"$1" <<KUBECONFIG
apiVersion: v1
kind: Config
clusters:
- name: image-operator-cluster
  cluster: {server: "$4", certificate-authority-data: "$(base64 -w0 "$PKI/ca.crt")"}
users:
- name: "$2"
  user: {token: "$3"}
contexts:
- name: image-operator-cluster
  context: {cluster: image-operator-cluster, user: "$2"}
current-context: image-operator-cluster
KUBECONFIG
  chmod 600 "$1"
}
if [ ! -f "$PKI/done" ]; then
  rm -rf "$PKI"; mkdir -p "$PKI"
  (
    cd "$PKI"
    sign() { # sign NAME SUBJECT EXTENSIONS
      openssl req -newkey rsa:2048 -nodes -subj "$2" -keyout "$1.key" -out "$1.csr" 2>/dev/null
      printf '%b' "$3" >"$1.ext"
      openssl x509 -req -in "$1.csr" -CA ca.crt -CAkey ca.key -CAcreateserial -days 3650 -extfile "$1.ext" -out "$1.crt" 2>/dev/null
    }
    openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj "/CN=image-operator-cluster-ca" -keyout ca.key -out ca.crt 2>/dev/null
    sign serving "/CN=kube-apiserver" "subjectAltName=IP:127.0.0.1,IP:$NODE_IP,IP:$KUBERNETES_SERVICE_IP,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local\nextendedKeyUsage=serverAuth\n"
    sign kubelet-client "/O=system:masters/CN=kube-apiserver-kubelet-client" "extendedKeyUsage=clientAuth\n"
    openssl genrsa -out sa.key 2048 2>/dev/null
    openssl rsa -in sa.key -pubout -out sa.pub 2>/dev/null
    token() { head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n'; }
    admin=$(token) cm=$(token) scheduler=$(token) node=$(token) proxy=$(token)
    # system:kube-proxy is bound to system:node-proxier by the bootstrap RBAC policy; the Node authorizer needs
    # system:node:<name> in system:nodes.
    {
      echo "$admin,admin,admin,system:masters"
      echo "$cm,system:kube-controller-manager,kube-controller-manager"
      echo "$scheduler,system:kube-scheduler,kube-scheduler"
      echo "$node,system:node:$NODE_NAME,$NODE_NAME,system:nodes"
      echo "$proxy,system:kube-proxy,kube-proxy"
    } >tokens.csv
    chmod 600 ./*.key tokens.csv
    inside=https://$NODE_IP:$API_PORT
    kubeconfig admin-in-netns.kubeconfig admin "$admin" "$inside"
    kubeconfig controller-manager.kubeconfig system:kube-controller-manager "$cm" "$inside"
    kubeconfig scheduler.kubeconfig system:kube-scheduler "$scheduler" "$inside"
    kubeconfig kubelet.kubeconfig "system:node:$NODE_NAME" "$node" "$inside"
    kubeconfig kube-proxy.kubeconfig system:kube-proxy "$proxy" "$inside"
    echo "$admin" >admin.token
    chmod 600 admin.token
    touch ./done
  )
fi

# --- dockerd, with a runtime that tolerates this machine (root here lacks CAP_SYS_RESOURCE) ---
start_dockerd() {
  mkdir -p "$STATE/docker-root" "$STATE/docker-exec"
  # dockershim asks for negative oom_score_adj values (-998 for sandboxes), which runc cannot set without
  # CAP_SYS_RESOURCE: the wrapper raises them to 0 in the bundle's config before runc sees it.
  cat >"$STATE/runc-wrapper" <<'WRAPPER'
#!/bin/sh
previous=""; bundle=""
for argument in "$@"; do
  case "$previous" in --bundle|-b) bundle=$argument ;; esac
  case "$argument" in --bundle=*) bundle=${argument#--bundle=} ;; esac
  previous=$argument
done
if [ -n "$bundle" ] && [ -f "$bundle/config.json" ] && [ "$(jq '.process.oomScoreAdj // 0' "$bundle/config.json")" -lt 0 ]; then
  jq -c '.process.oomScoreAdj = 0' "$bundle/config.json" >"$bundle/config.json.tmp" && mv "$bundle/config.json.tmp" "$bundle/config.json"
fi
exec /usr/sbin/runc "$@"
WRAPPER
  chmod +x "$STATE/runc-wrapper"
  # No bridge, no iptables: dockerd changes no network configuration; the CNI plugin wires the pods.
  start_daemon dockerd "$LOGS/dockerd.log" nsenter "--net=$NETNS_PATH" /usr/sbin/dockerd -H "unix://$STATE/docker.sock" \
    --data-root "$STATE/docker-root" --exec-root "$STATE/docker-exec" --pidfile "$STATE/docker-exec/dockerd.pid" \
    --bridge=none --iptables=false --ip6tables=false --ip-masq=false --ip-forward=false --storage-driver=overlay2 \
    --exec-opt native.cgroupdriver=cgroupfs --add-runtime "image-operator-runc=$STATE/runc-wrapper" \
    --default-runtime image-operator-runc
  wait_daemon dockerd 60 "$LOGS/dockerd.log" "$DOCKER" info
}
load_images() {
  if ! "$DOCKER" image inspect "$PAUSE_IMAGE" >/dev/null 2>&1; then
    tar -C "$BIN" -c pause | "$DOCKER" import --change 'ENTRYPOINT ["/pause"]' - "$PAUSE_IMAGE" >/dev/null
  fi
  if ! "$DOCKER" image inspect "$BASE_IMAGE" >/dev/null 2>&1; then
    "$DOCKER" import - "$BASE_IMAGE" <"$BASE_TAR" >/dev/null
  fi
}
start_dockerd
load_images
log "docker ready with the pause and base images (${SECONDS} s)"

# --- control plane ---
in_kubectl() { in_netns kubectl --kubeconfig "$PKI/admin-in-netns.kubeconfig" "$@"; }
start_daemon etcd "$LOGS/etcd.log" nsenter "--net=$NETNS_PATH" "$BIN/etcd" --name "$NODE_NAME" --data-dir "$STATE/etcd" \
  --listen-client-urls http://127.0.0.1:2379 --advertise-client-urls http://127.0.0.1:2379 \
  --listen-peer-urls http://127.0.0.1:2380 --initial-advertise-peer-urls http://127.0.0.1:2380 \
  --initial-cluster "$NODE_NAME=http://127.0.0.1:2380" --logger=zap --log-level=warn
wait_daemon etcd 30 "$LOGS/etcd.log" in_netns curl -sf --max-time 2 http://127.0.0.1:2379/health
# --advertise-address is the node's: the `kubernetes` Endpoints may not hold a loopback address.
start_daemon kube-apiserver "$LOGS/kube-apiserver.log" nsenter "--net=$NETNS_PATH" "$BIN/kube-apiserver" \
  --etcd-servers=http://127.0.0.1:2379 --bind-address="$NODE_IP" --advertise-address="$NODE_IP" --secure-port="$API_PORT" \
  --tls-cert-file="$PKI/serving.crt" --tls-private-key-file="$PKI/serving.key" --client-ca-file="$PKI/ca.crt" \
  --token-auth-file="$PKI/tokens.csv" --authorization-mode=Node,RBAC --enable-admission-plugins=NodeRestriction \
  --service-account-issuer=https://kubernetes.default.svc --service-account-key-file="$PKI/sa.pub" \
  --service-account-signing-key-file="$PKI/sa.key" --service-cluster-ip-range="$SERVICE_CIDR" \
  --kubelet-client-certificate="$PKI/kubelet-client.crt" --kubelet-client-key="$PKI/kubelet-client.key" \
  --kubelet-preferred-address-types=InternalIP,Hostname --profiling=false
wait_daemon kube-apiserver 180 "$LOGS/kube-apiserver.log" in_kubectl get --raw /readyz

# The host reaches the API server through a unix socket: 127.0.0.1:PORT -> socket -> NODE_IP:6443 in the namespace.
bridge() { # bridge NAME TARGET_PORT: prints the host port
  local name=$1 target=$2 port
  start_daemon "$name-in-netns" "$LOGS/$name-bridge.log" nsenter "--net=$NETNS_PATH" \
    socat "UNIX-LISTEN:$STATE/$name.sock,fork,unlink-early" "TCP:$NODE_IP:$target"
  wait_until 10 test -S "$STATE/$name.sock" || die "the $name bridge socket did not appear"
  port=$(free_port)
  start_daemon "$name-host" "$LOGS/$name-bridge.log" \
    socat "TCP-LISTEN:$port,bind=127.0.0.1,fork,reuseaddr" "UNIX-CONNECT:$STATE/$name.sock"
  echo "$port"
}
API_HOST_PORT=$(bridge api "$API_PORT")
kubeconfig "$STATE/kubeconfig" admin "$(cat "$PKI/admin.token")" "https://127.0.0.1:$API_HOST_PORT"
export KUBECONFIG=$STATE/kubeconfig
wait_until 30 kubectl get --raw /readyz || die "the API server does not answer through the bridge"
log "API server ready (${SECONDS} s)"

start_daemon kube-controller-manager "$LOGS/kube-controller-manager.log" nsenter "--net=$NETNS_PATH" \
  "$BIN/kube-controller-manager" --kubeconfig="$PKI/controller-manager.kubeconfig" \
  --authentication-kubeconfig="$PKI/controller-manager.kubeconfig" --authorization-kubeconfig="$PKI/controller-manager.kubeconfig" \
  --bind-address=127.0.0.1 --secure-port=10257 --port=0 --leader-elect=false \
  --service-account-private-key-file="$PKI/sa.key" --root-ca-file="$PKI/ca.crt" \
  --use-service-account-credentials=true --profiling=false
start_daemon kube-scheduler "$LOGS/kube-scheduler.log" nsenter "--net=$NETNS_PATH" "$BIN/kube-scheduler" \
  --kubeconfig="$PKI/scheduler.kubeconfig" --authentication-kubeconfig="$PKI/scheduler.kubeconfig" \
  --authorization-kubeconfig="$PKI/scheduler.kubeconfig" --bind-address=127.0.0.1 --secure-port=10259 --port=0 \
  --leader-elect=false --profiling=false

# --- the node ---
for path in /var/lib/kubelet /var/log/pods /var/log/containers; do
  # kubelet 1.20 uses these whatever its root directory: remember which ones it creates, to remove them at stop.
  [ -e "$path" ] || echo "$path" >>"$STATE/created-paths"
done
mkdir -p "$STATE/cni/net.d" "$STATE/kubelet"
# The bridge's gateway is the pods' default route: nothing routes further than cni0. No masquerading.
cat >"$STATE/cni/net.d/10-image-operator.conflist" <<CNI
{"cniVersion": "0.4.0", "name": "image-operator", "plugins": [
  {"type": "bridge", "bridge": "cni0", "isGateway": true, "ipMasq": false, "hairpinMode": true,
   "ipam": {"type": "host-local", "dataDir": "$STATE/cni/ipam",
            "ranges": [[{"subnet": "$POD_CIDR", "gateway": "$POD_GATEWAY"}]], "routes": [{"dst": "0.0.0.0/0"}]}}]}
CNI
# Pods never get the host's resolvers (there is no DNS in the namespace; in-cluster clients use addresses).
echo "nameserver 127.0.0.1" >"$STATE/resolv.conf"
cat >"$STATE/kubelet/config.yaml" <<KUBELET
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
address: $NODE_IP
port: 10250
readOnlyPort: 0
healthzBindAddress: 127.0.0.1
healthzPort: 10248
authentication: {anonymous: {enabled: false}, webhook: {enabled: true}, x509: {clientCAFile: "$PKI/ca.crt"}}
authorization: {mode: Webhook}
cgroupDriver: cgroupfs
failSwapOn: false
clusterDomain: cluster.local
resolvConf: $STATE/resolv.conf
# The bridge plugin sets hairpin mode by netlink; kubelet's own way writes /sys of the host's mount namespace.
hairpinMode: none
evictionHard: {memory.available: 100Mi, nodefs.available: 1%, imagefs.available: 1%}
KUBELET
start_daemon kubelet "$LOGS/kubelet.log" nsenter "--net=$NETNS_PATH" "$BIN/kubelet" --config="$STATE/kubelet/config.yaml" \
  --kubeconfig="$PKI/kubelet.kubeconfig" --hostname-override="$NODE_NAME" --node-ip="$NODE_IP" \
  --root-dir="$STATE/kubelet/root" --cert-dir="$STATE/kubelet/pki" \
  --container-runtime=docker --docker-endpoint="unix://$STATE/docker.sock" \
  --experimental-dockershim-root-directory="$STATE/kubelet/dockershim" --pod-infra-container-image="$PAUSE_IMAGE" \
  --network-plugin=cni --cni-bin-dir=/usr/lib/cni --cni-conf-dir="$STATE/cni/net.d" --cni-cache-dir="$STATE/cni/cache" --v=1
# iptables rules in the namespace only. Conntrack sysctls are global (read-only outside the initial namespace):
# leave them alone. oom-score-adj 0: see the runc wrapper.
start_daemon kube-proxy "$LOGS/kube-proxy.log" nsenter "--net=$NETNS_PATH" "$BIN/kube-proxy" \
  --kubeconfig="$PKI/kube-proxy.kubeconfig" --hostname-override="$NODE_NAME" --proxy-mode=iptables \
  --bind-address="$NODE_IP" --cluster-cidr="$POD_CIDR" --healthz-bind-address=127.0.0.1:10256 \
  --metrics-bind-address=127.0.0.1:10249 --conntrack-max-per-core=0 --conntrack-tcp-timeout-established=0 \
  --conntrack-tcp-timeout-close-wait=0 --oom-score-adj=0 --profiling=false

# --- the S3 server the pods use, in the namespace on the node address; the host reaches it through a bridge ---
S3_STATE=$STATE/s3
in_netns env S3_BIND_ADDRESS="$NODE_IP" S3_PORT="$S3_PORT" S3_MEMSTORE_BYTES="${S3_MEMSTORE_BYTES:-8589934592}" \
  bash "$STACK_DIR/s3-up.sh" "$S3_STATE" >"$STATE/s3.env"
S3_HOST_PORT=$(bridge s3 "$S3_PORT")

node_ready() {
  [ "$(kubectl get node "$NODE_NAME" -o jsonpath='{.status.conditions[?(@.type=="Ready")].status}')" = True ]
}
wait_daemon kubelet 180 "$LOGS/kubelet.log" node_ready
bash "$CLUSTER_DIR/check-netns.sh"
# shellcheck source=/dev/null
s3_keys=$(source "$STATE/s3.env" && printf 'export S3_ACCESS_KEY=%s\nexport S3_SECRET_KEY=%s\n' "$S3_ACCESS_KEY" "$S3_SECRET_KEY")
cat >"$STATE/env" <<ENV
export KUBECONFIG=$STATE/kubeconfig
export DOCKER_HOST=unix://$STATE/docker.sock
export S3_ENDPOINT=http://127.0.0.1:$S3_HOST_PORT
$s3_keys
export CLUSTER_S3_ENDPOINT=http://$NODE_IP:$S3_PORT
export IMAGE_OPERATOR_CLUSTER_DIR=$STATE
ENV
chmod 600 "$STATE/env"
log "node $NODE_NAME Ready after ${SECONDS} s (state in $STATE)"
cat "$STATE/env"
