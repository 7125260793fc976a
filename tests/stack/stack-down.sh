#!/usr/bin/env bash
# Stops the local stack started by stack-up.sh (`make down`) and deletes .run/.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"
RUN=$(cd "$STACK_DIR/../.." && pwd)/.run
[ ! -d "$RUN/s3" ] || bash "$STACK_DIR/s3-down.sh" "$RUN/s3"
[ ! -d "$RUN/apiserver" ] || bash "$STACK_DIR/apiserver-down.sh" "$RUN/apiserver"
rm -rf "$RUN"
log "local stack stopped"
