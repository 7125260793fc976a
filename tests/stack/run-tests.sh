#!/usr/bin/env bash
# The test command behind `make test`: installs the real components, builds the solution once, runs every test
# project against real servers with a TRX log each (artifacts/test-results/<project>.trx), and prints the summed
# result as "N passed, N failed[, N skipped]". Fails if a project failed, crashed or no test ran.
#
# Environment: ARTIFACTS=<folder> builds into that folder (dotnet --artifacts-path) instead of the tree;
#              TEST_FILTER=<expression> is passed to dotnet test --filter.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"
ROOT=$(cd "$STACK_DIR/../.." && pwd)
RESULTS=$ROOT/artifacts/test-results
cd "$ROOT"

bash "$STACK_DIR/provision.sh" >/dev/null

build_args=()
[ -z "${ARTIFACTS:-}" ] || build_args+=(--artifacts-path "$ARTIFACTS")
log "building the solution"
dotnet build ImageOperator.sln -nologo -v quiet "${build_args[@]}"

rm -rf "$RESULTS"
mkdir -p "$RESULTS"
status=0
mapfile -t projects < <(grep -l '<IsTestProject>true</IsTestProject>' tests/*/*.csproj | sort)
for project in "${projects[@]}"; do
  name=$(basename "$project" .csproj)
  log "testing $name"
  args=(test "$project" --no-build -nologo "${build_args[@]}" --results-directory "$RESULTS"
    --logger "trx;LogFileName=$name.trx" --logger "console;verbosity=minimal" --blame-hang-timeout 20m)
  [ -z "${TEST_FILTER:-}" ] || args+=(--filter "$TEST_FILTER")
  if ! dotnet "${args[@]}"; then
    status=1
    [ -f "$RESULTS/$name.trx" ] || log "$name wrote no test results (crashed or failed to start)"
  fi
done

python3 "$STACK_DIR/trx-summary.py" "$RESULTS" || status=1
exit "$status"
