#!/usr/bin/env bash
# Sets up the machine (native libraries) and runs every test.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh
swift build --build-tests
swift test --skip-build "$@"
# The example package (a user's project depending on Flowstate by path): build it and run its tests.
(cd examples/LoanDesk && swift build --build-tests && swift test --skip-build)
