# Starts a throwaway PostgreSQL cluster on 127.0.0.1 for the tests and exports
# DEPOTD_TEST_POSTGRES_URL. Source it from bash: `. scripts/postgres.sh`; the cluster
# is stopped and removed when the sourcing shell exits. Installs PostgreSQL from
# Debian's packages when it is missing and the shell runs as root.

depotd_pg_bin() {
    ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1
}

depotd_pg_start() {
    local bin port tmp as_pg
    bin=$(depotd_pg_bin)
    if [ -z "$bin" ] || [ ! -x "$bin/initdb" ]; then
        if [ "$(id -u)" = 0 ]; then
            echo "postgres.sh: installing PostgreSQL from Debian's packages" >&2
            apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
            bin=$(depotd_pg_bin)
        fi
    fi
    if [ -z "$bin" ] || [ ! -x "$bin/initdb" ]; then
        echo "postgres.sh: PostgreSQL is not installed (apt-get install postgresql)" >&2
        return 1
    fi
    port=${DEPOTD_TEST_POSTGRES_PORT:-$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')}
    tmp=$(mktemp -d /tmp/depotd-pg.XXXXXX)
    as_pg=()
    if [ "$(id -u)" = 0 ]; then
        chown postgres "$tmp"
        as_pg=(runuser -u postgres --)
    fi
    "${as_pg[@]}" "$bin/initdb" -D "$tmp/data" -A trust -U depot -E UTF8 --no-locale >"$tmp/initdb.log" 2>&1 || {
        cat "$tmp/initdb.log" >&2; return 1; }
    "${as_pg[@]}" "$bin/pg_ctl" -D "$tmp/data" -l "$tmp/log" -w \
        -o "-c listen_addresses=127.0.0.1 -p $port -k $tmp -c fsync=off -c max_connections=300" start >/dev/null || {
        cat "$tmp/log" >&2; return 1; }
    "${as_pg[@]}" "$bin/createdb" -h 127.0.0.1 -p "$port" -U depot depot
    DEPOTD_PG_STOP="${as_pg[*]} $bin/pg_ctl -D $tmp/data -m fast stop"
    DEPOTD_PG_TMP=$tmp
    export DEPOTD_TEST_POSTGRES_URL="postgres://depot@127.0.0.1:$port/depot"
    trap 'eval "$DEPOTD_PG_STOP" >/dev/null 2>&1; rm -rf "$DEPOTD_PG_TMP"' EXIT
    echo "postgres.sh: PostgreSQL ready at $DEPOTD_TEST_POSTGRES_URL" >&2
}

depotd_pg_start
