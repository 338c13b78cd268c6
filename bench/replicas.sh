# Sourced by bench/run (section `replicas`): the catalog GET and the task GET at
# $CONNECTIONS connections through two replicas against one replica, on one PostgreSQL
# (scripts/postgres.sh) and one S3-compatible bucket (scripts/s3.sh). Both go through
# the same nginx balancer (plain HTTP, as in the README's "Scale out" example), so the
# ratio compares one replica with two and nothing else; a direct run against one replica
# (no balancer) is printed beside them. All share this machine's 2 cores, so two
# replicas cannot add CPU: the issue asks for >= 0.9x, i.e. that the second replica
# (its cache invalidation, its share of the database) costs little.
# Uses from bench/run: BIN, WORK, STOP, PASSWORD, THREADS, CONNECTIONS, DURATION,
# ROUNDS, median, free_port, json_field.

# scripts/postgres.sh replaces the EXIT trap (s3.sh chains it): bench/run's cleanup is
# put back in front, so the servers stop before their database and bucket go.
exit_trap() { trap -p EXIT | sed -e "s/^trap -- '//" -e "s/' EXIT\$//"; }
BENCH_TRAP=$(exit_trap)
trap - EXIT
if [ -z "${DEPOTD_TEST_POSTGRES_URL:-}" ]; then
    # shellcheck source=scripts/postgres.sh
    . scripts/postgres.sh
fi
if [ -z "${DEPOTD_TEST_S3_ENDPOINT:-}" ]; then
    # shellcheck source=scripts/s3.sh
    . scripts/s3.sh
fi
# shellcheck disable=SC2064
trap "$BENCH_TRAP; $(exit_trap)" EXIT
if ! command -v nginx >/dev/null && [ "$(id -u)" = 0 ]; then
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx-light >/dev/null 2>&1 || true
fi
command -v nginx >/dev/null || { echo "bench: nginx is missing (apt-get install nginx-light)" >&2; exit 1; }

REP=$WORK/replicas
mkdir -p "$REP/import"
openssl rand -hex 32 >"$REP/secret.key"
REP_FLAGS=(--database-url "$DEPOTD_TEST_POSTGRES_URL"
    --blob-store "s3://$DEPOTD_TEST_S3_BUCKET/bench-$(date +%s%N)"
    --s3-endpoint "$DEPOTD_TEST_S3_ENDPOINT")
# A finished task to read (a blob GC pass; it also migrates the database).
REP_TASK=$(DEPOTD_DATA_DIR=$REP/data-0 $BIN blobs gc --now "${REP_FLAGS[@]}" | cut -f1)
REP_FLAGS+=(--secret-key-file "$REP/secret.key")
REP_PORTS=()
for i in 1 2; do
    port=$(free_port)
    DEPOTD_DATA_DIR=$REP/data-$i DEPOTD_ADMIN_PASSWORD=$PASSWORD $BIN serve --plain-http \
        --listen "127.0.0.1:$port" "${REP_FLAGS[@]}" --import-dir "$REP/import" \
        --catalog-trust "$WORK/catalog-trust.pem" >"$REP/out-$i" 2>"$REP/err-$i" &
    STOP+=("kill $!; wait $! 2>/dev/null")
    REP_PORTS+=("$port")
    for _ in $(seq 1 300); do curl -sf "http://127.0.0.1:$port/health" >/dev/null 2>&1 && break; sleep 0.1; done
done

# nginx: one balancer per set of replicas (the README's upstream block).
balancer() { # name port replica-port... -> starts nginx
    local name=$1 port=$2 dir=$REP/nginx-$1 servers="" p
    shift 2
    for p in "$@"; do servers+="server 127.0.0.1:$p; "; done
    mkdir -p "$dir"
    cat >"$dir/nginx.conf" <<NGINX
$([ "$(id -u)" = 0 ] && echo "user root;")
worker_processes 1;
pid $dir/nginx.pid;
error_log $dir/error.log;
events { worker_connections 1024; }
http {
    access_log off;
    client_body_temp_path $dir/body;
    proxy_temp_path $dir/proxy;
    fastcgi_temp_path $dir/fastcgi;
    uwsgi_temp_path $dir/uwsgi;
    scgi_temp_path $dir/scgi;
    keepalive_requests 1000000;
    upstream depotd { $servers keepalive 64; }
    server {
        listen 127.0.0.1:$port;
        location / {
            proxy_pass http://depotd;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header Host \$http_host;
            proxy_buffering off;
        }
    }
}
NGINX
    nginx -p "$dir" -e "$dir/error.log" -c "$dir/nginx.conf"
    STOP+=("nginx -p '$dir' -e '$dir/error.log' -c '$dir/nginx.conf' -s stop")
}
ONE_PORT=$(free_port) TWO_PORT=$(free_port)
balancer one "$ONE_PORT" "${REP_PORTS[0]}"
balancer two "$TWO_PORT" "${REP_PORTS[@]}"
sleep 0.3

