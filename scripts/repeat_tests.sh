#!/usr/bin/env bash
# Run tests again and again to catch hangs and flakes; each run is bounded and its outcome counted.
#
#   scripts/repeat_tests.sh                   the plan of issue 13: three files 30 times each,
#                                             then tests/shared, processor and requestor 5 times
#   scripts/repeat_tests.sh 10 tests/x.py     one target, 10 times (any pytest arguments)
#
# A run that outlives RUN_TIMEOUT (default 900 s) is killed and counted as hung. Logs of runs
# that did not pass are kept in var/repeat/. Exits non-zero when any run failed or hung.
set -uo pipefail
cd "$(dirname "$0")/.."
PY=${PY:-.venv/bin/python}
RUN_TIMEOUT=${RUN_TIMEOUT:-900}
LOGS=var/repeat
mkdir -p "$LOGS"
bad=0

repeat() {  # repeat RUNS PYTEST_ARGS...
  local runs=$1; shift
  local passed=0 failed=0 hung=0 started=$SECONDS log
  for n in $(seq 1 "$runs"); do
    log="$LOGS/run-$(date +%s)-$n.log"
    timeout --kill-after=30 "$RUN_TIMEOUT" "$PY" -m pytest -q -p no:cacheprovider "$@" >"$log" 2>&1
    case $? in
      0) passed=$((passed + 1)); rm -f "$log" ;;
      124|137) hung=$((hung + 1)); echo "  run $n hung: $log" ;;
      *) failed=$((failed + 1)); echo "  run $n failed: $log ($(grep -v '^[[:space:]]*$' "$log" | tail -n1))" ;;
    esac
  done
  echo "$* — $runs runs: $passed passed, $failed failed, $hung hung ($((SECONDS - started)) s)"
  [ $((failed + hung)) -eq 0 ] || bad=1
}

if [ $# -gt 0 ]; then
  case $1 in ''|*[!0-9]*) echo "usage: $0 [RUNS PYTEST_ARGS...] (RUNS, a number, comes first)" >&2; exit 2 ;; esac
  [ $# -gt 1 ] || { echo "usage: $0 RUNS PYTEST_ARGS... (what to run, after the count)" >&2; exit 2; }
  repeat "$@"
else
  repeat 30 tests/shared/messaging/test_outbox_relay.py
  repeat 30 tests/processor/test_grpc.py
  repeat 30 tests/e2e/test_sse.py
  repeat 5 tests/shared tests/processor tests/requestor
fi
exit $bad
