# The `library` section of bench/run (sourced; uses its BIN, WORK, BASE, SESSION,
# PASSWORD, ROUNDS, measure, median and STOP).
#
# Throughput: a local library of 1,000 items; wrk at 50 connections on the item list and
# an item get, interleaved with the HTTPS baseline (fleet-lcm health).
# Upload: a file of UPLOAD_MIB MiB (2048) pushed through an update session (create
# session, add a PUSH file, curl -T to its endpoint, complete) to a second depotd that
# serves plain HTTP (the issue says "over loopback HTTP"; TLS would be depotd's cost
# alone, as the baseline has none). Baseline: curl -T of the same file to a loopback
# nginx WebDAV location plus `openssl dgst -sha256` of it. depotd also makes the blob
# durable (fsync) before it answers and nginx does not, so a second baseline adds a
# `sync` of nginx's copy. Peak RSS: VmHWM of that depotd, reset before each upload.

LIB_CONNECTIONS=${LIB_CONNECTIONS:-50}
LIB_ITEMS=${LIB_ITEMS:-1000}
UPLOAD_MIB=${UPLOAD_MIB:-2048}
# UPLOAD_FILE: reuse a file of random bytes of that size across runs (else made in WORK).
UPLOAD_FILE=${UPLOAD_FILE:-$WORK/upload.bin}


# base session -> a new local library's id
new_library() {
    curl -ksf -X POST "$1/api/content/local-library" -H "vmware-api-session-id: $2" \
        -H 'Content-Type: application/json' -d "{\"name\": \"$3\", \"type\": \"LOCAL\"}" | json_field
}

# ---- throughput -----------------------------------------------------------------------
LIB_ID=$(new_library "$BASE" "$SESSION" bench-library)
python3 bench/cls_items.py "$BASE" "$SESSION" "$LIB_ID" "$LIB_ITEMS"
ITEM_ID=$(curl -ksf "$BASE/api/content/library/item?library_id=$LIB_ID" -H "vmware-api-session-id: $SESSION" |
    python3 -c "import json,sys; ids = json.load(sys.stdin); assert len(ids) == $LIB_ITEMS, len(ids); print(ids[len(ids) // 2])")
LIB_CASES=(
    "baseline (fleet-lcm health)|Authorization: Bearer $TOKEN|/fleet-lcm/v1/health|"
    "item list ($LIB_ITEMS items)|vmware-api-session-id: $SESSION|/api/content/library/item?library_id=$LIB_ID|"
    "item get|vmware-api-session-id: $SESSION|/api/content/library/item/$ITEM_ID|"
)
declare -A LIB_RPS LIB_P50 LIB_P99
for round in $(seq 1 "$ROUNDS"); do
    echo "library round $round/$ROUNDS" >&2
    for c in "${LIB_CASES[@]}"; do
        IFS='|' read -r n h p sc <<<"$c"
        r=$(CONNECTIONS=$LIB_CONNECTIONS measure "$h" "$p" "$sc")
        LIB_RPS[$n]+="${r%% *} "
        LIB_P50[$n]+="$(echo "$r" | cut -d' ' -f2) "
        LIB_P99[$n]+="$(echo "$r" | cut -d' ' -f3) "
    done
done
base_rps=$(echo "${LIB_RPS[${LIB_CASES[0]%%|*}]}" | median)
printf '\ncontent library bench: %s connections, %s rounds of %ss, medians (SQLite, HTTPS)\n' \
    "$LIB_CONNECTIONS" "$ROUNDS" "$DURATION"
printf '%-30s %12s %10s %10s %12s  %s\n' case 'requests/s' 'p50 ms' 'p99 ms' 'vs baseline' 'target'
for c in "${LIB_CASES[@]}"; do
    n=${c%%|*}
    rps=$(echo "${LIB_RPS[$n]}" | median)
    case $n in
        item\ list*) target='>= 6000/s' ;;
        item\ get) target='>= 20000/s' ;;
        *) target='' ;;
    esac
    printf '%-30s %12.0f %10.2f %10.2f %12s  %s\n' "$n" "$rps" "$(echo "${LIB_P50[$n]}" | median)" \
        "$(echo "${LIB_P99[$n]}" | median)" "$(python3 -c "print('%.2fx' % ($rps / $base_rps))")" "$target"
