#!/usr/bin/env bash
# Bring up the native (no Docker) halfstack: etcd, PostgreSQL and Redis on
# 127.0.0.1, installing Debian packages where something is missing.
# Idempotent: services that already answer are left alone.
#
#   HALFSTACK_ETCD_PORT   etcd client port (default 8121; peer port = +1)
#   HALFSTACK_PG_PORT     PostgreSQL port  (default 5432)
#   HALFSTACK_REDIS_PORT  Redis port       (default 6379)
#
# The chosen ports are written to .halfstack/env (KEY=VALUE lines).
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$REPO_ROOT"

ETCD_PORT="${HALFSTACK_ETCD_PORT:-8121}"
PG_PORT="${HALFSTACK_PG_PORT:-5432}"
REDIS_PORT="${HALFSTACK_REDIS_PORT:-6379}"
HOST=127.0.0.1

mkdir -p "$HALFSTACK_DIR"

# --- etcd ------------------------------------------------------------------

etcd_healthy() {
    ETCDCTL_API=3 etcdctl --endpoints "${HOST}:$1" --dial-timeout=2s --command-timeout=3s \
        endpoint health >/dev/null 2>&1
}

start_etcd() {
    local port="$1" peer=$(($1 + 1)) dir
    # The default instance lives in .halfstack/etcd; others get their own folder.
    if [ "$port" = 8121 ]; then dir="${HALFSTACK_DIR}/etcd"; else dir="${HALFSTACK_DIR}/etcd-${port}"; fi
    local pidfile="${dir}/etcd.pid" logfile="${dir}/etcd.log"

    if ! command -v etcd >/dev/null 2>&1 || ! command -v etcdctl >/dev/null 2>&1; then
        apt_install etcd-server etcd-client
    fi

    if pid_alive "$pidfile" etcd; then
        if wait_until 15 etcd_healthy "$port"; then
            log "etcd: ours, already running on ${HOST}:${port} (pid $(cat "$pidfile"))"
            return 0
        fi
        die "etcd: our etcd (pid $(cat "$pidfile")) runs but ${HOST}:${port} is not healthy; see ${logfile}, or run scripts/halfstack-down.sh and retry"
    fi
    if [ -e "$pidfile" ]; then
        log "etcd: removing stale pidfile ${pidfile}"
        rm -f "$pidfile"
    fi

    if port_open "$HOST" "$port"; then
        if etcd_healthy "$port"; then
            log "etcd: an etcd not started by this script answers on ${HOST}:${port}; using it"
            return 0
        fi
        die "etcd: ${HOST}:${port} is taken by something that is not a healthy etcd; free it or set HALFSTACK_ETCD_PORT"
    fi
    if port_open "$HOST" "$peer"; then
        die "etcd: peer port ${HOST}:${peer} is taken; free it or set HALFSTACK_ETCD_PORT"
    fi

    mkdir -p "${dir}/data"
    chmod 700 "${dir}/data"
    log "etcd: starting on ${HOST}:${port} (peer ${peer}), data in ${dir}/data, log ${logfile}"
    # setsid -f puts etcd in its own session so that it outlives this script and
    # its process group; the inner shell records its own pid, then becomes etcd.
    # shellcheck disable=SC2016  # $$ and "$@" expand in the inner shell
    setsid -f bash -c 'echo $$ >"$0"; exec "$@"' "$pidfile" \
        nohup etcd \
        --name halfstack \
        --data-dir "${dir}/data" \
        --listen-client-urls "http://${HOST}:${port}" \
        --advertise-client-urls "http://${HOST}:${port}" \
        --listen-peer-urls "http://${HOST}:${peer}" \
        --initial-advertise-peer-urls "http://${HOST}:${peer}" \
        --initial-cluster "halfstack=http://${HOST}:${peer}" \
        --initial-cluster-state new \
        --initial-cluster-token halfstack \
        </dev/null >>"$logfile" 2>&1

    if ! wait_until 30 etcd_healthy "$port"; then
        tail -n 20 "$logfile" >&2 || true
        die "etcd: did not become healthy on ${HOST}:${port} within 30s (log: ${logfile})"
    fi
    log "etcd: up on ${HOST}:${port} (pid $(cat "$pidfile"))"
}

