#!/usr/bin/env bash
# Fails unless the cluster's network namespace is sealed: no default route (IPv4 or IPv6), no route but the node's
# subnet, the Service range (both on the ifb link) and the pod range (on the CNI bridge), and no link from the host
# namespace into it. Run before anything starts in the namespace and again once the node is Ready.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"

[ -e "$NETNS_PATH" ] || die "network namespace $CLUSTER_NETNS does not exist"
if [ -n "$(ip -n "$CLUSTER_NETNS" -4 route show default)" ] || [ -n "$(ip -n "$CLUSTER_NETNS" -6 route show default)" ]; then
  die "network namespace $CLUSTER_NETNS has a default route"
fi
unexpected=$(ip -n "$CLUSTER_NETNS" -4 route show |
  grep -v -e "^$NODE_CIDR dev node0 " -e "^$SERVICE_CIDR dev node0 " -e "^$POD_CIDR dev cni0 " || true)
[ -z "$unexpected" ] || die "network namespace $CLUSTER_NETNS has unexpected routes: $unexpected"
unexpected6=$(ip -n "$CLUSTER_NETNS" -6 route show table all | grep -v -e '^local ' -e '^multicast ' -e '^fe80::/64 ' -e '^::1 ' || true)
[ -z "$unexpected6" ] || die "network namespace $CLUSTER_NETNS has unexpected IPv6 routes: $unexpected6"
if ip -o -d link show | grep -q "link-netns $CLUSTER_NETNS"; then
  die "a link of the host namespace leads into $CLUSTER_NETNS"
fi
for range in "${GUARDED_RANGES[@]}"; do
  ip route show "$range" | grep -q '^blackhole' || die "the host namespace has no blackhole route for $range"
done
