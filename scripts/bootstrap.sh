#!/usr/bin/env bash
# Installs Flowstate's native dependencies: librdkafka-dev (with rdkafka_mock.h),
# librocksdb-dev and libjemalloc-dev (the executables' allocator), all with pkg-config files. Idempotent: quiet and fast when
# everything is already there; uses sudo when not root.
set -euo pipefail

packages=(librdkafka-dev librocksdb-dev libjemalloc-dev pkg-config)

have_all() {
    command -v pkg-config >/dev/null 2>&1 || return 1
    pkg-config --exists rdkafka rocksdb jemalloc || return 1
    local inc
    inc=$(pkg-config --variable=includedir rdkafka)
    [ -f "$inc/librdkafka/rdkafka_mock.h" ] || return 1
}

if have_all; then
    exit 0
fi

if ! command -v apt-get >/dev/null 2>&1; then
    cat >&2 <<MSG
bootstrap: apt-get not found. Flowstate needs these native libraries with pkg-config files:
  - librdkafka >= 2.0 (with rdkafka_mock.h)   Debian/Ubuntu: librdkafka-dev   Homebrew: librdkafka
  - RocksDB >= 7                               Debian/Ubuntu: librocksdb-dev   Homebrew: rocksdb
  - jemalloc (Linux executables only)          Debian/Ubuntu: libjemalloc-dev
Install them with your system's package manager, then run this command again.
MSG
    exit 1
fi

sudo=""
if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1; then
        sudo="sudo"
    else
        echo "bootstrap: not root and sudo not found; install as root: apt-get install ${packages[*]}" >&2
        exit 1
    fi
fi

echo "bootstrap: installing ${packages[*]} with apt-get" >&2
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq >/dev/null
$sudo apt-get install -y -qq --no-install-recommends "${packages[@]}" >/dev/null

if ! have_all; then
    echo "bootstrap: packages installed but pkg-config cannot find rdkafka (with rdkafka_mock.h), rocksdb and jemalloc" >&2
    exit 1
fi
echo "bootstrap: librdkafka $(pkg-config --modversion rdkafka), rocksdb $(pkg-config --modversion rocksdb), jemalloc $(pkg-config --modversion jemalloc)" >&2
