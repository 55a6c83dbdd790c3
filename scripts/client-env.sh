# shellcheck shell=bash
# Source this file to talk to the development manager with the official client:
#
#   source scripts/client-env.sh
#   backend.ai session list
#
# It sets the client's BACKEND_* variables (the example keypair that
# `make dev` loads from sample-configs/example-keypairs.json) and puts the dev
# venv's bin/ first on PATH: its `backend.ai` has both `mgr` and the official client.

_bai_root="$(cd "$(dirname "${BASH_SOURCE[0]:-$0}")/.." && pwd)"

export BACKEND_ENDPOINT=http://127.0.0.1:8081
export BACKEND_ENDPOINT_TYPE=api
export BACKEND_ACCESS_KEY=AKIAIOSFODNN7EXAMPLE
export BACKEND_SECRET_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY

case ":${PATH}:" in
    *":${_bai_root}/.venv/bin:"*) ;;
    *) export PATH="${_bai_root}/.venv/bin:${PATH}" ;;
esac

unset _bai_root
