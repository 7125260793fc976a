#!/usr/bin/env bash
# Stops the S3 server started by s3-up.sh (radosgw, OSD, mon, by the PIDs it recorded) and deletes its state folder.
# Usage: s3-down.sh STATE_DIR [--gateway-only]    (KEEP_STATE=1 keeps the folder with its logs)
# --gateway-only stops just the RADOS Gateway, as an S3 outage: the cluster and its data stay, and s3-up.sh STATE_DIR
# starts the gateway again on the same port.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"
if [ $# -lt 1 ] || [ $# -gt 2 ] || [ ! -d "$1" ] || { [ $# -eq 2 ] && [ "$2" != --gateway-only ]; }; then
  die "usage: $0 STATE_DIR [--gateway-only] (the folder given to s3-up.sh)"
fi
STATE=$(cd "$1" && pwd)
if [ "${2:-}" = --gateway-only ]; then
  pid=$(pid_of radosgw) || die "no S3 gateway of $STATE is running"
  stop_daemon radosgw "$pid"
  exit 0
fi
stop_daemons
[ "${KEEP_STATE:-0}" = 1 ] || rm -rf "$STATE"
