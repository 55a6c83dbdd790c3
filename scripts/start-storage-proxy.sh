#!/usr/bin/env bash
# start-storage-proxy.sh -- run the official storage proxy (backend.ai-storage-proxy 26.9.6, vfs
# backend) in the background for a manager, and point the manager at it through etcd.
#
#   scripts/start-storage-proxy.sh [--namespace NS] [--etcd HOST:PORT] [--redis-port P]
#       [--client-port 6031] [--manager-port 6032] [--internal-port 16033]
#       [--workdir DIR] [--volume-root DIR] [--no-volumes-config] [--wait SECONDS]
#
# The proxy lives in DIR (default .halfstack/storage-proxy) with its storage-proxy.toml
# (rendered from configs/storage-proxy/halfstack.toml), storage-proxy.log and launcher.pid, and
# keeps its one volume `local:volume1` in VOLUME_ROOT/local/volume1 (default .halfstack/vfroot).
# It reads Redis from etcd (config/redis/addr; --redis-port writes 127.0.0.1:P there first).
# Unless --no-volumes-config, it writes what the manager reads (see spec/etcd.md) into NS:
#   volumes/proxies/local/{client_api,manager_api,secret,ssl_verify}, volumes/default_host,
#   volumes/_types/{user,group}, volumes/exposed_volume_info
# It then waits (default 60 s) until the proxy's manager API answers. Re-running leaves a
# running proxy alone (and rewrites the etcd keys). Stop it with scripts/stop-storage-proxy.sh.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$REPO_ROOT"

NAMESPACE=local
ETCD=""
REDIS_PORT=""
CLIENT_PORT=6031
MANAGER_PORT=6032
INTERNAL_PORT=16033
WORKDIR="${HALFSTACK_DIR}/storage-proxy"
VOLUME_ROOT="${HALFSTACK_DIR}/vfroot"
WRITE_VOLUMES=1
WAIT=60

need_value() {
    if [ "$#" -lt 2 ] || [ -z "$2" ]; then
        die "option $1 needs a value (see $0 --help)"
    fi
}
while [ "$#" -gt 0 ]; do
    case "$1" in
        --namespace) need_value "$@"; NAMESPACE="$2"; shift 2 ;;
        --etcd) need_value "$@"; ETCD="$2"; shift 2 ;;
        --redis-port) need_value "$@"; REDIS_PORT="$2"; shift 2 ;;
        --client-port) need_value "$@"; CLIENT_PORT="$2"; shift 2 ;;
        --manager-port) need_value "$@"; MANAGER_PORT="$2"; shift 2 ;;
        --internal-port) need_value "$@"; INTERNAL_PORT="$2"; shift 2 ;;
        --workdir) need_value "$@"; WORKDIR="$2"; shift 2 ;;
        --volume-root) need_value "$@"; VOLUME_ROOT="$2"; shift 2 ;;
        --no-volumes-config) WRITE_VOLUMES=0; shift ;;
        --wait) need_value "$@"; WAIT="$2"; shift 2 ;;
        -h | --help)
            sed -n '2,18s/^# \{0,1\}//p' "$0"
            exit 0
            ;;
        *) die "unknown argument '$1' (see $0 --help)" ;;
    esac
done
for port in "$CLIENT_PORT" "$MANAGER_PORT" "$INTERNAL_PORT" "$WAIT"; do
    case "$port" in '' | *[!0-9]*) die "ports and --wait take numbers, got '${port}'" ;; esac
done

if [ -z "$ETCD" ]; then
    if [ -f "${HALFSTACK_DIR}/env" ]; then
        load_halfstack_env
        ETCD="127.0.0.1:${HALFSTACK_ETCD_PORT}"
    else
        ETCD="127.0.0.1:8121"
    fi
fi
ETCD_HOST="${ETCD%:*}"
ETCD_PORT="${ETCD##*:}"
port_open "$ETCD_HOST" "$ETCD_PORT" || die "etcd is not answering at ${ETCD} (scripts/halfstack-up.sh starts ours)"

PROXY_VENV="$(bash scripts/make-peer-venv.sh storage-proxy)"
PY="${PROXY_VENV}/bin/python"
MGR_PY="${REPO_ROOT}/.venv/bin/python"
[ -x "$MGR_PY" ] || die "${MGR_PY} is missing: run scripts/install-dev.sh first"
mkdir -p "$WORKDIR" "$VOLUME_ROOT"
WORKDIR="$(cd "$WORKDIR" && pwd)"
VOLUME_ROOT="$(cd "$VOLUME_ROOT" && pwd)"
PIDFILE="${WORKDIR}/launcher.pid"
LOGFILE="${WORKDIR}/storage-proxy.log"
AIOMON_BASE=$((38300 + MANAGER_PORT % 1000))

