# shellcheck shell=bash
# Shared helpers for the scripts in this folder. Source it; do not run it.
#
#   . "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
#
# After sourcing, REPO_ROOT is the repository root and the working directory
# is left unchanged (each script cds to REPO_ROOT itself).

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export REPO_ROOT
HALFSTACK_DIR="${REPO_ROOT}/.halfstack"

# --- logging ---------------------------------------------------------------

# Messages go to stderr so that a script's stdout stays usable as a value.
log() {
    printf '[%s] %s\n' "${LOG_TAG:-$(basename "$0" .sh)}" "$*" >&2
}

warn() {
    log "WARNING: $*"
}

die() {
    log "ERROR: $*"
    exit 1
}

# --- privileges ------------------------------------------------------------

# Run a command as root: directly when we are root, through sudo otherwise.
as_root() {
    if [ "$(id -u)" -eq 0 ]; then
        "$@"
    elif command -v sudo >/dev/null 2>&1; then
        sudo "$@"
    else
        die "need root to run '$*', and sudo is not installed"
    fi
}

# --- Python 3.13 -----------------------------------------------------------

# Print the path of a Python 3.13 interpreter, or fail with a clear message.
python313() {
    local candidate
    if command -v pyenv >/dev/null 2>&1; then
        candidate="$(pyenv root)/versions/3.13.0/bin/python"
        if [ -x "$candidate" ]; then
            printf '%s\n' "$candidate"
            return 0
        fi
    fi
    # pyenv installed but not on PATH (e.g. a non-login shell).
    candidate="${PYENV_ROOT:-${HOME:-/root}/.pyenv}/versions/3.13.0/bin/python"
    if [ -x "$candidate" ]; then
        printf '%s\n' "$candidate"
        return 0
    fi
    if command -v python3.13 >/dev/null 2>&1; then
        candidate="$(command -v python3.13)"
        # A pyenv shim exists even when it cannot run the version; check it runs.
        if "$candidate" -c 'import sys; assert sys.version_info[:2] == (3, 13)' >/dev/null 2>&1; then
            printf '%s\n' "$candidate"
            return 0
        fi
    fi
    die "Python 3.13 not found: install it (e.g. 'pyenv install 3.13.0', or Debian/Ubuntu's python3.13 with python3.13-venv) and re-run"
}

# --- network ---------------------------------------------------------------

# True when something accepts TCP connections on HOST:PORT.
port_open() {
    local host="$1" port="$2"
    (exec 3<>"/dev/tcp/${host}/${port}") >/dev/null 2>&1
}

# wait_for_port HOST PORT [TIMEOUT_SECONDS] -- poll until the port accepts
# connections; returns nonzero after TIMEOUT (default 30) seconds.
wait_for_port() {
    local host="$1" port="$2" timeout="${3:-30}"
    local deadline=$((SECONDS + timeout))
    while ! port_open "$host" "$port"; do
        if [ "$SECONDS" -ge "$deadline" ]; then
            log "timed out after ${timeout}s waiting for ${host}:${port}"
            return 1
        fi
        sleep 0.2
    done
}

# wait_until TIMEOUT_SECONDS COMMAND... -- poll COMMAND (quietly) until it succeeds.
wait_until() {
    local timeout="$1"
    shift
    local deadline=$((SECONDS + timeout))
    until "$@" >/dev/null 2>&1; do
        if [ "$SECONDS" -ge "$deadline" ]; then
            return 1
        fi
        sleep 0.3
    done
}

# --- Debian packages -------------------------------------------------------

pkg_installed() {
    dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'
}

# apt_install PKG... -- install only the packages that are missing. Runs
# 'apt-get update' at most once per process tree (the marker is exported).
apt_install() {
    local missing=() pkg
    for pkg in "$@"; do
        pkg_installed "$pkg" || missing+=("$pkg")
    done
    [ "${#missing[@]}" -eq 0 ] && return 0
    command -v apt-get >/dev/null 2>&1 \
        || die "missing packages (${missing[*]}) and apt-get is not available: install them by hand"
    if [ -z "${HALFSTACK_APT_UPDATED:-}" ]; then
        log "apt-get update"
        as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null \
            || die "apt-get update failed"
        export HALFSTACK_APT_UPDATED=1
    fi
    log "apt-get install ${missing[*]}"
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
        --no-install-recommends "${missing[@]}" >/dev/null \
        || die "apt-get install ${missing[*]} failed"
}

# --- processes -------------------------------------------------------------

# pid_alive PIDFILE [NAME] -- true when the pidfile names a live process
# (whose command line contains NAME, when given).
pid_alive() {
    local pidfile="$1" name="${2:-}" pid
    [ -s "$pidfile" ] || return 1
    pid="$(tr -dc '0-9' <"$pidfile")"
    [ -n "$pid" ] || return 1
    kill -0 "$pid" 2>/dev/null || return 1
    if [ -n "$name" ] && [ -r "/proc/${pid}/cmdline" ]; then
        tr '\0' ' ' <"/proc/${pid}/cmdline" | grep -q -- "$name" || return 1
    fi
    return 0
}

# stop_pidfile PIDFILE NAME -- TERM the process (KILL after 10 s), remove the pidfile.
stop_pidfile() {
    local pidfile="$1" name="$2" pid
    if pid_alive "$pidfile" "$name"; then
        pid="$(tr -dc '0-9' <"$pidfile")"
        log "stopping ${name} (pid ${pid})"
        kill "$pid" 2>/dev/null || true
        if ! wait_until 10 bash -c "! kill -0 ${pid}"; then
            warn "${name} (pid ${pid}) did not stop in 10s; killing it"
            kill -9 "$pid" 2>/dev/null || true
        fi
    fi
    rm -f "$pidfile"
}

# --- halfstack state -------------------------------------------------------

# Load the ports chosen by halfstack-up.sh (.halfstack/env) into the environment.
load_halfstack_env() {
    local envfile="${HALFSTACK_DIR}/env"
    [ -f "$envfile" ] || die "${envfile} not found: run scripts/halfstack-up.sh first"
    set -a
    # shellcheck source=/dev/null
    . "$envfile"
    set +a
}
