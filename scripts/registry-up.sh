#!/usr/bin/env bash
# Run a container registry (Debian's `docker-registry`, the CNCF distribution registry with
# the v2 API) natively, for rescans and tests. Installs the package when it is missing;
# idempotent: a registry of ours that already answers is left alone.
#
#   scripts/registry-up.sh                 start it (default 127.0.0.1:5050, no auth)
#   scripts/registry-up.sh --install-only  only make sure the package is installed
#   scripts/registry-up.sh --stop          stop the registry this script started
#
#   REGISTRY_PORT      port (default 5050)
#   REGISTRY_HTPASSWD  an htpasswd file (bcrypt entries): turns basic auth on
#
# Config, data and log live in .halfstack/registry/. The Debian package also installs a
# systemd unit on :5000; this script never uses or starts it.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$REPO_ROOT"

PORT="${REGISTRY_PORT:-5050}"
HOST=127.0.0.1
DIR="${HALFSTACK_DIR}/registry"
PIDFILE="${DIR}/registry.pid"
LOGFILE="${DIR}/registry.log"
CONFIG="${DIR}/config.yml"
MODE=start

for arg in "$@"; do
    case "$arg" in
        --install-only) MODE=install ;;
        --stop) MODE=stop ;;
        -h | --help)
            sed -n '2,14p' "$0"
            exit 0
            ;;
        *) die "unknown argument '${arg}' (see --help)" ;;
    esac
done

if [ "$MODE" = stop ]; then
    stop_pidfile "$PIDFILE" docker-registry
    exit 0
fi

if ! command -v docker-registry >/dev/null 2>&1; then
    apt_install docker-registry
fi
command -v docker-registry >/dev/null 2>&1 || die "docker-registry is not on PATH after installing it"
[ "$MODE" = install ] && exit 0

registry_answers() {
    # The v2 base endpoint answers 200 (or 401 with auth on) on a live registry.
    local code
    code="$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "http://${HOST}:${PORT}/v2/")" || return 1
    [ "$code" = 200 ] || [ "$code" = 401 ]
}

mkdir -p "${DIR}/data"
if pid_alive "$PIDFILE" docker-registry; then
    if wait_until 10 registry_answers; then
        log "registry: ours, already running on http://${HOST}:${PORT} (pid $(cat "$PIDFILE"))"
        echo "http://${HOST}:${PORT}"
        exit 0
    fi
    die "registry: ours (pid $(cat "$PIDFILE")) runs but http://${HOST}:${PORT}/v2/ does not answer; see ${LOGFILE}"
fi
rm -f "$PIDFILE"
if port_open "$HOST" "$PORT"; then
    die "registry: ${HOST}:${PORT} is taken by something else; set REGISTRY_PORT"
fi

auth_block=""
if [ -n "${REGISTRY_HTPASSWD:-}" ]; then
    [ -r "$REGISTRY_HTPASSWD" ] || die "REGISTRY_HTPASSWD=${REGISTRY_HTPASSWD} is not readable"
    auth_block="auth:
  htpasswd:
    realm: backend-ai-registry
    path: $(realpath "$REGISTRY_HTPASSWD")"
fi

cat >"$CONFIG" <<EOF
# Written by scripts/registry-up.sh; rewritten on every start.
version: 0.1
log:
  level: warn
  fields:
    service: registry
storage:
  filesystem:
    rootdirectory: ${DIR}/data
  delete:
    enabled: true
http:
  addr: ${HOST}:${PORT}
  headers:
    X-Content-Type-Options: [nosniff]
${auth_block}
EOF

log "registry: starting on http://${HOST}:${PORT}, data in ${DIR}/data, log ${LOGFILE}"
# shellcheck disable=SC2016  # $$ and "$@" expand in the inner shell
setsid -f bash -c 'echo $$ >"$0"; exec "$@"' "$PIDFILE" \
    nohup docker-registry serve "$CONFIG" </dev/null >>"$LOGFILE" 2>&1
if ! wait_until 20 registry_answers; then
    die "registry: did not answer on http://${HOST}:${PORT}/v2/ within 20 s; see ${LOGFILE}"
fi
log "registry: up (pid $(cat "$PIDFILE")); push test images with: .venv/bin/python scripts/push-test-images.py --registry http://${HOST}:${PORT}"
echo "http://${HOST}:${PORT}"
