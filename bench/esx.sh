# The `esx` section of bench/run (sourced; uses its BIN, WORK, PASSWORD, ROUNDS, STOP,
# median, json_field, ms_now and free_port).
#
# Import: a generated bundle of ESX_MIB MiB (1024) in VIBs of 4 MiB (stored, as VIBs
# are compressed already), pushed to a second depotd on plain HTTP (the baseline has no
# TLS either): POST /vum-fileupload, create$task PUSH, polled to SUCCEEDED, then the
# depot deleted (delete$task, force) so that the next round imports again. Baseline:
# `unzip` of the same file then `openssl dgst -sha256` of every extracted file, each
# round after a `sync`, interleaved. Peak RSS: VmHWM of that depotd, reset before each
# import.
# Content: GET .../offline/{depot}/content of a depot of ESX_CONTENT_VIBS (2,000) VIBs,
# ESX_CONTENT_GETS (30) times, median and slowest.

ESX_MIB=${ESX_MIB:-1024}
ESX_CONTENT_VIBS=${ESX_CONTENT_VIBS:-2000}
ESX_CONTENT_GETS=${ESX_CONTENT_GETS:-30}
ESX=$WORK/esx
mkdir -p "$ESX"

cargo build --release --locked -p depot-esx --features fixture --example write_bundle >&2
target/release/examples/write_bundle "$ESX/bundle.zip" $((ESX_MIB / 4)) 4096 >&2
target/release/examples/write_bundle "$ESX/content.zip" "$ESX_CONTENT_VIBS" 1 7 >&2

EPORT=$(free_port)
DEPOTD_DATA_DIR=$WORK/data-esx DEPOTD_ADMIN_PASSWORD=$PASSWORD $BIN serve --listen 127.0.0.1:$EPORT \
    --plain-http >"$WORK/esx-out" 2>"$WORK/esx-err" &
ESERVER=$!
STOP+=('kill $ESERVER; wait $ESERVER')
EBASE=http://127.0.0.1:$EPORT
for _ in $(seq 1 200); do curl -sf "$EBASE/health" >/dev/null 2>&1 && break; sleep 0.1; done
ESESSION=$(curl -sf -X POST "$EBASE/api/session" -u "administrator@vsphere.local:$PASSWORD" | json_field)
ESX_H=(-H "vmware-api-session-id: $ESESSION")

# task id -> waits for its end; prints the task's result JSON, or fails with its error
esx_wait() {
    local info status
    while :; do
        info=$(curl -sf "${ESX_H[@]}" "$EBASE/api/cis/tasks/$1")
        status=$(echo "$info" | json_field status)
        case $status in
            SUCCEEDED) echo "$info" | python3 -c 'import json,sys; print(json.dumps(json.load(sys.stdin).get("result")))'; return ;;
            FAILED) echo "esx: task $1 failed: $info" >&2; exit 1 ;;
        esac
        sleep 0.02
    done
}

# bundle -> the new depot's id (upload + import)
esx_import() {
    local file_id task
    file_id=$(curl -sf -X POST -T "$1" -H 'Content-Type: application/zip' "${ESX_H[@]}" \
        "$EBASE/vum-fileupload") || { echo "esx: the upload failed" >&2; exit 1; }
    task=$(curl -sf -X POST "${ESX_H[@]}" -H 'Content-Type: application/json' \
        -d "{\"source_type\": \"PUSH\", \"file_id\": \"$file_id\"}" \
        "$EBASE/api/esx/settings/depots/offline?vmw-task=true" | json_field) ||
        { echo "esx: create\$task failed" >&2; exit 1; }
    esx_wait "$task" | json_field depot
}

esx_delete() {
    local task
    task=$(curl -sf -X DELETE "${ESX_H[@]}" -H 'Content-Type: application/json' -d '{"force": true}' \
        "$EBASE/api/esx/settings/depots/offline/$1?vmw-task=true" | json_field)
    esx_wait "$task" >/dev/null
}