# etcd_put_json KEY JSON -- write a JSON object under /sorna/NS/KEY (nested keys), with the
# manager's etcd client; etcd_put KEY VALUE -- one key.
etcd_put_json() {
    "$MGR_PY" - "$ETCD_HOST" "$ETCD_PORT" "$NAMESPACE" "$1" "$2" <<'PY'
import asyncio
import json
import sys

from ai.backend.manager.clients.etcd import EtcdClient

host, port, namespace, key, value = sys.argv[1:]


async def main() -> None:
    etcd = EtcdClient(host=host, port=int(port), namespace=namespace, timeout=5.0)
    await etcd.put_prefix(key, json.loads(value))


asyncio.run(main())
PY
}

if [ -n "$REDIS_PORT" ]; then
    log "etcd (${NAMESPACE}): config/redis/addr = 127.0.0.1:${REDIS_PORT}"
    etcd_put_json config "{\"redis\": {\"addr\": \"127.0.0.1:${REDIS_PORT}\"}}"
fi

# Render the config (every run: it is cheap, and the ports or namespace may have changed).
VOLUMES_JSON="$("$MGR_PY" configs/storage-proxy/render.py --workdir "$WORKDIR" \
    --namespace "$NAMESPACE" --etcd "$ETCD" --client-port "$CLIENT_PORT" \
    --manager-port "$MANAGER_PORT" --internal-port "$INTERNAL_PORT" \
    --termui-port "$AIOMON_BASE" --webui-port "$((AIOMON_BASE + 1000))" \
    --volume-path "${VOLUME_ROOT}/local/volume1" --print-volumes)"

answers() {
    "$MGR_PY" -c 'import sys, urllib.request
with urllib.request.urlopen(sys.argv[1], timeout=2) as r:
    sys.exit(0 if r.status == 200 else 1)' "http://127.0.0.1:${MANAGER_PORT}/"
}

if pid_alive "$PIDFILE" "storage"; then
    log "already running (pid $(cat "$PIDFILE")), manager API http://127.0.0.1:${MANAGER_PORT}"
else
    for port in "$CLIENT_PORT" "$MANAGER_PORT" "$INTERNAL_PORT"; do
        port_open 127.0.0.1 "$port" && die "port ${port} is taken by another process (see --help for the port options)"
    done
    (
        # The proxy has its own venv and reads BACKEND_* overrides: pass neither ours.
        while IFS= read -r name; do unset "$name"; done < <(compgen -e | grep -E '^(BACKEND_|PYTHON)' || true)
        cd "$WORKDIR"
        printf -- '--- starting the storage proxy at %s\n' "$(date)" >>"$LOGFILE"
        # setsid: its own process group (main process and workers), detached from this shell.
        setsid nohup "$PY" -m ai.backend.storage.server -f storage-proxy.toml </dev/null >>"$LOGFILE" 2>&1 &
        echo $! >"$PIDFILE"
    )
    log "started (pid $(cat "$PIDFILE")), log ${LOGFILE}"
fi

if [ "$WRITE_VOLUMES" = 1 ]; then
    log "etcd (${NAMESPACE}): volumes/... -> local:volume1 at http://127.0.0.1:${MANAGER_PORT}"
    etcd_put_json volumes "$VOLUMES_JSON"
fi

if [ "$WAIT" != 0 ]; then
    deadline=$((SECONDS + WAIT))
    until answers >/dev/null 2>&1; do
        if ! pid_alive "$PIDFILE" "storage"; then
            tail -n 20 "$LOGFILE" >&2 || true
            die "the storage proxy exited; see ${LOGFILE}"
        fi
        if [ "$SECONDS" -ge "$deadline" ]; then
            tail -n 20 "$LOGFILE" >&2 || true
            die "the storage proxy did not answer within ${WAIT}s; see ${LOGFILE}"
        fi
        sleep 0.3
    done
    log "answering: manager API http://127.0.0.1:${MANAGER_PORT}, client API http://127.0.0.1:${CLIENT_PORT}, volume local:volume1 = ${VOLUME_ROOT}/local/volume1"
fi
