#!/usr/bin/env bash
# The S3 blob store against `aws s3 cp` on the same s3s-fs server: a SIZE_MIB (default
# 1024) random file written and read back both ways, ROUNDS times interleaved; prints
# the medians, their ratio (issue 15 asks at most 1.25) and the store's peak RSS (at
# most 150 MiB). Needs awscli (`pip install awscli`).
#
#   bench/s3.sh
#   SIZE_MIB=256 ROUNDS=1 PROFILE=dev bench/s3.sh   # quick, unoptimised build
set -euo pipefail
cd "$(dirname "$0")/.."

SIZE_MIB=${SIZE_MIB:-1024}
ROUNDS=${ROUNDS:-3}
PROFILE=${PROFILE:-release}
command -v aws >/dev/null || { echo "bench/s3.sh: awscli is missing (pip install awscli)" >&2; exit 1; }

cargo build --profile "$PROFILE" --locked -p depot-blobs --example s3_round_trip >&2
dir=$([ "$PROFILE" = dev ] && echo debug || echo "$PROFILE")
EXAMPLE=target/$dir/examples/s3_round_trip

# shellcheck source=scripts/s3.sh
. scripts/s3.sh
work=$(mktemp -d /tmp/depotd-s3-bench.XXXXXX)
previous=$(trap -p EXIT | sed -e "s/^trap -- '//" -e "s/' EXIT\$//")
# shellcheck disable=SC2064
trap "rm -rf \"$work\"; $previous" EXIT
head -c "$((SIZE_MIB * 1024 * 1024))" /dev/urandom >"$work/file"

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
ours=() theirs=() rss=()
for _ in $(seq 1 "$ROUNDS"); do
    /usr/bin/time -f "%M" -o "$work/rss" "$EXAMPLE" "$work/file" >"$work/ours"
    ours+=("$(awk '{print $1 + $2}' "$work/ours")")
    echo "depot-blobs put, get (s): $(cat "$work/ours")" >&2
    rss+=("$(($(cat "$work/rss") / 1024))")
    start=$(date +%s.%N)
    aws --endpoint-url "$DEPOTD_TEST_S3_ENDPOINT" s3 cp --quiet "$work/file" "s3://$DEPOTD_TEST_S3_BUCKET/awscli/file"
    aws --endpoint-url "$DEPOTD_TEST_S3_ENDPOINT" s3 cp --quiet "s3://$DEPOTD_TEST_S3_BUCKET/awscli/file" "$work/back"
    end=$(date +%s.%N)
    theirs+=("$(echo "$end - $start" | bc -l)")
    aws --endpoint-url "$DEPOTD_TEST_S3_ENDPOINT" s3 rm --quiet "s3://$DEPOTD_TEST_S3_BUCKET/awscli/file"
    rm -f "$work/back"
done
o=$(printf '%s\n' "${ours[@]}" | median)
t=$(printf '%s\n' "${theirs[@]}" | median)
r=$(printf '%s\n' "${rss[@]}" | sort -n | tail -n 1)
printf 'S3 %s MiB write+read: depot-blobs %.2f s, aws s3 cp %.2f s, ratio %.2f (<= 1.25); peak RSS %s MiB (<= 150)\n' \
    "$SIZE_MIB" "$o" "$t" "$(echo "$o / $t" | bc -l)" "$r"
