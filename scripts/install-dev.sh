#!/usr/bin/env bash
# Create the development virtualenv (.venv, Python 3.13) and install the
# project in editable mode with its dev extras. Fast when nothing changed:
# pip runs only when pyproject.toml is newer than .venv/.installed-stamp.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$REPO_ROOT"

VENV="${REPO_ROOT}/.venv"
STAMP="${VENV}/.installed-stamp"

# A venv whose interpreter no longer runs (Python moved or removed) is rebuilt.
if [ -e "$VENV" ] && ! "${VENV}/bin/python" -c 'import sys; assert sys.version_info[:2] == (3, 13)' >/dev/null 2>&1; then
    log "${VENV} is broken or not Python 3.13; recreating it"
    rm -rf "$VENV"
fi

if [ ! -x "${VENV}/bin/python" ]; then
    PY="$(python313)"
    log "creating ${VENV} with ${PY}"
    "$PY" -m venv "$VENV"
    "${VENV}/bin/python" -m pip install -qq --disable-pip-version-check --upgrade pip
fi

if [ -f "$STAMP" ] && [ ! "pyproject.toml" -nt "$STAMP" ]; then
    log "dev venv up to date (${VENV})"
    exit 0
fi

log "pip install -e '.[dev,client]' into ${VENV} (this can take a few minutes the first time)"
PIP_NO_INPUT=1 "${VENV}/bin/python" -m pip install -qq --disable-pip-version-check -e '.[dev,client]'
touch "$STAMP"
log "dev venv ready (${VENV})"
