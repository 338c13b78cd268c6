# Starts moto's S3 server (in memory, from PyPI) on 127.0.0.1 for the tests: a second
# opinion beside s3s-fs (scripts/s3.sh). moto differs where it matters: it lists
# multipart uploads, answers conditional GETs, computes real multipart ETags and
# refuses parts under 5 MiB but the last.
#
# Source it from bash: `. scripts/moto.sh`. It exports what scripts/s3.sh does
# (DEPOTD_TEST_S3_ENDPOINT, DEPOTD_TEST_S3_BUCKET, AWS_ACCESS_KEY_ID,
# AWS_SECRET_ACCESS_KEY, DEPOTD_REQUIRE_S3=1), plus DEPOTD_TEST_S3_FLAVOR=moto (tests
# skip the cases that hit a gap of moto's, each naming it) and no DEPOTD_TEST_S3_ROOT
# (moto keeps objects in memory: the tests that look at the server's files skip). The
# server is stopped when the sourcing shell exits (after whatever EXIT trap was already
# set). moto[server] is installed into target/moto-venv when missing (needs python3
# with the venv module and access to PyPI).

DEPOTD_MOTO_VERSION=5.2.5

depotd_moto_start() {
    local python venv port tmp bucket i
    python=${PYTHON:-python3}
    venv=target/moto-venv
    if [ "$(cat "$venv/.version" 2>/dev/null || true)" != "$DEPOTD_MOTO_VERSION" ]; then
        echo "moto.sh: installing moto[server]==$DEPOTD_MOTO_VERSION into $venv" >&2
        rm -rf "$venv"
        "$python" -m venv "$venv" || return 1
        "$venv/bin/python" -m pip install --quiet --disable-pip-version-check \
            "moto[server]==$DEPOTD_MOTO_VERSION" >&2 || return 1
        # Written last: an interrupted install is redone next time.
        echo "$DEPOTD_MOTO_VERSION" >"$venv/.version"
    fi
    port=$("$python" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    tmp=$(mktemp -d /tmp/depotd-moto.XXXXXX)
    bucket=depotd-test
    "$venv/bin/moto_server" -H 127.0.0.1 -p "$port" >"$tmp/log" 2>&1 &
    DEPOTD_MOTO_PID=$!
    DEPOTD_MOTO_TMP=$tmp
    local previous
    previous=$(trap -p EXIT | sed -e "s/^trap -- '//" -e "s/' EXIT\$//")
    # `|| true`: under `set -e` a failing command in an EXIT trap would become the
    # script's exit status (wait reports the SIGTERM it sent: 143).
    # shellcheck disable=SC2064
    trap "kill $DEPOTD_MOTO_PID 2>/dev/null || true; wait $DEPOTD_MOTO_PID 2>/dev/null || true; rm -rf \"$DEPOTD_MOTO_TMP\" || true; $previous" EXIT
    # Up when it answers HTTP (the port opens a little before).
    for i in $(seq 1 200); do
        if "$python" -c "import urllib.request, sys; urllib.request.urlopen('http://127.0.0.1:$port/moto-api/', timeout=1)" 2>/dev/null; then
            break
        fi
        if ! kill -0 "$DEPOTD_MOTO_PID" 2>/dev/null || [ "$i" -eq 200 ]; then
            echo "moto.sh: moto_server did not start:" >&2
            cat "$tmp/log" >&2
            return 1
        fi
        sleep 0.1
    done
    # moto accepts any credentials; these are only what the tests sign with.
    export AWS_ACCESS_KEY_ID=depotd-test-key
    export AWS_SECRET_ACCESS_KEY=depotd-test-secret
    # A bucket is made by a PUT on its name (path-style; moto does not check signatures).
    "$python" -c "
import urllib.request
r = urllib.request.Request('http://127.0.0.1:$port/$bucket', method='PUT')
urllib.request.urlopen(r, timeout=10)
" || { cat "$tmp/log" >&2; return 1; }
    export DEPOTD_TEST_S3_ENDPOINT="http://127.0.0.1:$port"
    export DEPOTD_TEST_S3_BUCKET=$bucket
    export DEPOTD_TEST_S3_FLAVOR=moto
    unset DEPOTD_TEST_S3_ROOT
    export DEPOTD_REQUIRE_S3=1
    echo "moto.sh: moto $DEPOTD_MOTO_VERSION ready at $DEPOTD_TEST_S3_ENDPOINT, bucket $bucket" >&2
}

depotd_moto_start
