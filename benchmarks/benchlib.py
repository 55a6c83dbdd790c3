"""Shared helpers for the benchmarks: request signing, wrk, /proc sampling, HTTP polling.

Only the standard library is used here so the helpers work from any Python 3.13.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
import shutil
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

API_VERSION = "v9.20250722"
SUPERADMIN_ACCESS_KEY = "AKIAIOSFODNN7EXAMPLE"
SUPERADMIN_SECRET_KEY = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"

# -----------------------------------------------------------------------------------------------
# HMAC request signing (spec: shared/spec/auth.md §3)
# -----------------------------------------------------------------------------------------------

_EMPTY_BODY_SHA256 = hashlib.sha256(b"").hexdigest()


def _hmac_sha256(key: bytes, msg: bytes) -> bytes:
    return hmac.new(key, msg, hashlib.sha256).digest()


def compute_signature(
    *,
    method: str,
    rel_url: str,
    date_header: str,
    host: str,
    content_type: str,
    version: str,
    secret_key: str,
) -> str:
    """Return the lower-case hex HMAC-SHA256 signature of one API request.

    ``date_header`` is the exact ``Date`` header value (ISO-8601); its UTC calendar day
    seeds the signing key. ``host`` is the endpoint authority (``host:port``).
    """
    request_date = datetime.fromisoformat(date_header).astimezone(UTC)
    string_to_sign = "\n".join(
        [
            method.upper(),
            rel_url,
            date_header,
            f"host:{host}",
            f"content-type:{content_type.lower()}",
            f"x-backendai-version:{version}",
            _EMPTY_BODY_SHA256,
        ]
    )
    day_key = _hmac_sha256(secret_key.encode(), request_date.strftime("%Y%m%d").encode())
    host_key = _hmac_sha256(day_key, host.encode())
    return hmac.new(host_key, string_to_sign.encode(), hashlib.sha256).hexdigest()


def signed_headers(
    *,
    method: str,
    rel_url: str,
    host: str,
    access_key: str = SUPERADMIN_ACCESS_KEY,
    secret_key: str = SUPERADMIN_SECRET_KEY,
    content_type: str = "text/plain",
    version: str = API_VERSION,
    now: datetime | None = None,
) -> dict[str, str]:
    """Build the header set the official client sends for a body-less request.

    There is no nonce in the scheme, so the same header set can be replayed for as long as the
    server accepts the ``Date`` header (15 minutes).
    """
    date_header = (now or datetime.now(UTC)).isoformat()
    signature = compute_signature(
        method=method,
        rel_url=rel_url,
        date_header=date_header,
        host=host,
        content_type=content_type,
        version=version,
        secret_key=secret_key,
    )
    return {
        "Date": date_header,
        "Content-Type": content_type,
        "X-BackendAI-Version": version,
        "X-BackendAI-Domain": "default",
        "Authorization": f"BackendAI signMethod=HMAC-SHA256, credential={access_key}:{signature}",
    }


# (method, rel_url, content-type, expected signature) from auth.md §3, endpoint 127.0.0.1:8091
_SIGNATURE_VECTORS: tuple[tuple[str, str, str, str], ...] = (
    (
        "GET",
        "/folders?path=a+b",
        "application/json",
        "1fe07fb9f8b2ca2a4084a0697039ca8ef077d89a3b208206678f07ac588847fb",
    ),
    (
        "POST",
        "/session",
        "application/json",
        "88840de104106638cd7fccf0ca936126c69f01048c1e89209379e5bd2180f6e4",
    ),
    (
        "GET",
        "/",
        "text/plain",
        "7423793c1a9ff8728bc4d4031825cfbe9ab1897d97a851580c3b2938c1886975",
    ),
)


def signer_self_check() -> None:
    """Raise ``AssertionError`` unless the signer reproduces the spec's test vectors."""
    for method, rel_url, content_type, expected in _SIGNATURE_VECTORS:
        got = compute_signature(
            method=method,
            rel_url=rel_url,
            date_header="2026-11-25T06:00:00.123456+00:00",
            host="127.0.0.1:8091",
            content_type=content_type,
            version=API_VERSION,
            secret_key=SUPERADMIN_SECRET_KEY,
        )
        if got != expected:
            raise AssertionError(f"signature mismatch for {method} {rel_url}: {got} != {expected}")


