# The `subscribed` section of bench/run (sourced; uses its BIN, WORK, BASE, SESSION,
# SERVER and STOP).
#
# Immediate sync: a static VCSP tree (lib.json, items.json, <item>/item.json,
# <item>/<file>, as depotd's publisher writes them; opaque etags, as vCenter's, so no
# content is known in advance) of SUB_FILES files (200) totalling SUB_MIB MiB (4096),
# one item per file, served by a loopback nginx on plain HTTP. depotd subscribes with
# on_demand=false and syncs; the time is from the sync request to the library's new
# last_sync_time, with every item cached. Baseline: the best of `wget --mirror` of the
# tree (nginx autoindex) and SUB_PARALLEL (4) parallel `curl | openssl dgst -sha256`,
# in the same run; also `wget --mirror` followed by `sync` (the disk write that depotd
# waits for, as it makes each blob durable before it is visible). Peak RSS: VmHWM of depotd, reset before the sync.
# Metadata: a tree of SUB_META_ITEMS (10,000) items, each with one file never fetched:
# an on-demand library's first sync (metadata-only, 10,000 new items), then a sync with
# lib.json unchanged (the version check).

SUB_FILES=${SUB_FILES:-200}
SUB_MIB=${SUB_MIB:-4096}
SUB_PARALLEL=${SUB_PARALLEL:-4}
SUB_META_ITEMS=${SUB_META_ITEMS:-10000}
SUB=$WORK/subscribed
mkdir -p "$SUB"

sub_ms() { date +%s%3N; }
sub_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

# dir items file_bytes content(random|zero) -> writes a VCSP tree
sub_tree() {
    python3 - "$@" <<'PY'
import json, os, sys, uuid
root, items, size, content = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
os.makedirs(root, exist_ok=True)
listed = []
for i in range(items):
    name = f"item{i:05d}"
    os.makedirs(f"{root}/{name}", exist_ok=True)
    path = f"{root}/{name}/{name}.iso"
    if content == "random":
        with open("/dev/urandom", "rb") as src, open(path, "wb") as out:
            left = size
            while left:
                chunk = src.read(min(left, 8 << 20))
                out.write(chunk)
                left -= len(chunk)
    else:
        open(path, "wb").close()
        size = 0
    item = {"id": f"urn:uuid:{uuid.UUID(int=i + 1)}", "name": name, "description": "",
            "type": "vcsp.iso", "version": "1", "created": "2025-01-01T00:00:00Z",
            "selfHref": f"{name}/item.json",
            "files": [{"name": f"{name}.iso", "size": str(size), "etag": f"opaque-{i}-{size}",
                       "hrefs": [f"{name}/{name}.iso"]}],
            "properties": {}}
    with open(f"{root}/{name}/item.json", "w") as out:
        json.dump(item, out)
    listed.append(item)
with open(f"{root}/items.json", "w") as out:
    json.dump({"items": listed}, out)
with open(f"{root}/lib.json", "w") as out:
    json.dump({"vcspVersion": "2", "version": "2", "contentVersion": "1",
               "id": f"urn:uuid:{uuid.uuid4()}", "name": os.path.basename(root),
               "created": "2025-01-01T00:00:00Z",
               "capabilities": {"transferIn": ["httpGet"], "transferOut": ["httpGet"]},
               "itemsHref": "items.json"}, out)
PY
}

SUB_BYTES=$((SUB_MIB * 1024 * 1024 / SUB_FILES))
echo "subscribed: writing $SUB_FILES files of $SUB_BYTES bytes" >&2
sub_tree "$SUB/www/big" "$SUB_FILES" "$SUB_BYTES" random
sub_tree "$SUB/www/meta" "$SUB_META_ITEMS" 0 zero

SPORT=$(sub_port)
cat >"$SUB/nginx.conf" <<NGINX
$([ "$(id -u)" = 0 ] && echo "user root;")
worker_processes 2;
pid $SUB/nginx.pid;
error_log $SUB/error.log;
events { worker_connections 256; }
http {
    access_log off;
    sendfile on;
    client_body_temp_path $SUB/body;
    proxy_temp_path $SUB/proxy;
    fastcgi_temp_path $SUB/fastcgi;
    uwsgi_temp_path $SUB/uwsgi;
    scgi_temp_path $SUB/scgi;
    server {
        listen 127.0.0.1:$SPORT;
        root $SUB/www;
        autoindex on;
    }
}
NGINX
nginx -p "$SUB" -e "$SUB/error.log" -c "$SUB/nginx.conf"
STOP+=('nginx -p "$SUB" -e "$SUB/error.log" -c "$SUB/nginx.conf" -s stop; sleep 0.2')
SURL=http://127.0.0.1:$SPORT
for _ in $(seq 1 50); do curl -sf -o /dev/null "$SURL/big/lib.json" && break; sleep 0.1; done