# --- PostgreSQL ------------------------------------------------------------

pg_ready() {
    pg_isready -q -h "$HOST" -p "$1" -t 2 >/dev/null 2>&1
}

pg_login_ok() {
    psql -h "$HOST" -p "$1" -U postgres -w -d postgres -tAc 'select 1' >/dev/null 2>&1
}

# Print "VERSION PORT STATUS" of the newest cluster named main, if any.
pg_main_cluster() {
    command -v pg_lsclusters >/dev/null 2>&1 || return 0
    pg_lsclusters -h 2>/dev/null | awk '$2 == "main" { print $1, $3, $4 }' | sort -V | tail -n 1
}

# Debian's default pg_hba.conf asks TCP clients for a password; the postgres
# role has none, so put a trust rule for it on 127.0.0.1 ahead of the rest.
pg_allow_local_trust() {
    local ver="$1" hba
    hba="/etc/postgresql/${ver}/main/pg_hba.conf"
    [ -f "$hba" ] || die "postgresql: ${hba} not found"
    if ! grep -q '^# added by backend.ai halfstack' "$hba"; then
        log "postgresql: adding a trust rule for postgres on 127.0.0.1 to ${hba}"
        # The first matching rule wins, so the new rules go on top; 'cat >' keeps
        # the file's owner and mode.
        # shellcheck disable=SC2016  # expanded by the inner shell
        as_root sh -c 'tmp="$(mktemp)" &&
            { printf "%s\n" "# added by backend.ai halfstack" \
                "host all postgres 127.0.0.1/32 trust" "host all postgres ::1/128 trust"
              cat "$1"; } >"$tmp" && cat "$tmp" >"$1" && rm -f "$tmp"' sh "$hba"
        as_root pg_ctlcluster --skip-systemctl-redirect "$ver" main reload
    fi
}

ensure_postgres() {
    local port="$1" installed_here=0 info ver cport status
    if pg_ready "$port"; then
        log "postgresql: already answering on ${HOST}:${port}"
    else
        command -v pg_isready >/dev/null 2>&1 || apt_install postgresql-client
        if pg_ready "$port"; then
            log "postgresql: already answering on ${HOST}:${port}"
        else
            if ! pkg_installed postgresql; then
                apt_install postgresql
                mkdir -p "${HALFSTACK_DIR}/postgres"
                touch "${HALFSTACK_DIR}/postgres/installed-by-halfstack"
                installed_here=1
            fi
            info="$(pg_main_cluster)"
            if [ -z "$info" ]; then
                ver="$(find /usr/lib/postgresql -mindepth 1 -maxdepth 1 -printf '%f\n' 2>/dev/null | sort -V | tail -n 1)"
                [ -n "$ver" ] || die "postgresql: installed, but no server version found under /usr/lib/postgresql"
                log "postgresql: creating cluster ${ver}/main on port ${port}"
                as_root pg_createcluster -p "$port" "$ver" main >/dev/null
                info="$(pg_main_cluster)"
            fi
            read -r ver cport status <<<"$info"
            if [ "$cport" != "$port" ]; then
                if [ "$installed_here" = 1 ] || [ -f "${HALFSTACK_DIR}/postgres/installed-by-halfstack" ]; then
                    log "postgresql: moving cluster ${ver}/main from port ${cport} to ${port}"
                    if [ "$status" = online ]; then
                        as_root pg_ctlcluster --skip-systemctl-redirect "$ver" main stop
                    fi
                    as_root pg_conftool "$ver" main set port "$port"
                    status=down
                elif [ -n "${HALFSTACK_PG_PORT:-}" ]; then
                    die "postgresql: cluster ${ver}/main is configured for port ${cport}, not HALFSTACK_PG_PORT=${port}"
                else
                    log "postgresql: cluster ${ver}/main uses port ${cport}; using that"
                    port="$cport"
                    PG_PORT="$cport"
                fi
            fi
            if [ "$status" != online ]; then
                log "postgresql: starting cluster ${ver}/main"
                as_root pg_ctlcluster --skip-systemctl-redirect "$ver" main start
            fi
            wait_until 30 pg_ready "$port" \
                || die "postgresql: cluster ${ver}/main did not answer on ${HOST}:${port} within 30s"
            log "postgresql: up on ${HOST}:${port}"
        fi
    fi

    if ! pg_login_ok "$port"; then
        info="$(pg_main_cluster)"
        ver="${info%% *}"
        if [ -f "${HALFSTACK_DIR}/postgres/installed-by-halfstack" ] && [ -n "$ver" ]; then
            pg_allow_local_trust "$ver"
            wait_until 10 pg_login_ok "$port" \
                || die "postgresql: still cannot log in as postgres on ${HOST}:${port} without a password"
        else
            die "postgresql: cannot log in as user postgres on ${HOST}:${port} without a password; allow it (e.g. 'host all postgres 127.0.0.1/32 trust' in pg_hba.conf) or point HALFSTACK_PG_PORT at a server that does"
        fi
    fi
}

