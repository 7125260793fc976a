# shellcheck shell=bash
# shellcheck disable=SC2034 # the variables are used by the scripts that source this file
# The layout of the one-node test cluster, shared by its scripts. Everything of the cluster (etcd, the control
# plane, dockerd, the kubelet, kube-proxy, every pod and the S3 server the pods use) lives in one network namespace
# with no route out. The host namespace reaches it only through unix-socket bridges listening on 127.0.0.1; the
# namespace's own addresses are never dialled from the host, where they would route out of the machine.
# shellcheck source-path=SCRIPTDIR source=../stack/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../stack/lib.sh"
CLUSTER_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

CLUSTER_NETNS=${IMAGE_OPERATOR_CLUSTER_NETNS:-image-operator-cluster}
NETNS_PATH=/run/netns/$CLUSTER_NETNS
NODE_NAME=image-operator-node
# The node address sits on an ifb link (this kernel has no dummy links): whatever is routed to it and is not for
# the node itself is dropped, never forwarded.
NODE_IP=10.77.0.2
NODE_CIDR=10.77.0.0/24
POD_CIDR=10.88.0.0/16
POD_GATEWAY=10.88.0.1
SERVICE_CIDR=10.96.0.0/16
KUBERNETES_SERVICE_IP=10.96.0.1
# Ports inside the namespace: its own port space, so fixed numbers cannot clash with the host.
API_PORT=6443
S3_PORT=7480
# Ranges that must never leave the host: blackholed in the host namespace while a cluster is up.
GUARDED_RANGES=("$NODE_CIDR" "$POD_CIDR" "$SERVICE_CIDR")

# Debian's docker CLI (a newer /usr/local/bin/docker would refuse the 20.10 daemon's API version).
DOCKER=/usr/bin/docker
# The images the node runs without a registry: the pod sandbox (kubelet 1.20's default name, so it never pulls)
# and the Debian base the operator's image is built on.
PAUSE_IMAGE=k8s.gcr.io/pause:3.2
BASE_IMAGE=image-operator.local/debian-base:bookworm
CLUSTER_CACHE=${IMAGE_OPERATOR_CACHE:-$HOME/.cache/image-operator}/cluster

# in_netns <command...>: runs the command in the cluster's network namespace only (not `ip netns exec`, which
# remounts /sys and would hide the cgroup hierarchy from dockerd and the kubelet).
in_netns() { nsenter "--net=$NETNS_PATH" "$@"; }
