#!/usr/bin/env bash
# start-dummy-agents.sh -- run official Backend.AI agents (backend.ai-agent 26.9.6, dummy
# backend: fake containers, real RPC and events) in the background for a manager.
#
#   scripts/start-dummy-agents.sh [-n N] [--namespace NS] [--etcd HOST:PORT] [--redis-port P]
#       [--base-port 6011] [--cpu 8] [--mem 16g] [--scaling-group default]
#       [--heartbeat-interval 2] [--workdir DIR] [--wait SECONDS]
#
# Agent k (0-based) is i-dummy-0<k+1>, listens for RPC on base-port+10k (internal HTTP +2,
# aiomonitor +4/+5) and lives in DIR/<id>/ (default DIR: .halfstack/agents) with its
# agent.toml, agent.dummy.toml (rendered from configs/agent/), agent.log and launcher.pid.
# Re-running leaves running agents alone. Stop them with scripts/stop-dummy-agents.sh.
#
# An agent finishes starting only once etcd (namespace NS) has nodes/manager/<id> (a running
# manager writes it) and config/redis/addr (scripts/dev-up.sh writes it; --redis-port writes
# 127.0.0.1:P there). --etcd defaults to the halfstack's etcd. --wait S waits up to S seconds
# for every agent's RPC port (only useful when a manager is already running).
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$REPO_ROOT"

COUNT=1
NAMESPACE=local
ETCD=""
REDIS_PORT=""
BASE_PORT=6011
CPU=8
MEM=16g
SCALING_GROUP=default
HEARTBEAT=2
WORKDIR="${HALFSTACK_DIR}/agents"
WAIT=0

need_value() {
    if [ "$#" -lt 2 ] || [ -z "$2" ]; then
        die "option $1 needs a value (see $0 --help)"
    fi
}
while [ "$#" -gt 0 ]; do
    case "$1" in
        -n | --count) need_value "$@"; COUNT="$2"; shift 2 ;;
        --namespace) need_value "$@"; NAMESPACE="$2"; shift 2 ;;
        --etcd) need_value "$@"; ETCD="$2"; shift 2 ;;
        --redis-port) need_value "$@"; REDIS_PORT="$2"; shift 2 ;;
        --base-port) need_value "$@"; BASE_PORT="$2"; shift 2 ;;
        --cpu) need_value "$@"; CPU="$2"; shift 2 ;;
        --mem) need_value "$@"; MEM="$2"; shift 2 ;;
        --scaling-group) need_value "$@"; SCALING_GROUP="$2"; shift 2 ;;
        --heartbeat-interval) need_value "$@"; HEARTBEAT="$2"; shift 2 ;;
        --workdir) need_value "$@"; WORKDIR="$2"; shift 2 ;;
        --wait) need_value "$@"; WAIT="$2"; shift 2 ;;
        -h | --help)
            sed -n '2,17s/^# \{0,1\}//p' "$0"
            exit 0
            ;;
        *) die "unknown argument '$1' (see $0 --help)" ;;
    esac
done
case "$COUNT" in '' | *[!0-9]*) die "-n needs a number, got '${COUNT}'" ;; esac
if [ "$COUNT" -lt 1 ] || [ "$COUNT" -gt 99 ]; then
    die "-n must be between 1 and 99"
fi

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

AGENT_VENV="$(bash scripts/make-peer-venv.sh agent)"
PY="${AGENT_VENV}/bin/python"
mkdir -p "$WORKDIR"
WORKDIR="$(cd "$WORKDIR" && pwd)"

# --- etcd: what the agents look for -------------------------------------------

# etcd_keys KEY [VALUE] -- print the keys under /sorna/NS/KEY, or put VALUE there (our venv's
# etcd client, the one the manager uses).
etcd_keys() {
    "${REPO_ROOT}/.venv/bin/python" - "$ETCD_HOST" "$ETCD_PORT" "$NAMESPACE" "$@" <<'PY'
import asyncio
import sys

from ai.backend.manager.clients.etcd import EtcdClient

host, port, namespace, key, *value = sys.argv[1:]


async def main() -> None:
    etcd = EtcdClient(host=host, port=int(port), namespace=namespace, timeout=5.0)
    if value:
        await etcd.put(key, value[0])
    else:
        for k in await etcd.get_prefix(key):
            print(k)


asyncio.run(main())
PY
}

if [ -n "$REDIS_PORT" ]; then
    log "etcd (${NAMESPACE}): config/redis/addr = 127.0.0.1:${REDIS_PORT}"
    etcd_keys config/redis/addr "127.0.0.1:${REDIS_PORT}"
fi
if [ -x "${REPO_ROOT}/.venv/bin/python" ]; then
    [ -n "$(etcd_keys config/redis 2>/dev/null)" ] \
        || warn "etcd namespace '${NAMESPACE}' has no config/redis/addr: agents will fail (pass --redis-port)"
    [ -n "$(etcd_keys nodes/manager 2>/dev/null)" ] \
        || log "no manager registered in namespace '${NAMESPACE}' yet: agents wait for one"
fi

# --- agents ---------------------------------------------------------------------

STARTED=()
for ((k = 0; k < COUNT; k++)); do
    AGENT_ID="$(printf 'i-dummy-%02d' $((k + 1)))"
    DIR="${WORKDIR}/${AGENT_ID}"
    PIDFILE="${DIR}/launcher.pid"
    RPC_PORT=$((BASE_PORT + 10 * k))
    if pid_alive "$PIDFILE" "agent"; then
        log "${AGENT_ID}: already running (pid $(cat "$PIDFILE")), rpc tcp://127.0.0.1:${RPC_PORT}"
        continue
    fi
    if port_open 127.0.0.1 "$RPC_PORT"; then
        die "${AGENT_ID}: port ${RPC_PORT} is taken by another process (choose --base-port)"
    fi
    "$PY" configs/agent/render.py --workdir "$DIR" --id "$AGENT_ID" --namespace "$NAMESPACE" \
        --etcd "$ETCD" --rpc-port "$RPC_PORT" --scaling-group "$SCALING_GROUP" \
        --cpu "$CPU" --mem "$MEM" --heartbeat-interval "$HEARTBEAT" \
        --container-ports "$((30000 + 1000 * k))-$((30999 + 1000 * k))" >/dev/null
    (
        # The agent has its own venv and reads BACKEND_* overrides: pass neither ours.
        while IFS= read -r name; do unset "$name"; done < <(compgen -e | grep -E '^(BACKEND_|PYTHON)' || true)
        cd "$DIR"
        printf -- '--- starting %s at %s\n' "$AGENT_ID" "$(date)" >>agent.log
        # setsid: its own process group (supervisor + worker), detached from this shell.
        setsid nohup "$PY" -m ai.backend.agent.server -f agent.toml </dev/null >>agent.log 2>&1 &
        echo $! >launcher.pid
    )
    log "${AGENT_ID}: started (pid $(cat "$PIDFILE")), rpc tcp://127.0.0.1:${RPC_PORT}, log ${DIR}/agent.log"
    STARTED+=("$AGENT_ID:$RPC_PORT")
done

if [ "$WAIT" != 0 ]; then
    for entry in "${STARTED[@]}"; do
        wait_for_port 127.0.0.1 "${entry##*:}" "$WAIT" \
            || die "${entry%%:*} did not listen within ${WAIT}s; see ${WORKDIR}/${entry%%:*}/agent.log"
        log "${entry%%:*}: answering on port ${entry##*:}"
    done
fi