# --- Redis -----------------------------------------------------------------

redis_ping() {
    [ "$(redis-cli -h "$HOST" -p "$1" ping 2>/dev/null)" = PONG ]
}

ensure_redis() {
    local port="$1" dir="${HALFSTACK_DIR}/redis"
    local pidfile="${dir}/redis-${port}.pid" logfile="${dir}/redis-${port}.log"
    command -v redis-cli >/dev/null 2>&1 || apt_install redis-tools
    if redis_ping "$port"; then
        if pid_alive "$pidfile" redis-server; then
            log "redis: ours, already running on ${HOST}:${port}"
        else
            log "redis: already answering on ${HOST}:${port}"
        fi
        return 0
    fi
    if pid_alive "$pidfile" redis-server; then
        wait_until 10 redis_ping "$port" && { log "redis: ours, running on ${HOST}:${port}"; return 0; }
        die "redis: our redis-server ($(cat "$pidfile")) runs but does not answer on ${HOST}:${port}; see ${logfile}"
    fi
    rm -f "$pidfile"
    command -v redis-server >/dev/null 2>&1 || apt_install redis-server
    # Installing the package may have started the system's own server.
    if redis_ping "$port"; then
        log "redis: already answering on ${HOST}:${port}"
        return 0
    fi
    port_open "$HOST" "$port" && die "redis: ${HOST}:${port} is taken by something that is not Redis; set HALFSTACK_REDIS_PORT"
    mkdir -p "$dir"
    log "redis: starting on ${HOST}:${port} (log ${logfile})"
    redis-server --daemonize yes --bind "$HOST" --port "$port" --save "" --appendonly no \
        --dir "$dir" --pidfile "$pidfile" --logfile "$logfile" >/dev/null
    wait_until 15 redis_ping "$port" || die "redis: did not answer on ${HOST}:${port} within 15s (log: ${logfile})"
    log "redis: up on ${HOST}:${port}"
}

# --- main ------------------------------------------------------------------

start_etcd "$ETCD_PORT"
ensure_postgres "$PG_PORT"
ensure_redis "$REDIS_PORT"

cat >"${HALFSTACK_DIR}/env.tmp" <<ENV
# Written by scripts/halfstack-up.sh; ports of the running halfstack on 127.0.0.1.
HALFSTACK_PG_PORT=${PG_PORT}
HALFSTACK_REDIS_PORT=${REDIS_PORT}
HALFSTACK_ETCD_PORT=${ETCD_PORT}
ENV
mv "${HALFSTACK_DIR}/env.tmp" "${HALFSTACK_DIR}/env"
log "halfstack ready: postgresql ${HOST}:${PG_PORT}, redis ${HOST}:${REDIS_PORT}, etcd ${HOST}:${ETCD_PORT} (.halfstack/env)"
