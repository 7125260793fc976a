#!/usr/bin/env bash
# Stops the control plane started by apiserver-up.sh (by the PIDs it recorded) and deletes its state folder.
# Usage: apiserver-down.sh STATE_DIR    (KEEP_STATE=1 keeps the folder with its logs)
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"
if [ $# -ne 1 ] || [ ! -d "$1" ]; then die "usage: $0 STATE_DIR (the folder given to apiserver-up.sh)"; fi
STATE=$(cd "$1" && pwd)
stop_daemons
[ "${KEEP_STATE:-0}" = 1 ] || rm -rf "$STATE"