done

# ---- upload -----------------------------------------------------------------------------
UPLOAD_BYTES=$((UPLOAD_MIB * 1024 * 1024))
if [ "$(stat -c %s "$UPLOAD_FILE" 2>/dev/null || echo 0)" != "$UPLOAD_BYTES" ]; then
    echo "library: writing $UPLOAD_MIB MiB of random bytes to $UPLOAD_FILE" >&2
    head -c "$UPLOAD_BYTES" /dev/urandom >"$UPLOAD_FILE"
fi
cat "$UPLOAD_FILE" >/dev/null # in the page cache for every contestant

# A second depotd on plain HTTP, with its own data dir.
HPORT=$(free_port)
DEPOTD_DATA_DIR=$WORK/data-http DEPOTD_ADMIN_PASSWORD=$PASSWORD $BIN serve --listen 127.0.0.1:$HPORT \
    --plain-http >"$WORK/http-out" 2>"$WORK/http-err" &
HSERVER=$!
STOP+=('kill $HSERVER; wait $HSERVER')
HBASE=http://127.0.0.1:$HPORT
for _ in $(seq 1 200); do curl -sf "$HBASE/health" >/dev/null 2>&1 && break; sleep 0.1; done
HSESSION=$(curl -sf -X POST "$HBASE/api/session" -u "administrator@vsphere.local:$PASSWORD" | json_field)
HLIB=$(new_library "$HBASE" "$HSESSION" bench-upload)
HITEM=$(curl -sf -X POST "$HBASE/api/content/library/item" -H "vmware-api-session-id: $HSESSION" \
    -H 'Content-Type: application/json' -d "{\"library_id\": \"$HLIB\", \"name\": \"upload\"}" | json_field)

# One upload through an update session -> "milliseconds peak_rss_kib"
depotd_upload() {
    local h=(-H "vmware-api-session-id: $HSESSION" -H 'Content-Type: application/json') start sid uri ms
    echo 5 >"/proc/$HSERVER/clear_refs"
    start=$(ms_now)
    sid=$(curl -sf -X POST "$HBASE/api/content/library/item/update-session" "${h[@]}" \
        -d "{\"library_item_id\": \"$HITEM\"}" | json_field)
    uri=$(curl -sf -X POST "$HBASE/api/content/library/item/update-session/$sid/file" "${h[@]}" \
        -d "{\"name\": \"upload.bin\", \"source_type\": \"PUSH\", \"size\": $UPLOAD_BYTES}" |
        json_field upload_endpoint uri)
    curl -sf -T "$UPLOAD_FILE" -o /dev/null "$uri" || { echo "library: the upload failed" >&2; exit 1; }
    curl -sf -X POST "$HBASE/api/content/library/item/update-session/$sid?action=complete" "${h[@]}" ||
        { echo "library: complete failed" >&2; exit 1; }
    ms=$(($(ms_now) - start))
    echo "$ms $(awk '$1 == "VmHWM:" {print $2}' "/proc/$HSERVER/status")"
}

