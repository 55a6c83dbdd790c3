#!/usr/bin/env bash
# `make test`: install what the tests need (fast when already installed),
# bring up the halfstack, then run pytest with the dev venv. Arguments are
# passed to pytest (default: the whole suite, `-q -ra`). The halfstack is
# left running for the next run.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$REPO_ROOT"

bash scripts/install-dev.sh
CLIENT_VENV="$(bash scripts/make-peer-venv.sh client)"
AGENT_VENV="$(bash scripts/make-peer-venv.sh agent)"
STORAGE_PROXY_VENV="$(bash scripts/make-peer-venv.sh storage-proxy)"
bash scripts/halfstack-up.sh
# The registry tests run their own docker-registry on a free port; this only installs it.
bash scripts/registry-up.sh --install-only
load_halfstack_env

export BACKEND_TEST_PG_PORT="$HALFSTACK_PG_PORT"
export BACKEND_TEST_REDIS_PORT="$HALFSTACK_REDIS_PORT"
export BACKEND_TEST_ETCD_ADDR="127.0.0.1:${HALFSTACK_ETCD_PORT}"
export BACKEND_TEST_CLIENT_VENV="$CLIENT_VENV"
export BACKEND_TEST_AGENT_VENV="$AGENT_VENV"
export BACKEND_TEST_STORAGE_PROXY_VENV="$STORAGE_PROXY_VENV"

if [ "$#" -eq 0 ]; then
    set -- -q -ra
fi
log "pytest $* (PostgreSQL :${BACKEND_TEST_PG_PORT}, Redis :${BACKEND_TEST_REDIS_PORT}, etcd ${BACKEND_TEST_ETCD_ADDR})"
# pytest's exit status is the script's: 5 (no tests collected) fails too.
exec "${REPO_ROOT}/.venv/bin/python" -m pytest "$@"
