#!/usr/bin/env bash
# Builds the C programs of the comparison into benchmarks/.build/:
# passthrough (the librdkafka ceiling) and statement-driver (load + completion/latency reader).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
mkdir -p "$here/.build"
flags="$(pkg-config --cflags --libs rdkafka)"
# shellcheck disable=SC2086
cc -O2 -Wall -Wextra -D_GNU_SOURCE -o "$here/.build/passthrough" "$here/ceiling/passthrough.c" $flags
# shellcheck disable=SC2086
cc -O2 -Wall -Wextra -o "$here/.build/statement-driver" "$here/driver/statement_driver.c" $flags -lpthread
echo "built $here/.build/passthrough $here/.build/statement-driver"
