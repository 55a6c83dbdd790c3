#!/usr/bin/env bash
# stop-storage-proxy.sh -- stop the storage proxy started by scripts/start-storage-proxy.sh.
#
#   scripts/stop-storage-proxy.sh [--workdir DIR]
#
# The proxy (a main process and its workers, in their own process group) gets SIGTERM;
# whatever is left after 15 s gets SIGKILL. Safe to run when it is not running. The etcd
# `volumes/...` keys are left as they are (the manager then reports the proxy unavailable).
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$REPO_ROOT"

WORKDIR="${HALFSTACK_DIR}/storage-proxy"
while [ "$#" -gt 0 ]; do
    case "$1" in
        --workdir)
            [ "$#" -ge 2 ] || die "--workdir needs a value"
            WORKDIR="$2"
            shift 2
            ;;
        -h | --help)
            sed -n '2,8s/^# \{0,1\}//p' "$0"
            exit 0
            ;;
        *) die "unknown argument '$1' (see $0 --help)" ;;
    esac
done

PIDFILE="${WORKDIR}/launcher.pid"
if ! pid_alive "$PIDFILE" "storage"; then
    [ -f "$PIDFILE" ] && log "not running"
    rm -f "$PIDFILE"
    exit 0
fi
pid="$(tr -dc '0-9' <"$PIDFILE")"
pgid="$(ps -o pgid= -p "$pid" | tr -d ' ')"
# Only signal a group the proxy leads (setsid made it so); never this shell's own.
if [ "$pgid" != "$pid" ]; then
    log "pid ${pid} is not a process group leader; stopping that process only"
    stop_pidfile "$PIDFILE" "storage"
    exit 0
fi
log "stopping (process group ${pgid})"
kill -TERM -- "-${pgid}" 2>/dev/null || true
if ! wait_until 15 bash -c "! kill -0 -- -${pgid}"; then
    warn "still running after 15s; killing it"
    kill -KILL -- "-${pgid}" 2>/dev/null || true
    wait_until 5 bash -c "! kill -0 -- -${pgid}" || warn "process group ${pgid} survived SIGKILL"
fi
kill -0 -- "-${pgid}" 2>/dev/null || log "stopped"
rm -f "$PIDFILE"