sub_api() { # method path [body]
    curl -ksf -X "$1" "$BASE/api$2" -H "vmware-api-session-id: $SESSION" \
        -H 'Content-Type: application/json' ${3:+-d "$3"}
}
sub_library() { # url on_demand -> id
    sub_api POST /content/subscribed-library "{\"name\": \"sub-$RANDOM$RANDOM\", \"type\": \"SUBSCRIBED\",
        \"subscription_info\": {\"subscription_url\": \"$1\", \"authentication_method\": \"NONE\",
        \"on_demand\": $2, \"automatic_sync_enabled\": false}}" | python3 -c 'import json,sys; print(json.load(sys.stdin))'
}
sub_last_sync() {
    sub_api GET "/content/subscribed-library/$1" |
        python3 -c 'import json,sys; print(json.load(sys.stdin).get("last_sync_time") or "")'
}
sub_sync() { # id -> milliseconds from the request to the library's new last_sync_time
    # The end is the server's own record (last_sync_time, in ms, written as the sync
    # ends), read by a slow poll: a tight poll (a TLS handshake and a python3 each time)
    # took CPU from the server it measured, on a 2-core machine.
    local before start now
    before=$(sub_last_sync "$1")
    start=$(sub_ms)
    sub_api POST "/content/subscribed-library/$1?action=sync" >/dev/null
    while :; do
        now=$(sub_last_sync "$1")
        [ -n "$now" ] && [ "$now" != "$before" ] && break
        [ $(( $(sub_ms) - start )) -gt 3600000 ] && { echo "subscribed: sync of $1 never finished" >&2; exit 1; }
        sleep 0.25
    done
    python3 -c 'import sys; from datetime import datetime
print(round(datetime.fromisoformat(sys.argv[1].replace("Z", "+00:00")).timestamp() * 1000) - int(sys.argv[2]))' "$now" "$start"
}

# ---- immediate sync of SUB_MIB MiB vs wget / curl | openssl ------------------------------
sync && echo 3 >/proc/sys/vm/drop_caches 2>/dev/null || true
cat "$SUB"/www/big/*/*.iso >/dev/null # in the page cache for every contestant

start=$(sub_ms)
(cd "$SUB" && wget -q --mirror --no-parent -P "$SUB/wget" "$SURL/big/") || true
WGET_MS=$(( $(sub_ms) - start ))
rm -rf "$SUB/wget"
sync
# The same, durable: depotd syncs each blob to disk before it is visible.
start=$(sub_ms)
(cd "$SUB" && wget -q --mirror --no-parent -P "$SUB/wget" "$SURL/big/") || true
sync
WGET_SYNC_MS=$(( $(sub_ms) - start ))
rm -rf "$SUB/wget"
sync
start=$(sub_ms)
find "$SUB/www/big" -name '*.iso' -printf '%P\n' |
    xargs -P "$SUB_PARALLEL" -I{} sh -c "curl -sf '$SURL/big/{}' | openssl dgst -sha256 >/dev/null"
CURL_MS=$(( $(sub_ms) - start ))
BEST_MS=$(( WGET_MS < CURL_MS ? WGET_MS : CURL_MS ))

BIG=$(sub_library "$SURL/big/lib.json" false)
echo 5 >"/proc/$SERVER/clear_refs"
SYNC_MS=$(sub_sync "$BIG")
SUB_RSS=$(awk '$1 == "VmHWM:" {print $2}' "/proc/$SERVER/status")
UNCACHED=$(sub_api GET "/content/library/item?library_id=$BIG" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')
[ "$UNCACHED" = "$SUB_FILES" ] || { echo "subscribed: $UNCACHED of $SUB_FILES items synced" >&2; exit 1; }

# ---- metadata-only sync of SUB_META_ITEMS new items, then an unchanged one ---------------
META=$(sub_library "$SURL/meta/lib.json" true)
META_MS=$(sub_sync "$META")
NOCHANGE_MS=$(sub_sync "$META")

printf '\nsubscribed library bench: %s files, %s MiB, loopback nginx (plain HTTP)\n' "$SUB_FILES" "$SUB_MIB"
printf '%-52s %10s\n' 'wget --mirror' "${WGET_MS} ms"
printf '%-52s %10s\n' "curl | openssl dgst -sha256, $SUB_PARALLEL parallel" "${CURL_MS} ms"
printf '%-52s %10s\n' 'wget --mirror, then sync (durable)' "${WGET_SYNC_MS} ms"
printf '%-52s %10s %s\n' 'depotd immediate sync (on_demand=false)' "${SYNC_MS} ms" \
    "($(python3 -c "print('%.2fx of the best; target <= 1.15x; %.2fx of the durable wget' % ($SYNC_MS / $BEST_MS, $SYNC_MS / $WGET_SYNC_MS))"))"
printf '%-52s %10s %s\n' 'depotd peak RSS during the sync' "$((SUB_RSS / 1024)) MiB" '(target <= 150 MiB)'
printf '%-52s %10s %s\n' "metadata-only sync of $SUB_META_ITEMS new items" \
    "$(python3 -c "print('%.2f s' % ($META_MS / 1000))")" '(target <= 20 s)'
printf '%-52s %10s %s\n' "no-change sync of $SUB_META_ITEMS items (lib.json)" \
    "$(python3 -c "print('%.2f s' % ($NOCHANGE_MS / 1000))")" '(target <= 1 s)'
