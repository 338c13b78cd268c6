# Starts a throwaway S3-compatible server (s3s-fs) on 127.0.0.1 for the tests, with a
# bucket and fixed test credentials, and exports DEPOTD_TEST_S3_ENDPOINT,
# DEPOTD_TEST_S3_BUCKET, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, DEPOTD_TEST_S3_ROOT
# (the server's root directory: bucket B's object K is the file $DEPOTD_TEST_S3_ROOT/B/K,
# its modification time the object's Last-Modified) and DEPOTD_REQUIRE_S3=1. Source it from bash: `. scripts/s3.sh`; the server is stopped and
# its directory removed when the sourcing shell exits (after whatever EXIT trap was
# already set, e.g. by scripts/postgres.sh). Installs s3s-fs 0.14.1 from crates.io when
# it is missing (newer versions need a newer Rust); that compiles for a few minutes.

depotd_s3_start() {
    local bin port tmp bucket i
    bin=$(command -v s3s-fs || true)
    if [ -z "$bin" ]; then
        echo "s3.sh: installing s3s-fs 0.14.1 from crates.io" >&2
        cargo install --locked s3s-fs --version 0.14.1 --features binary >&2 || return 1
        bin=$(command -v s3s-fs || echo "$HOME/.cargo/bin/s3s-fs")
    fi
    port=${DEPOTD_TEST_S3_PORT:-$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')}
    tmp=$(mktemp -d /tmp/depotd-s3.XXXXXX)
    bucket=depotd-test
    # An s3s-fs bucket is a directory in its root.
    mkdir -p "$tmp/root/$bucket"
    "$bin" --host 127.0.0.1 --port "$port" --access-key depotd-test-key \
        --secret-key depotd-test-secret "$tmp/root" >"$tmp/log" 2>&1 &
    DEPOTD_S3_PID=$!
    DEPOTD_S3_TMP=$tmp
    for i in $(seq 1 100); do
        if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
            break
        fi
        if ! kill -0 "$DEPOTD_S3_PID" 2>/dev/null; then
            cat "$tmp/log" >&2; return 1
        fi
        sleep 0.1
    done
    export DEPOTD_TEST_S3_ENDPOINT="http://127.0.0.1:$port"
    export DEPOTD_TEST_S3_BUCKET=$bucket
    export DEPOTD_TEST_S3_ROOT="$tmp/root"
    export AWS_ACCESS_KEY_ID=depotd-test-key
    export AWS_SECRET_ACCESS_KEY=depotd-test-secret
    export DEPOTD_REQUIRE_S3=1
    local previous
    previous=$(trap -p EXIT | sed -e "s/^trap -- '//" -e "s/' EXIT\$//")
    # `|| true`: under `set -e` a failing command in an EXIT trap would become the
    # script's exit status (wait reports the SIGTERM it sent: 143).
    # shellcheck disable=SC2064
    trap "kill $DEPOTD_S3_PID 2>/dev/null || true; wait $DEPOTD_S3_PID 2>/dev/null || true; rm -rf \"$DEPOTD_S3_TMP\"; $previous" EXIT
    echo "s3.sh: s3s-fs ready at $DEPOTD_TEST_S3_ENDPOINT, bucket $bucket" >&2
}

depotd_s3_start
