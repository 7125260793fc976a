#!/usr/bin/env bash
# Stops the cluster cluster-up.sh started and removes what it left on the host: processes, mounts, the network
# namespace (with its links and iptables rules), the host's blackhole routes, the kubelet's fixed paths and cgroups.
# Keeps the credentials and docker's images in STATE_DIR, so that the next start is quick. Ends with a check that
# nothing is left, and fails if something is.
#
# Usage: cluster-down.sh [STATE_DIR]    (default: .cluster in the repository)
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"
ROOT=$(cd "$CLUSTER_DIR/../.." && pwd)
STATE=${1:-$ROOT/.cluster}
[ -d "$STATE" ] || { log "no cluster state in $STATE"; exit 0; }
STATE=$(cd "$STATE" && pwd)
export DOCKER_HOST=unix://$STATE/docker.sock

# The node first, so nothing restarts the pods' containers; then the containers, while dockerd still runs.
for name in kube-proxy kubelet; do
  pid=$(pid_of "$name" || true)
  [ -z "$pid" ] || stop_daemon "$name" "$pid"
done
if [ -n "$(pid_of dockerd || true)" ]; then
  "$DOCKER" ps -aq | xargs -r "$DOCKER" rm -f >/dev/null 2>&1 || true
fi
[ ! -d "$STATE/s3" ] || bash "$STACK_DIR/s3-down.sh" "$STATE/s3" >/dev/null 2>&1 || true
stop_daemons

# Mounts under the state folder: the kubelet's secret and projected volumes, docker's overlays and its netns files.
awk -v prefix="$STATE/" 'index($2, prefix) == 1 { print $2 }' /proc/mounts | sort -r | xargs -r -n1 umount -l 2>/dev/null || true
if [ -f "$STATE/created-paths" ]; then
  while read -r path; do rm -rf "$path"; done <"$STATE/created-paths"
  rm -f "$STATE/created-paths"
fi
find /sys/fs/cgroup/*/kubepods -depth -type d -exec rmdir {} + 2>/dev/null || true
if [ -e "$NETNS_PATH" ]; then
  left=$(ip netns pids "$CLUSTER_NETNS" | tr '\n' ' ')
  [ -z "$left" ] || { log "killing processes left in $CLUSTER_NETNS: $left"; echo "$left" | xargs -r kill -KILL 2>/dev/null || true; sleep 1; }
  ip netns delete "$CLUSTER_NETNS"
fi
if [ -f "$STATE/blackholes" ]; then
  while read -r range; do ip route del blackhole "$range" 2>/dev/null || true; done <"$STATE/blackholes"
  rm -f "$STATE/blackholes"
fi
rm -rf "$STATE/etcd" "$STATE/kubelet/root" "$STATE/kubelet/dockershim" "$STATE/cni/ipam" "$STATE/cni/cache" \
  "$STATE/s3" "$STATE"/*.sock "$STATE/env" "$STATE/s3.env"

bash "$CLUSTER_DIR/check-clean.sh" "$STATE"
log "cluster stopped; nothing left behind"