# -----------------------------------------------------------------------------------------------
# HTTP helpers (urllib: no third-party dependency, one request at a time)
# -----------------------------------------------------------------------------------------------


def http_get(
    url: str, headers: Mapping[str, str] | None = None, timeout: float = 5.0
) -> tuple[int, bytes]:
    """GET ``url``; return ``(status, body)`` for any HTTP answer, raise ``OSError`` otherwise."""
    request = urllib.request.Request(url, headers=dict(headers or {}), method="GET")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


@dataclass
class FirstAnswer:
    seconds: float
    status: int


def wait_first_answer(
    url: str,
    started_at: float,
    *,
    accept: frozenset[int] = frozenset({200}),
    timeout: float = 120.0,
    interval: float = 0.05,
    alive: Callable[[], bool] | None = None,
) -> FirstAnswer:
    """Poll ``GET url`` every ``interval`` s until a status in ``accept`` comes back.

    ``started_at`` is a ``time.monotonic()`` timestamp; the result is measured from it.
    ``alive`` lets the caller abort early when the server process has died.
    """
    deadline = started_at + timeout
    last_error = "no attempt"
    while time.monotonic() < deadline:
        try:
            status, _ = http_get(url, timeout=1.0)
        except OSError as exc:
            last_error = repr(exc)
        else:
            if status in accept:
                return FirstAnswer(time.monotonic() - started_at, status)
            last_error = f"HTTP {status}"
        if alive is not None and not alive():
            raise RuntimeError(f"server process exited before answering (last: {last_error})")
        time.sleep(interval)
    raise TimeoutError(f"no answer from {url} within {timeout:.0f} s (last: {last_error})")


def free_tcp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


# -----------------------------------------------------------------------------------------------
# wrk
# -----------------------------------------------------------------------------------------------

_DURATION_UNITS = {"us": 1e-3, "ms": 1.0, "s": 1e3, "m": 60e3, "h": 3600e3}


def _to_ms(value: str) -> float:
    match = re.fullmatch(r"([\d.]+)(us|ms|s|m|h)", value)
    if match is None:
        raise ValueError(f"unparsable wrk duration {value!r}")
    return float(match.group(1)) * _DURATION_UNITS[match.group(2)]


@dataclass
class WrkResult:
    requests: int
    requests_per_sec: float
    latency_ms: dict[int, float] = field(default_factory=dict)  # percentile -> ms
    non_2xx_3xx: int = 0
    socket_errors: str = ""
    raw: str = ""

    @property
    def p50_ms(self) -> float:
        return self.latency_ms.get(50, float("nan"))

    @property
    def p99_ms(self) -> float:
        return self.latency_ms.get(99, float("nan"))


def parse_wrk_output(text: str) -> WrkResult:
    """Parse the human-readable report of ``wrk --latency``."""
    rps = re.search(r"Requests/sec:\s+([\d.]+)", text)
    total = re.search(r"(\d+) requests in ", text)
    if rps is None or total is None:
        raise ValueError(f"unexpected wrk output:\n{text}")
    result = WrkResult(requests=int(total.group(1)), requests_per_sec=float(rps.group(1)), raw=text)
    distribution = text.split("Latency Distribution", 1)
    if len(distribution) == 2:
        for pct, value in re.findall(r"^\s+(\d+)%\s+(\S+)", distribution[1], flags=re.M):
            result.latency_ms[int(pct)] = _to_ms(value)
    non_2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", text)
    if non_2xx is not None:
        result.non_2xx_3xx = int(non_2xx.group(1))
    errors = re.search(r"Socket errors:\s+(.*)", text)
    if errors is not None:
        result.socket_errors = errors.group(1).strip()
    return result


