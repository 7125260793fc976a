#!/usr/bin/env bash
# Stops the S3 server started by s3-up.sh (radosgw, OSD, mon, by the PIDs it recorded) and deletes its state folder.
# Usage: s3-down.sh STATE_DIR    (KEEP_STATE=1 keeps the folder with its logs)
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"
if [ $# -ne 1 ] || [ ! -d "$1" ]; then die "usage: $0 STATE_DIR (the folder given to s3-up.sh)"; fi
STATE=$(cd "$1" && pwd)
stop_daemons
[ "${KEEP_STATE:-0}" = 1 ] || rm -rf "$STATE"