# -> "unzip_ms dgst_ms"
esx_baseline() {
    local start unzip
    rm -rf "$ESX/unzipped"
    sync
    start=$(ms_now)
    unzip -q -o "$ESX/bundle.zip" -d "$ESX/unzipped"
    unzip=$(($(ms_now) - start))
    start=$(ms_now)
    find "$ESX/unzipped" -type f -print0 | xargs -0 openssl dgst -sha256 >/dev/null
    echo "$unzip $(($(ms_now) - start))"
    rm -rf "$ESX/unzipped"
}

cat "$ESX/bundle.zip" >/dev/null # in the page cache for every contestant
declare -a ESX_MS ESX_HWM ESX_BASE ESX_UNZIP ESX_DGST
for round in $(seq 1 "$ROUNDS"); do
    echo "esx import round $round/$ROUNDS" >&2
    read -r unzip dgst <<<"$(esx_baseline)"
    ESX_UNZIP+=("$unzip") ESX_DGST+=("$dgst") ESX_BASE+=($((unzip + dgst)))
    sync
    echo 5 >"/proc/$ESERVER/clear_refs"
    start=$(ms_now)
    depot=$(esx_import "$ESX/bundle.zip")
    ESX_MS+=($(($(ms_now) - start)))
    ESX_HWM+=("$(awk '$1 == "VmHWM:" {print $2}' "/proc/$ESERVER/status")")
    esx_delete "$depot"
done

content_depot=$(esx_import "$ESX/content.zip")
declare -a ESX_GET
for _ in $(seq 1 "$ESX_CONTENT_GETS"); do
    ESX_GET+=("$(curl -sf -o /dev/null -w '%{time_total}' "${ESX_H[@]}" \
        "$EBASE/api/esx/settings/depots/offline/$content_depot/content")")
done
content_bytes=$(curl -sf "${ESX_H[@]}" "$EBASE/api/esx/settings/depots/offline/$content_depot/content" | wc -c)

emed() { printf '%s\n' "$@" | median; }
imp=$(emed "${ESX_MS[@]}")
base=$(emed "${ESX_BASE[@]}")
printf '\nESX offline depot import by PUSH of a %s MiB bundle over loopback plain HTTP, medians of %s rounds\n' \
    "$ESX_MIB" "$ROUNDS"
printf '%-52s %10s\n' 'baseline: unzip' "$(emed "${ESX_UNZIP[@]}") ms"
printf '%-52s %10s\n' '          openssl dgst -sha256 of the files' "$(emed "${ESX_DGST[@]}") ms"
printf '%-52s %10s\n' 'baseline (unzip + dgst)' "$base ms"
printf '%-52s %10s  %s\n' 'depotd: upload + create$task PUSH to SUCCEEDED' "$imp ms" \
    "$(python3 -c "print('%.2fx baseline (target <= 1.3x)' % ($imp / $base))")"
printf '%-52s %10s  %s\n' 'depotd peak RSS during the import (max of rounds)' \
    "$(printf '%s\n' "${ESX_HWM[@]}" | sort -n | tail -1 | awk '{printf "%.1f MiB", $1 / 1024}')" '(target <= 200 MiB)'
printf 'rounds (ms): depotd %s; baseline %s\n' "${ESX_MS[*]}" "${ESX_BASE[*]}"
printf '%-52s %10s  %s\n' "content of a depot of $ESX_CONTENT_VIBS VIBs ($content_bytes B)" \
    "$(python3 -c "import sys; print('%.1f ms' % (1000 * float(sys.argv[1])))" "$(emed "${ESX_GET[@]}")")" \
    "$(python3 -c "import sys; print('median; slowest %.1f ms (target <= 50 ms)' % (1000 * max(map(float, sys.argv[1:]))))" "${ESX_GET[@]}")"