def ensure_wrk() -> str:
    """Return the path of ``wrk``, installing the Debian package when missing (needs root)."""
    path = shutil.which("wrk")
    if path is not None:
        return path
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run(["apt-get", "update", "-qq"], check=True, env=env)
    subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], check=True, env=env)
    path = shutil.which("wrk")
    if path is None:
        raise RuntimeError("wrk is still missing after apt-get install wrk")
    return path


def run_wrk(
    url: str,
    headers: Mapping[str, str],
    *,
    duration: int,
    connections: int,
    threads: int = 1,
) -> WrkResult:
    cmd = [
        ensure_wrk(),
        f"-t{threads}",
        f"-c{connections}",
        f"-d{duration}s",
        "--latency",
        "--timeout",
        "10s",
    ]
    for name, value in headers.items():
        cmd += ["-H", f"{name}: {value}"]
    cmd.append(url)
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=duration + 60)
    if proc.returncode != 0:
        raise RuntimeError(f"wrk failed ({proc.returncode}): {proc.stderr or proc.stdout}")
    return parse_wrk_output(proc.stdout)


# -----------------------------------------------------------------------------------------------
# /proc sampling (no psutil)
# -----------------------------------------------------------------------------------------------


def _parent_map() -> dict[int, int]:
    """Map pid -> ppid for every live process, read from /proc/PID/stat."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:  # the process exited meanwhile
            continue
        # "pid (comm) state ppid ...": comm may contain spaces and parentheses
        fields = stat[stat.rfind(")") + 2 :].split()
        parents[int(entry.name)] = int(fields[1])
    return parents


def process_tree(root: int) -> list[int]:
    """Return ``root`` and all its live descendants (empty if ``root`` is gone)."""
    parents = _parent_map()
    if root not in parents:
        return []
    children: dict[int, list[int]] = {}
    for pid, ppid in parents.items():
        children.setdefault(ppid, []).append(pid)
    tree: list[int] = []
    pending = [root]
    while pending:
        pid = pending.pop()
        tree.append(pid)
        pending.extend(children.get(pid, []))
    return sorted(tree)


def vm_rss_kib(pid: int) -> int:
    """VmRSS of one process in KiB (0 if it has exited or is a zombie)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return 0
    match = re.search(r"^VmRSS:\s+(\d+)\s+kB", status, flags=re.M)
    return int(match.group(1)) if match else 0


def process_name(pid: int) -> str:
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return "?"
    return " ".join(part.decode(errors="replace") for part in cmdline if part)[:80]


@dataclass
class TreeRss:
    pids: list[int]
    rss_kib: dict[int, int]
    names: dict[int, str]

    @property
    def total_mib(self) -> float:
        return sum(self.rss_kib.values()) / 1024

    @property
    def count(self) -> int:
        return len(self.pids)


def sample_tree_rss(root: int) -> TreeRss:
    pids = process_tree(root)
    return TreeRss(
        pids=pids,
        rss_kib={pid: vm_rss_kib(pid) for pid in pids},
        names={pid: process_name(pid) for pid in pids},
    )


def loadavg() -> str:
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "?"


def _cpu_times() -> tuple[int, int]:
    """(idle, total) jiffies of all cores, from the first line of /proc/stat."""
    fields = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)  # idle + iowait
    return idle, sum(fields)


def wait_until_idle(min_idle: float = 0.8, window_s: float = 1.0, within_s: float = 20.0) -> float:
    """Wait until the machine's cores were at least `min_idle` idle over one `window_s` (a
    freshly started agent burns CPU for a few seconds); returns the last idle fraction, also
    when `within_s` ran out first."""
    deadline = time.monotonic() + within_s
    fraction = 0.0
    while True:
        idle0, total0 = _cpu_times()
        time.sleep(window_s)
        idle1, total1 = _cpu_times()
        fraction = (idle1 - idle0) / max(1, total1 - total0)
        if fraction >= min_idle or time.monotonic() >= deadline:
            return fraction
