#!/usr/bin/env bash
# make-peer-venv.sh NAME -- create .venvs/NAME (Python 3.13) holding one
# official Backend.AI peer package, pinned, and print the venv's path.
#   client        -> backend.ai-client
#   agent         -> backend.ai-agent
#   storage-proxy -> backend.ai-storage-proxy
# Idempotent: pip runs only when the stamp does not record the same pin.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$REPO_ROOT"

PEER_VERSION="26.9.6"

[ "$#" -eq 1 ] || die "usage: $0 client|agent|storage-proxy"
NAME="$1"
case "$NAME" in
    client) SPEC="backend.ai-client==${PEER_VERSION}" ;;
    agent) SPEC="backend.ai-agent==${PEER_VERSION}" ;;
    storage-proxy) SPEC="backend.ai-storage-proxy==${PEER_VERSION}" ;;
    *) die "unknown peer '${NAME}' (expected client, agent or storage-proxy)" ;;
esac

VENV="${REPO_ROOT}/.venvs/${NAME}"
STAMP="${VENV}/.installed-stamp"

if [ -e "$VENV" ] && ! "${VENV}/bin/python" -c 'import sys; assert sys.version_info[:2] == (3, 13)' >/dev/null 2>&1; then
    log "${VENV} is broken or not Python 3.13; recreating it"
    rm -rf "$VENV"
fi

if [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$SPEC" ]; then
    log "${SPEC} already installed in ${VENV}"
else
    if [ ! -x "${VENV}/bin/python" ]; then
        PY="$(python313)"
        log "creating ${VENV} with ${PY}"
        mkdir -p "${REPO_ROOT}/.venvs"
        "$PY" -m venv "$VENV"
        "${VENV}/bin/python" -m pip install -qq --disable-pip-version-check --upgrade pip
    fi
    log "pip install ${SPEC} into ${VENV}"
    PIP_NO_INPUT=1 "${VENV}/bin/python" -m pip install -qq --disable-pip-version-check "$SPEC"
    printf '%s\n' "$SPEC" >"$STAMP"
fi

printf '%s\n' "$VENV"