# nginx, WebDAV PUT on plain HTTP, its body buffered in a temp file on the same file system.
DAV=$WORK/dav
mkdir -p "$DAV/root/dav"
DPORT=$(free_port)
cat >"$DAV/nginx.conf" <<NGINX
$([ "$(id -u)" = 0 ] && echo "user root;")
worker_processes 1;
pid $DAV/nginx.pid;
error_log $DAV/error.log;
events { worker_connections 64; }
http {
    access_log off;
    client_body_temp_path $DAV/body;
    proxy_temp_path $DAV/proxy;
    fastcgi_temp_path $DAV/fastcgi;
    uwsgi_temp_path $DAV/uwsgi;
    scgi_temp_path $DAV/scgi;
    server {
        listen 127.0.0.1:$DPORT;
        root $DAV/root;
        location /dav/ {
            dav_methods PUT;
            client_max_body_size 0;
        }
    }
}
NGINX
nginx -p "$DAV" -e "$DAV/error.log" -c "$DAV/nginx.conf"
STOP+=('nginx -p "$DAV" -e "$DAV/error.log" -c "$DAV/nginx.conf" -s stop; sleep 0.2')
for _ in $(seq 1 50); do curl -s -o /dev/null "http://127.0.0.1:$DPORT/" && break; sleep 0.1; done

# -> "curl_ms dgst_ms sync_ms"
nginx_upload() {
    local start put dgst
    start=$(ms_now)
    curl -sf -T "$UPLOAD_FILE" -o /dev/null "http://127.0.0.1:$DPORT/dav/upload.bin" ||
        { echo "library: the nginx PUT failed" >&2; exit 1; }
    put=$(($(ms_now) - start))
    start=$(ms_now)
    openssl dgst -sha256 "$UPLOAD_FILE" >/dev/null
    dgst=$(($(ms_now) - start))
    start=$(ms_now)
    sync "$DAV/root/dav/upload.bin"
    echo "$put $dgst $(($(ms_now) - start))"
}

declare -a UP_MS UP_HWM NG_PUT NG_DGST NG_SYNC NG_BASE NG_DURABLE
for round in $(seq 1 "$ROUNDS"); do
    echo "library upload round $round/$ROUNDS" >&2
    sync
    r=$(nginx_upload)
    read -r put dgst syn <<<"$r"
    rm -f "$DAV/root/dav/upload.bin"
    NG_PUT+=("$put") NG_DGST+=("$dgst") NG_SYNC+=("$syn")
    NG_BASE+=($((put + dgst))) NG_DURABLE+=($((put + dgst + syn)))
    sync
    r=$(depotd_upload)
    read -r ms hwm <<<"$r"
    UP_MS+=("$ms") UP_HWM+=("$hwm")
done
med() { printf '%s\n' "$@" | median; }
up=$(med "${UP_MS[@]}")
base=$(med "${NG_BASE[@]}")
durable=$(med "${NG_DURABLE[@]}")
printf '\nupload of %s MiB through an update session over loopback plain HTTP, medians of %s rounds\n' \
    "$UPLOAD_MIB" "$ROUNDS"
printf '%-52s %10s\n' 'baseline: nginx WebDAV PUT (curl -T)' "$(med "${NG_PUT[@]}") ms"
printf '%-52s %10s\n' '          openssl dgst -sha256' "$(med "${NG_DGST[@]}") ms"
printf '%-52s %10s\n' '          sync of the PUT file (not in the baseline)' "$(med "${NG_SYNC[@]}") ms"
printf '%-52s %10s\n' 'baseline (PUT + dgst)' "$base ms"
printf '%-52s %10s\n' 'durable baseline (PUT + dgst + sync)' "$durable ms"
printf '%-52s %10s  %s\n' 'depotd: session, PUT, complete (hashed, fsynced)' "$up ms" \
    "$(python3 -c "print('%.2fx baseline (target <= 1.25x), %.2fx durable baseline' % ($up / $base, $up / $durable))")"
printf '%-52s %10s  %s\n' 'depotd peak RSS during the upload (max of rounds)' \
    "$(printf '%s\n' "${UP_HWM[@]}" | sort -n | tail -1 | awk '{printf "%.1f MiB", $1 / 1024}')" '(target <= 100 MiB)'
printf 'rounds (ms): depotd %s; baseline %s; durable baseline %s\n' "${UP_MS[*]}" "${NG_BASE[*]}" "${NG_DURABLE[*]}"
