#!/usr/bin/env bash
# stop-dummy-agents.sh -- stop the agents started by scripts/start-dummy-agents.sh.
#
#   scripts/stop-dummy-agents.sh [--workdir DIR] [AGENT_ID...]
#
# Each agent (a supervisor and a worker process in their own process group) gets SIGTERM,
# which makes it announce agent_terminated; whatever is left after 15 s gets SIGKILL.
# Without AGENT_IDs, every agent under DIR (default .halfstack/agents) is stopped.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$REPO_ROOT"

WORKDIR="${HALFSTACK_DIR}/agents"
IDS=()
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
        -*) die "unknown option '$1' (see $0 --help)" ;;
        *)
            IDS+=("$1")
            shift
            ;;
    esac
done

if [ "${#IDS[@]}" -eq 0 ]; then
    [ -d "$WORKDIR" ] || exit 0
    for dir in "$WORKDIR"/*/; do
        [ -f "${dir}launcher.pid" ] && IDS+=("$(basename "$dir")")
    done
fi

group_alive() {
    kill -0 -- "-$1" 2>/dev/null
}

for id in "${IDS[@]}"; do
    pidfile="${WORKDIR}/${id}/launcher.pid"
    if ! pid_alive "$pidfile" "agent"; then
        [ -f "$pidfile" ] && log "${id}: not running"
        rm -f "$pidfile"
        continue
    fi
    pid="$(tr -dc '0-9' <"$pidfile")"
    pgid="$(ps -o pgid= -p "$pid" | tr -d ' ')"
    # Only signal a group the agent leads (setsid made it so); never this shell's own.
    if [ "$pgid" != "$pid" ]; then
        log "${id}: pid ${pid} is not a process group leader; stopping that process only"
        stop_pidfile "$pidfile" "agent"
        continue
    fi
    log "${id}: stopping (process group ${pgid})"
    kill -TERM -- "-${pgid}" 2>/dev/null || true
    if ! wait_until 15 bash -c "! kill -0 -- -${pgid}"; then
        warn "${id}: still running after 15s; killing it"
        kill -KILL -- "-${pgid}" 2>/dev/null || true
        wait_until 5 bash -c "! kill -0 -- -${pgid}" || warn "${id}: process group ${pgid} survived SIGKILL"
    fi
    group_alive "$pgid" || log "${id}: stopped"
    rm -f "$pidfile"
done
