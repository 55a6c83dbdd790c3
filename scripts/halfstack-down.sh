#!/usr/bin/env bash
# Stop what scripts/halfstack-up.sh started: our etcd instance(s) and any
# Redis it started itself. A PostgreSQL or Redis that was already running (a
# system service) is left alone. With --purge, also stop the storage proxy and
# delete .halfstack/ (etcd data, logs, the env file, the storage proxy's volume).
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$REPO_ROOT"

PURGE=0
for arg in "$@"; do
    case "$arg" in
        --purge) PURGE=1 ;;
        -h | --help)
            echo "usage: $0 [--purge]"
            exit 0
            ;;
        *) die "unknown argument '${arg}' (usage: $0 [--purge])" ;;
    esac
done

shopt -s nullglob
stopped=0
for pidfile in "$HALFSTACK_DIR"/etcd*/etcd.pid; do
    pid_alive "$pidfile" etcd && stopped=$((stopped + 1))
    stop_pidfile "$pidfile" etcd
done
for pidfile in "$HALFSTACK_DIR"/redis/redis-*.pid; do
    pid_alive "$pidfile" redis-server && stopped=$((stopped + 1))
    stop_pidfile "$pidfile" redis-server
done
[ "$stopped" -gt 0 ] || log "nothing of ours was running"

if [ "$PURGE" = 1 ]; then
    # the storage proxy keeps its volume under .halfstack/vfroot: stop it before removing that
    bash scripts/stop-storage-proxy.sh
    log "removing ${HALFSTACK_DIR}"
    rm -rf "$HALFSTACK_DIR"
else
    rm -f "${HALFSTACK_DIR}/env"
fi
log "halfstack down"
