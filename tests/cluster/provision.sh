#!/usr/bin/env bash
# Installs what the one-node test cluster needs beyond tests/stack/provision.sh (which builds the Kubernetes
# binaries and the pause process): Debian's docker.io (kubelet 1.20 drives it through its built-in dockershim),
# the CNI plugins, socat for the socket bridges, and a Debian base root filesystem made with debootstrap, because no
# container registry can be reached here. Idempotent and cached; serialised by the stack's provisioning lock.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"

bash "$STACK_DIR/provision.sh" >/dev/null
SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
LOGS=$CLUSTER_CACHE/logs
mkdir -p "$CLUSTER_CACHE" "$LOGS"
exec 9>"$CLUSTER_CACHE/provision.lock"
flock 9

run_logged() {
  local logfile=$1; shift
  "$@" >>"$logfile" 2>&1 || { log_tail "$logfile" 25; die "'$*' failed (full log: $logfile)"; }
}

PKGS=(docker.io containerd runc containernetworking-plugins debootstrap socat iptables iproute2 jq util-linux)
missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  log "installing ${missing[*]}"
  run_logged "$LOGS/apt.log" $SUDO apt-get update -q
  # docker.io's post-install script cannot start a daemon here (no systemd): the cluster starts its own dockerd.
  run_logged "$LOGS/apt.log" $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

# The base of the operator's image: Debian minbase plus what a self-contained .NET app needs (libssl for TLS, CA
# certificates). A tarball of the root filesystem, imported into each cluster's docker.
BASE_TAR=$CLUSTER_CACHE/debian-bookworm-base.tar
if [ ! -f "$BASE_TAR" ]; then
  mirror=$(awk '/^URIs:/ { print $2; exit }' /etc/apt/sources.list.d/debian.sources 2>/dev/null || true)
  [ -n "$mirror" ] || mirror=$(awk '/^deb / { print $2; exit }' /etc/apt/sources.list 2>/dev/null || true)
  [ -n "$mirror" ] || die "no Debian mirror found in the apt sources"
  rootfs=$(mktemp -d "$CLUSTER_CACHE/rootfs.XXXXXX")
  # shellcheck disable=SC2064 # expand now: the folder is fixed
  trap "rm -rf '$rootfs'" EXIT
  log "making the Debian base image with debootstrap from $mirror (about 2 minutes)"
  run_logged "$LOGS/debootstrap.log" $SUDO debootstrap --variant=minbase --include=libssl3,ca-certificates \
    bookworm "$rootfs" "$mirror"
  rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/*
  tar -C "$rootfs" --numeric-owner -cf "$BASE_TAR.tmp" .
  mv "$BASE_TAR.tmp" "$BASE_TAR"
fi
echo "$BASE_TAR"