REP_BASE=http://127.0.0.1:${REP_PORTS[0]}
REP_TOKEN=$(curl -sf -X POST "$REP_BASE/v1/tokens" -H 'Content-Type: application/json' \
    -d "{\"username\":\"administrator@vsphere.local\",\"password\":\"$PASSWORD\"}" | json_field accessToken)
# A catalog of 1,000 patches, uploaded through the first replica.
python3 bench/gen_catalog.py 10 1000 100000 "$REP/import/pvc.json"
$BIN catalog sign "$REP/import/pvc.json" --key "$WORK/catalog-key.pem" --out "$REP/import/pvc.json.sig" 2>/dev/null
upload_id=$(curl -sf -X POST "$REP_BASE/v1/product-version-catalogs" -H "Authorization: Bearer $REP_TOKEN" \
    -H 'Content-Type: application/json' \
    -d "{\"productVersionCatalogFilePath\": \"$REP/import/pvc.json\", \"signatureFilePath\": \"$REP/import/pvc.json.sig\"}" |
    json_field taskId)
for _ in $(seq 1 300); do
    status=$(curl -sf "$REP_BASE/v1/product-version-catalogs/upload-tasks/$upload_id" \
        -H "Authorization: Bearer $REP_TOKEN" | json_field status)
    [ "$status" = IN_PROGRESS ] || break
    sleep 0.05
done
[ "$status" = SUCCEEDED ] || { echo "bench: catalog upload through a replica: $status" >&2; exit 1; }

rep_rps() { # port path header... -> requests/s of one wrk run
    local port=$1 path=$2 out; shift 2
    local args=(-t"$THREADS" -c"$CONNECTIONS" -d"${DURATION}s")
    for h in "$@"; do args+=(-H "$h"); done
    out=$(wrk "${args[@]}" "http://127.0.0.1:$port$path")
    if grep -q 'Non-2xx' <<<"$out"; then echo "bench: non-2xx answers from :$port$path" >&2; exit 1; fi
    awk '/Requests\/sec/ {printf "%.0f", $2}' <<<"$out"
}
rep_rps_split() { # path header... -> summed requests/s of two wrk runs at once, half
    # the connections each, straight to each replica (no balancer in the way)
    local path=$1 out i; shift
    local args=(-t1 -c"$((CONNECTIONS / 2))" -d"${DURATION}s")
    for h in "$@"; do args+=(-H "$h"); done
    for i in 0 1; do
        wrk "${args[@]}" "http://127.0.0.1:${REP_PORTS[$i]}$path" >"$REP/wrk-$i" &
    done
    wait
    if grep -q 'Non-2xx' "$REP/wrk-0" "$REP/wrk-1"; then echo "bench: non-2xx answers ($path)" >&2; exit 1; fi
    awk '/Requests\/sec/ {sum += $2} END {printf "%.0f", sum}' "$REP/wrk-0" "$REP/wrk-1"
}
declare -A REP_RPS
REP_CASES=("catalog GET (zstd)|/v1/product-version-catalogs|Accept-Encoding: zstd"
    "task GET (fleet-lcm)|/fleet-lcm/v1/tasks/$REP_TASK|")
for round in $(seq 1 "$ROUNDS"); do
    echo "replicas round $round/$ROUNDS" >&2
    for c in "${REP_CASES[@]}"; do
        IFS='|' read -r name path extra <<<"$c"
        headers=("Authorization: Bearer $REP_TOKEN")
        [ -n "$extra" ] && headers+=("$extra")
        REP_RPS["$name|direct"]+="$(rep_rps "${REP_PORTS[0]}" "$path" "${headers[@]}") "
        REP_RPS["$name|one"]+="$(rep_rps "$ONE_PORT" "$path" "${headers[@]}") "
        REP_RPS["$name|two"]+="$(rep_rps "$TWO_PORT" "$path" "${headers[@]}") "
        REP_RPS["$name|split"]+="$(rep_rps_split "$path" "${headers[@]}") "
    done
done
printf '\nreplicas bench: PostgreSQL + S3, %s connections, medians of %s rounds of %ss (plain HTTP; nginx balancer, 1 worker)\n' \
    "$CONNECTIONS" "$ROUNDS" "$DURATION"
printf '%-22s %12s %12s %10s %14s %14s %10s\n' case '1 direct' '2 direct' '2 vs 1' \
    'nginx->1' 'nginx->2' '2 vs 1'
for c in "${REP_CASES[@]}"; do
    name=${c%%|*}
    direct=$(echo "${REP_RPS["$name|direct"]}" | median)
    split=$(echo "${REP_RPS["$name|split"]}" | median)
    one=$(echo "${REP_RPS["$name|one"]}" | median)
    two=$(echo "${REP_RPS["$name|two"]}" | median)
    printf '%-22s %12.0f %12.0f %10s %14.0f %14.0f %10s\n' "$name" "$direct" "$split" \
        "$(python3 -c "print('%.2fx' % ($split / $direct))")" "$one" "$two" \
        "$(python3 -c "print('%.2fx' % ($two / $one))")"
done
echo '(requests/s; "2 direct": half the connections to each replica at once; target: 2 vs 1 >= 0.9x)'
