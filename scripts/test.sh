#!/usr/bin/env bash
# The whole test suite: every crate's unit and integration tests, with the metadata
# conformance suite on SQLite and on PostgreSQL and the blob-store conformance suite on
# the file system and on a real S3-compatible server (s3s-fs, scripts/s3.sh); the
# server's suite once more with its metadata on PostgreSQL and its blobs on S3; the S3
# tests of the blob store and of the server's binary once more on moto, a second S3
# implementation (scripts/moto.sh); then the end-to-end suite that drives the release
# server with the official VCF SDK for Python (scripts/e2e.sh), on the embedded stores
# and again on PostgreSQL + S3.
#
# PostgreSQL: set DEPOTD_TEST_POSTGRES_URL=postgres://user@host:port/db to use your
# own (each test works in a fresh schema and drops it); otherwise a throwaway cluster
# is started from the local PostgreSQL installation (installed when missing, as root).
# S3: set DEPOTD_TEST_S3_ENDPOINT, DEPOTD_TEST_S3_BUCKET and the AWS_* credentials to use
# your own server (each test works under its own random prefix); otherwise s3s-fs is
# started (installed with cargo when missing).
set -euo pipefail
cd "$(dirname "$0")/.."

if [ -z "${DEPOTD_TEST_POSTGRES_URL:-}" ]; then
    # shellcheck source=scripts/postgres.sh
    . scripts/postgres.sh
fi
export DEPOTD_REQUIRE_POSTGRES=1
if [ -z "${DEPOTD_TEST_S3_ENDPOINT:-}" ]; then
    # shellcheck source=scripts/s3.sh
    . scripts/s3.sh
fi
export DEPOTD_REQUIRE_S3=1

cargo test --workspace --locked "$@"
# The server's own suite once more with its metadata on PostgreSQL and its blobs on S3.
DEPOTD_TEST_APP_DATABASE=postgres DEPOTD_TEST_APP_BLOBS=s3 cargo test --locked -p depotd --test it "$@"
# The blob store's S3 tests (names with "s3", and the fault-proxy tests) and the
# server's S3 process tests once more on moto. A separate bash: moto.sh's EXIT trap
# stops moto when it ends and leaves this shell's servers (and its DEPOTD_TEST_S3_* for
# e2e.sh) alone.
bash -c 'set -euo pipefail; . scripts/moto.sh
cargo test --locked -p depot-blobs --test it -- s3 faults::
cargo test --locked -p depotd --test it -- s3_blobs::'
./scripts/e2e.sh
# The end-to-end suite once more with every depotd it starts (and the CLI runs) on a
# fresh PostgreSQL schema and a fresh prefix of the S3 test bucket, on the binary just
# built. test_replicas.py is left out: its replicas are on PostgreSQL + S3 in either
# run, so a second run would test nothing new.
DEPOTD_BIN=$PWD/target/release/depotd DEPOTD_E2E_STORES=postgres-s3 \
    ./scripts/e2e.sh --ignore=e2e/test_replicas.py
