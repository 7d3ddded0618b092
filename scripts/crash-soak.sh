#!/usr/bin/env bash
# Soaks the SIGKILL crash test (Tests/FlowstateCLITests/StatementCrashTests.swift): each of its
# cases (kill point × same or fresh state directory) runs ITERATIONS times (default 10) inside
# the test, so a hole that shows once in a few runs cannot pass by luck. Exits non-zero when any
# run of any case fails; each run prints a `crash <kill> <restart> #<n>: passed|FAILED …` line.
#
#   scripts/crash-soak.sh [ITERATIONS]
#   FLOWSTATE_CRASH_STATEMENTS=3000 scripts/crash-soak.sh 6              # the issue's size
#   FLOWSTATE_CRASH_CASES=mid/same-state-dir scripts/crash-soak.sh 20   # one case only
set -euo pipefail
cd "$(dirname "$0")/.."
iterations="${1:-10}"
scripts/bootstrap.sh
swift build --build-tests
log="$(mktemp -t crash-soak.XXXXXX)"
status=0
FLOWSTATE_CRASH_ITERATIONS="$iterations" swift test --skip-build --filter StatementCrashTests 2>&1 | tee "$log" || status=$?
runs=$(grep -cE '^crash .* #[0-9]+: (passed|FAILED)' "$log" || true)
failed=$(grep -cE '^crash .* #[0-9]+: FAILED' "$log" || true)
echo "crash soak: $failed of $runs runs failed ($iterations per case); log: $log"
if [ "$status" -eq 0 ] && [ "$failed" -gt 0 ]; then status=1; fi
exit "$status"
