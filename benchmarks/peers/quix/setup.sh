#!/usr/bin/env bash
# Creates benchmarks/.venv (gitignored) and installs Quix Streams with the pinned versions of
# requirements.txt from PyPI. Idempotent: an existing venv is reused and brought to the pins.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
venv="$here/../../.venv"
python="${PYTHON:-python3}"
if [ ! -x "$venv/bin/python" ]; then
    "$python" -m venv "$venv"
fi
"$venv/bin/pip" install --quiet --disable-pip-version-check -r "$here/requirements.txt"
"$venv/bin/python" -c "import quixstreams; print('quixstreams', quixstreams.__version__)"
