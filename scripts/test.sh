#!/usr/bin/env bash
# The whole test suite: every crate's unit and integration tests, with the metadata
# conformance suite on SQLite and on PostgreSQL; the server's suite once more with its
# metadata on PostgreSQL; then the end-to-end suite that drives the release server with
# the official VCF SDK for Python (scripts/e2e.sh).
#
# PostgreSQL: set DEPOTD_TEST_POSTGRES_URL=postgres://user@host:port/db to use your
# own (each test works in a fresh schema and drops it); otherwise a throwaway cluster
# is started from the local PostgreSQL installation (installed when missing, as root).
set -euo pipefail
cd "$(dirname "$0")/.."

if [ -z "${DEPOTD_TEST_POSTGRES_URL:-}" ]; then
    # shellcheck source=scripts/postgres.sh
    . scripts/postgres.sh
fi
export DEPOTD_REQUIRE_POSTGRES=1

cargo test --workspace --locked "$@"
# The server's own suite once more with its metadata on PostgreSQL.
DEPOTD_TEST_APP_DATABASE=postgres cargo test --locked -p depotd --test it "$@"
./scripts/e2e.sh
