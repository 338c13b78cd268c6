#!/usr/bin/env bash
# End-to-end suite: drives a release depotd with the official VCF SDK for Python.
#
#   scripts/e2e.sh [pytest args...]      e.g. scripts/e2e.sh -k fleet -x
#
# 1. Python venv in target/e2e-venv with e2e/requirements.txt, plus the Ansible
#    collections named in e2e/ansible-collections.txt (copied out of the pinned
#    `ansible` wheel, see that file), rebuilt only when either file (or the Python
#    interpreter) changes. Needs python3 with the venv module (Debian: python3-venv)
#    and access to PyPI. PYTHON=... picks the interpreter.
# 2. cargo build --release --locked -p depotd (skipped when DEPOTD_BIN names a binary),
#    and depot-esx's write_bundle example (the generated ESX bundles).
# 3. pytest e2e -q; its exit status is this script's. "No tests collected" (5) fails.
#
# Outputs: target/e2e/depotd.log (server log), target/e2e-corpus/*.json (distinct
# JSON-RPC requests the SDK sent, session ids replaced by a dummy).
set -euo pipefail
cd "$(dirname "$0")/.."

python=${PYTHON:-python3}
venv=target/e2e-venv
requirements=e2e/requirements.txt
collections=e2e/ansible-collections.txt

sha256() { if command -v sha256sum >/dev/null; then sha256sum; else shasum -a 256; fi | cut -d' ' -f1; }

# The key: the requirements and collection files plus the interpreter's version.
key=$( { sha256 <"$requirements"; sha256 <"$collections"; "$python" -c 'import sys; print(sys.version)'; } | sha256)
if [ "$(cat "$venv/.key" 2>/dev/null || true)" != "$key" ]; then
    echo "e2e: creating $venv" >&2
    rm -rf "$venv"
    "$python" -m venv "$venv"
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$requirements"
    wheels=$(mktemp -d)
    "$venv/bin/python" -m pip download --quiet --disable-pip-version-check --no-deps \
        --only-binary=:all: --require-hashes --dest "$wheels" -r "$collections"
    "$venv/bin/python" e2e/install_collections.py "$collections" "$wheels"
    rm -rf "$wheels"
    # Written last: an interrupted install is redone next time.
    echo "$key" >"$venv/.key"
fi

if [ -z "${DEPOTD_BIN:-}" ]; then
    cargo build --release --locked -p depotd
fi
# The ESX bundle generator of e2e/test_offline_depots.py.
cargo build --release --locked -p depot-esx --features fixture --example write_bundle
export DEPOTD_WRITE_BUNDLE=${DEPOTD_WRITE_BUNDLE:-$PWD/target/release/examples/write_bundle}

status=0
PYTHONDONTWRITEBYTECODE=1 "$venv/bin/python" -m pytest e2e -q "$@" || status=$?
if [ "$status" -eq 5 ]; then
    echo "e2e: no tests were collected" >&2
    exit 1
fi
exit "$status"
