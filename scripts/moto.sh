# Starts moto's S3 server (in memory, from PyPI) on 127.0.0.1 for the tests: a second
# opinion beside s3s-fs (scripts/s3.sh). moto differs where it matters: it lists
# multipart uploads, answers conditional GETs, computes real multipart ETags and
# refuses parts under 5 MiB but the last.
#
# Requests are signed with an access key of a moto IAM user and moto checks them, so
# wrong credentials are refused as on a real server.
#
# Source it from bash: `. scripts/moto.sh`. It exports what scripts/s3.sh does
# (DEPOTD_TEST_S3_ENDPOINT, DEPOTD_TEST_S3_BUCKET, AWS_ACCESS_KEY_ID,
# AWS_SECRET_ACCESS_KEY, DEPOTD_REQUIRE_S3=1), plus DEPOTD_TEST_S3_FLAVOR=moto (for a
# case that hits a gap of moto's, to skip it naming the gap) and unsets
# DEPOTD_TEST_S3_ROOT (moto keeps objects in memory: it has no files to look at). The
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
    # Requests are checked (signature and IAM policy) after the first four: the set-up's.
    INITIAL_NO_AUTH_ACTION_COUNT=4 "$venv/bin/moto_server" -H 127.0.0.1 -p "$port" >"$tmp/log" 2>&1 &
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
    # The first requests (INITIAL_NO_AUTH_ACTION_COUNT, set above) go unchecked: they
    # make the bucket and a user allowed s3:*, and its access key. Every request after
    # them must be signed with that key (moto checks the SigV4 signature).
    local keys
    keys=$("$venv/bin/python" - "http://127.0.0.1:$port" "$bucket" <<'PY'
import json, sys
import boto3
endpoint, bucket = sys.argv[1:3]
anyone = dict(endpoint_url=endpoint, region_name="us-east-1",
              aws_access_key_id="setup", aws_secret_access_key="setup")
boto3.client("s3", **anyone).create_bucket(Bucket=bucket)
iam = boto3.client("iam", **anyone)
iam.create_user(UserName="depotd-test")
iam.put_user_policy(UserName="depotd-test", PolicyName="s3", PolicyDocument=json.dumps(
    {"Version": "2012-10-17",
     "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}))
key = iam.create_access_key(UserName="depotd-test")["AccessKey"]
print(key["AccessKeyId"], key["SecretAccessKey"])
PY
    ) || { cat "$tmp/log" >&2; return 1; }
    export AWS_ACCESS_KEY_ID=${keys%% *}
    export AWS_SECRET_ACCESS_KEY=${keys#* }
    export DEPOTD_TEST_S3_ENDPOINT="http://127.0.0.1:$port"
    export DEPOTD_TEST_S3_BUCKET=$bucket
    export DEPOTD_TEST_S3_FLAVOR=moto
    unset DEPOTD_TEST_S3_ROOT
    export DEPOTD_REQUIRE_S3=1
    echo "moto.sh: moto $DEPOTD_MOTO_VERSION ready at $DEPOTD_TEST_S3_ENDPOINT, bucket $bucket" >&2
}

depotd_moto_start
