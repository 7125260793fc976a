#!/usr/bin/env bash
# Fails, naming each leftover, if anything of a cluster is still on the host: a process whose command line names the
# state folder, a mount under it, the network namespace, a blackhole route, a Kubernetes chain in the host's iptables,
# a kubepods cgroup.
#
# Usage: check-clean.sh STATE_DIR
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"
STATE=${1:?usage: check-clean.sh STATE_DIR}

leftovers=()
processes=$(pgrep -af -- "$STATE/" | grep -v -e "check-clean.sh" -e "cluster-down.sh" || true)
[ -z "$processes" ] || leftovers+=("processes: $processes")
mounts=$(awk -v prefix="$STATE/" 'index($2, prefix) == 1 { print $2 }' /proc/mounts)
[ -z "$mounts" ] || leftovers+=("mounts: $mounts")
[ ! -e "$NETNS_PATH" ] || leftovers+=("network namespace $CLUSTER_NETNS")
for range in "${GUARDED_RANGES[@]}"; do
  [ -z "$(ip route show "$range")" ] || leftovers+=("route for $range")
done
chains=$(iptables-save 2>/dev/null | grep -c 'KUBE-' || true)
[ "$chains" = 0 ] || leftovers+=("$chains KUBE- lines in the host's iptables")
cgroups=$(find /sys/fs/cgroup/ -maxdepth 2 -name kubepods 2>/dev/null || true)
[ -z "$cgroups" ] || leftovers+=("cgroups: $cgroups")
if [ "${#leftovers[@]}" -gt 0 ]; then
  printf '  %s\n' "${leftovers[@]}" >&2
  die "the cluster left ${#leftovers[@]} kind(s) of things behind"
fi
