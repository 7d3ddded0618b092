#!/usr/bin/env bash
# Sets up the machine (native libraries) and runs the Flowstate demo on an embedded Kafka cluster.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh
swift build -c release --product flowstate
exec .build/release/flowstate demo "$@"
