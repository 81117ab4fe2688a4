#!/usr/bin/env bash
# Checks ci/no_leftovers.py: it passes a command's status through when nothing is left
# running, and fails (killing them) when the command leaves processes behind, including
# ones that left its session or whose parent exited.
set -uo pipefail
wrapper="$(cd "$(dirname "$0")" && pwd)/no_leftovers.py"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
failures=0

fail() {
  echo "FAIL: $*"
  failures=$((failures + 1))
}

# expect_status WANT DESCRIPTION COMMAND...: runs the wrapper on COMMAND.
expect_status() {
  local want=$1 what=$2
  shift 2
  "$wrapper" --grace 1 "$@" >"$work/out" 2>&1
  local got=$?
  [ "$got" -eq "$want" ] || fail "$what: exit $got, want $want; output: $(cat "$work/out")"
}

# expect_killed PIDFILE DESCRIPTION: the leaked process is gone and was named.
expect_killed() {
  local pid
  pid=$(cat "$1")
  if kill -0 "$pid" 2>/dev/null; then
    fail "$2: pid $pid still runs"
    kill -KILL "$pid"
  fi
  grep -q "pid $pid " "$work/out" || fail "$2: pid $pid not named: $(cat "$work/out")"
}

expect_status 0 "a clean command" true
expect_status 3 "a failing command" sh -c 'exit 3'
expect_status 0 "a background child that ends within the grace" sh -c 'sleep 0.2 &'

expect_status 1 "a leaked background child" sh -c "sleep 100 & echo \$! > $work/leak1"
expect_killed "$work/leak1" "a leaked background child"

expect_status 1 "a daemonized leak (own session, parent gone)" \
  sh -c "setsid sh -c 'sleep 101 & echo \$! > $work/leak2' &"
sleep 0.2
expect_killed "$work/leak2" "a daemonized leak"

expect_status 5 "a leak from a failing command keeps its status" \
  sh -c "sleep 102 & echo \$! > $work/leak3; exit 5"
expect_killed "$work/leak3" "a leak from a failing command"

[ "$failures" -eq 0 ] && echo "no_leftovers: all checks passed"
exit $((failures > 0))
