#!/usr/bin/env bash
# Builds the operator's image into the cluster's docker the way users build it (make docker-build: the publish,
# then operator/Dockerfile), on the Debian base image the cluster imported and with no network for the build.
#
# Usage: build-operator-image.sh STATE_DIR [IMAGE]    (default image: image-operator.local/image-operator:dev)
# Prints the image reference.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"
ROOT=$(cd "$CLUSTER_DIR/../.." && pwd)
STATE=${1:?usage: build-operator-image.sh STATE_DIR [IMAGE]}
IMAGE=${2:-image-operator.local/image-operator:dev}
[ -f "$STATE/env" ] || die "no running cluster in $STATE (cluster-up.sh starts one)"
# shellcheck source=/dev/null
source "$STATE/env"
log "building $IMAGE on $BASE_IMAGE"
make -s -C "$ROOT" docker-build IMG="$IMAGE" BASE_IMAGE="$BASE_IMAGE" DOCKER="$DOCKER" \
  DOCKER_BUILD_FLAGS="--network=none --quiet" >"$STATE/logs/operator-image.log" 2>&1 ||
  { log_tail "$STATE/logs/operator-image.log" 25; die "the operator's image did not build"; }
echo "$IMAGE"
