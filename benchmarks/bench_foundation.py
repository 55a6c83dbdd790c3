#!/usr/bin/env python3
"""Foundation benchmark: our manager vs the reference Backend.AI manager (26.9.6), side by side.

Measures, for both managers in one run:
  (a) authenticated ``GET /auth/test`` throughput and latency (wrk replaying pre-signed headers),
  (b) idle RSS summed over the manager's process tree,
  (c) ``start-server`` -> first HTTP 200 on ``GET /``.

Usage (from the repository root)::

    .venv/bin/python benchmarks/bench_foundation.py [--reference-url http://127.0.0.1:8091]
        [--duration 10] [--connections 8] [--skip-ours] [--skip-reference] [--restart-reference]

The reference stack must already run (``../shared/reference/up.sh``). Our manager is started by
the benchmark against a throw-away PostgreSQL database and etcd namespace, removed at the end.
The exit status is always 0 (except on Ctrl-C): targets are reported, never enforced.
"""

from __future__ import annotations

import argparse
import math
import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from urllib.parse import urlsplit

from benchlib import (
    SUPERADMIN_ACCESS_KEY,
    FirstAnswer,
    TreeRss,
    WrkResult,
    free_tcp_port,
    http_get,
    loadavg,
    process_name,
    process_tree,
    run_wrk,
    sample_tree_rss,
    signed_headers,
    signer_self_check,
    wait_first_answer,
)

REPO = Path(__file__).resolve().parent.parent
REF_ROOT = Path(os.environ.get("REF_ROOT", "/var/tmp/backendai-reference"))
DOCUMENTED_REF_STARTUP_S = 12.3
AUTH_TEST_PATH = "/auth/test"

# targets from the issue
TARGET_RPS_RATIO = 5.0  # ours >= 5x reference req/s
TARGET_P99_RATIO = 0.10  # ours p99 <= 1/10 of reference p99
TARGET_RSS_RATIO = 0.25  # ours RSS <= 1/4 of reference
TARGET_STARTUP_S = 2.0  # ours start -> first answer < 2 s


def _addr(env: str, default: str) -> tuple[str, int]:
    host, _, port = os.environ.get(env, default).rpartition(":")
    return host, int(port)


@dataclass
class SideResult:
    label: str
    startup: FirstAnswer | None = None
    startup_note: str = ""
    rss: TreeRss | None = None
    wrk: WrkResult | None = None
    loadavg_before_wrk: str = ""
    errors: list[str] = field(default_factory=list)


def log(msg: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def _tail(text: str, lines: int = 30) -> str:
    return "\n".join(text.strip().splitlines()[-lines:])


# -----------------------------------------------------------------------------------------------
# process helpers
# -----------------------------------------------------------------------------------------------


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # a zombie still answers kill(0); treat it as gone
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"


def terminate_tree(root: int, popen: subprocess.Popen[bytes] | None, grace: float = 30.0) -> None:
    """SIGTERM ``root``, wait up to ``grace`` s for it and its children, then SIGKILL leftovers.

    Only the PIDs of the tree rooted at ``root`` (collected before signalling) are touched.
    """
    tree = process_tree(root)
    if not tree:
        return
    with suppress(ProcessLookupError):
        os.kill(root, signal.SIGTERM)
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline:
        if popen is not None:
            popen.poll()
        if not any(_alive(pid) for pid in tree):
            break
        time.sleep(0.1)
    for pid in tree:
        if _alive(pid):
            log(f"PID {pid} ({process_name(pid)}) ignored SIGTERM for {grace:.0f} s; SIGKILL")
            with suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
    if popen is not None:
        with suppress(subprocess.TimeoutExpired):
            popen.wait(timeout=5)


# -----------------------------------------------------------------------------------------------
# measurements shared by both sides
# -----------------------------------------------------------------------------------------------


def measure_idle_rss(result: SideResult, root_pid: int, idle_wait: float) -> None:
    log(f"{result.label}: idle for {idle_wait:g} s, then sampling RSS of PID {root_pid}'s tree")
    time.sleep(idle_wait)
    rss = sample_tree_rss(root_pid)
    if not rss.pids:
        result.errors.append(f"RSS: process {root_pid} not found")
        return
    result.rss = rss


def measure_auth_test(
    result: SideResult, base_url: str, duration: int, connections: int, warmup: int = 0
) -> None:
    host = urlsplit(base_url).netloc
    headers = signed_headers(method="GET", rel_url=AUTH_TEST_PATH, host=host)
    url = base_url.rstrip("/") + AUTH_TEST_PATH
    status, body = http_get(url, headers)
    if status != 200:
        result.errors.append(
            f"GET {AUTH_TEST_PATH} probe answered {status}: {body[:300]!r}; wrk skipped"
        )
        return
    if b'"authorized"' not in body:
        result.errors.append(f"GET {AUTH_TEST_PATH} probe: unexpected body {body[:300]!r}")
    # make sure the figure is for a server that really checks the signature
    forged = {**headers, "Authorization": headers["Authorization"][:-4] + "0000"}
    forged_status, _ = http_get(url, forged)
    if forged_status == 200:
        result.errors.append(f"GET {AUTH_TEST_PATH} accepted a forged signature")
    if warmup > 0:
        log(f"{result.label}: warm-up wrk run of {warmup} s (not reported)")
        run_wrk(url, headers, duration=warmup, connections=connections)
    result.loadavg_before_wrk = loadavg()
    log(f"{result.label}: wrk -t1 -c{connections} -d{duration}s {url}")
    result.wrk = run_wrk(url, headers, duration=duration, connections=connections)


# -----------------------------------------------------------------------------------------------
# our manager
# -----------------------------------------------------------------------------------------------


class OurManager:
    """A throw-away instance of our manager: own database, etcd namespace, config and ports."""

    def __init__(self, cli: Path, keypairs_fixture: Path, workdir: Path) -> None:
        token = secrets.token_hex(4)
        self.cli = cli
        self.keypairs_fixture = keypairs_fixture
        self.workdir = workdir
        self.db_name = f"bench_mgr_{token}"
        self.namespace = f"bench{token}"
        self.etcd_host, self.etcd_port = _addr("BENCH_ETCD_ADDR", "127.0.0.1:8121")
        self.db_host, self.db_port = _addr("BENCH_DB_ADDR", "127.0.0.1:5432")
        self.redis_addr = os.environ.get("BENCH_REDIS_ADDR", "127.0.0.1:6379")
        self.port = free_tcp_port()
        self.internal_port = free_tcp_port()
        self.config = workdir / "manager.toml"
        self.server_log = workdir / "manager.log"
        self.popen: subprocess.Popen[bytes] | None = None
        self._db_created = False
        self._etcd_touched = False

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    # --- setup ---------------------------------------------------------------------------------

    def _psql(self, sql: str, database: str = "postgres") -> None:
        cmd = ["psql", "-h", self.db_host, "-p", str(self.db_port), "-U", "postgres"]
        cmd += ["-d", database, "-v", "ON_ERROR_STOP=1", "-qAtc", sql]
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
        if proc.returncode != 0:
            raise RuntimeError(f"psql {sql!r} failed: {proc.stderr.strip()}")

    def mgr(self, *args: str, timeout: float = 180.0) -> str:
        cmd = [str(self.cli), "mgr", "-f", str(self.config), *args]
        proc = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, timeout=timeout)
        if proc.returncode != 0:
            output = _tail(proc.stdout + "\n" + proc.stderr)
            raise RuntimeError(
                f"`backend.ai mgr {' '.join(args)}` exited {proc.returncode}:\n{output}"
            )
        return proc.stdout

    def write_config(self) -> None:
        self.config.write_text(
            f"""\
[etcd]
namespace = "{self.namespace}"
addr = {{ host = "{self.etcd_host}", port = {self.etcd_port} }}

[db]
addr = {{ host = "{self.db_host}", port = {self.db_port} }}
name = "{self.db_name}"
user = "postgres"
password = ""

[manager]
service-addr = {{ host = "127.0.0.1", port = {self.port} }}
internal-addr = {{ host = "127.0.0.1", port = {self.internal_port} }}
num-proc = 1

[logging]
level = "WARNING"
"""
        )

    def prepare(self) -> None:
        if not self.cli.exists():
            raise RuntimeError(f"{self.cli} does not exist (create the dev venv first)")
        if not self.keypairs_fixture.exists():
            raise RuntimeError(f"keypair fixture {self.keypairs_fixture} does not exist")
        self.write_config()
        log(f"ours: creating database {self.db_name}, etcd namespace {self.namespace}")
        self._psql(f'CREATE DATABASE "{self.db_name}" OWNER postgres')
        self._db_created = True
        self._etcd_touched = True
        self.mgr("etcd", "put", "config/redis/addr", self.redis_addr)
        log("ours: schema oneshot")
        self.mgr("schema", "oneshot")
        log("ours: fixture populate")
        self.mgr("fixture", "populate", str(self.keypairs_fixture))
        # like up.sh does for the reference: keep the keypair rate limit out of the measurement
        try:
            self._psql(
                "UPDATE keypairs SET rate_limit = 1000000000 "
                f"WHERE access_key = '{SUPERADMIN_ACCESS_KEY}'",
                database=self.db_name,
            )
        except RuntimeError as exc:
            log(f"ours: could not raise the keypair rate limit ({exc})")

    # --- server --------------------------------------------------------------------------------

    def start(self, timeout: float) -> FirstAnswer:
        cmd = [str(self.cli), "mgr", "-f", str(self.config), "start-server"]
        with self.server_log.open("wb") as out:
            started_at = time.monotonic()
            self.popen = subprocess.Popen(
                cmd, cwd=REPO, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
            )
        popen = self.popen
        try:
            return wait_first_answer(
                self.base_url + "/",
                started_at,
                timeout=timeout,
                alive=lambda: popen.poll() is None,
            )
        except (RuntimeError, TimeoutError) as exc:
            raise RuntimeError(f"{exc}\n--- manager log (tail) ---\n{self.log_tail()}") from exc

    def log_tail(self) -> str:
        try:
            return _tail(self.server_log.read_text(errors="replace"))
        except OSError:
            return "(no log)"

    def stop(self) -> None:
        if self.popen is not None and self.popen.poll() is None:
            log("ours: stopping the server (SIGTERM)")
            terminate_tree(self.popen.pid, self.popen)
        self.popen = None

    # --- cleanup -------------------------------------------------------------------------------

    def cleanup(self) -> None:
        self.stop()
        if self._etcd_touched:
            try:
                self.mgr("etcd", "delete", "--prefix", "", timeout=60)
            except (RuntimeError, subprocess.TimeoutExpired) as exc:
                log(f"ours: `mgr etcd delete` failed ({exc}); falling back to etcdctl")
                self._etcdctl_delete_namespace()
        if self._db_created:
            try:
                self._psql(f'DROP DATABASE IF EXISTS "{self.db_name}" WITH (FORCE)')
            except RuntimeError as exc:
                log(f"ours: could not drop {self.db_name}: {exc}")
        log("ours: cleaned up")

    def _etcdctl_delete_namespace(self) -> None:
        etcdctl = shutil.which("etcdctl")
        if etcdctl is None:
            log(f"ours: etcdctl missing; delete prefix /sorna/{self.namespace}/ by hand")
            return
        subprocess.run(
            [
                etcdctl,
                f"--endpoints={self.etcd_host}:{self.etcd_port}",
                "del",
                "--prefix",
                f"/sorna/{self.namespace}/",
            ],
            env={**os.environ, "ETCDCTL_API": "3"},
            capture_output=True,
            timeout=30,
            check=False,
        )


def bench_ours(args: argparse.Namespace) -> SideResult:
    result = SideResult("ours")
    with tempfile.TemporaryDirectory(prefix="bench-mgr-") as tmp:
        manager = OurManager(args.manager_cli, args.keypairs_fixture, Path(tmp))
        try:
            manager.prepare()
            log("ours: start-server")
            result.startup = manager.start(args.startup_timeout)
            log(f"ours: first 200 after {result.startup.seconds:.2f} s")
            assert manager.popen is not None
            measure_idle_rss(result, manager.popen.pid, args.idle_wait)
            measure_auth_test(
                result, manager.base_url, args.duration, args.connections, args.warmup
            )
        except Exception as exc:  # report and carry on with the other side
            result.errors.append(f"{type(exc).__name__}: {exc}")
            log(f"ours: FAILED: {exc}")
        finally:
            manager.cleanup()
    return result


# -----------------------------------------------------------------------------------------------
# reference manager (started by ../shared/reference/up.sh)
# -----------------------------------------------------------------------------------------------


def _read_pidfile(path: Path) -> int:
    try:
        return int(path.read_text().strip())
    except (OSError, ValueError) as exc:
        raise RuntimeError(f"cannot read {path} (is the reference stack up?): {exc}") from exc


def restart_reference(base_url: str, timeout: float) -> FirstAnswer:
    """Stop the reference manager via its pidfile and start it again exactly like up.sh does."""
    pidfile = REF_ROOT / "run" / "manager-launcher.pid"
    old_pid = _read_pidfile(pidfile)
    log(f"reference: stopping manager launcher PID {old_pid}")
    terminate_tree(old_pid, None, grace=60.0)
    env = {**os.environ, "DOCKER_HOST": f"unix://{REF_ROOT}/run/nodocker.sock"}
    cmd = [str(REF_ROOT / "venv-mgr/bin/backend.ai"), "mgr", "-f", "manager.toml", "start-server"]
    # wait until the old process released the port, so the timing covers a real cold start
    port = urlsplit(base_url).port or 80
    _wait_port_free(port)
    with (REF_ROOT / "logs" / "manager.log").open("ab") as out:
        started_at = time.monotonic()
        popen = subprocess.Popen(
            cmd,
            cwd=REF_ROOT / "mgr",
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,  # keeps running after the benchmark exits, as with up.sh
        )
    pidfile.write_text(f"{popen.pid}\n")
    log(f"reference: restarted, launcher PID {popen.pid}")
    # the reference limits anonymous GET / to 1000 per 15 min per IP; a 429 also proves it serves
    return wait_first_answer(
        base_url.rstrip("/") + "/",
        started_at,
        accept=frozenset({200, 429}),
        timeout=timeout,
        alive=lambda: popen.poll() is None,
    )


def _wait_port_free(port: int, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            http_get(f"http://127.0.0.1:{port}/", timeout=0.5)
        except OSError:
            return
        time.sleep(0.1)


def bench_reference(args: argparse.Namespace) -> SideResult:
    result = SideResult("reference")
    try:
        if args.restart_reference:
            result.startup = restart_reference(args.reference_url, args.startup_timeout)
            log(f"reference: first answer after {result.startup.seconds:.2f} s")
        else:
            result.startup_note = "(documented, not re-measured)"
        pid = _read_pidfile(REF_ROOT / "run" / "manager-launcher.pid")
        measure_idle_rss(result, pid, args.idle_wait)
        measure_auth_test(result, args.reference_url, args.duration, args.connections, args.warmup)
    except Exception as exc:
        result.errors.append(f"{type(exc).__name__}: {exc}")
        log(f"reference: FAILED: {exc}")
    return result


# -----------------------------------------------------------------------------------------------
# report
# -----------------------------------------------------------------------------------------------


def _fmt(value: float | None, digits: int = 1) -> str:
    if value is None or math.isnan(value):
        return "-"
    return f"{value:,.{digits}f}"


def _ratio(ours: float | None, ref: float | None) -> float | None:
    if ours is None or ref is None or math.isnan(ours) or math.isnan(ref) or ref == 0:
        return None
    return ours / ref


def _verdict(ok: bool | None) -> str:
    return "n/a" if ok is None else ("PASS" if ok else "MISS")


def print_report(args: argparse.Namespace, ours: SideResult, ref: SideResult) -> None:
    o_wrk, r_wrk = ours.wrk, ref.wrk
    o_rps = o_wrk.requests_per_sec if o_wrk else None
    r_rps = r_wrk.requests_per_sec if r_wrk else None
    o_p50 = o_wrk.p50_ms if o_wrk else None
    r_p50 = r_wrk.p50_ms if r_wrk else None
    o_p99 = o_wrk.p99_ms if o_wrk else None
    r_p99 = r_wrk.p99_ms if r_wrk else None
    o_rss = ours.rss.total_mib if ours.rss else None
    r_rss = ref.rss.total_mib if ref.rss else None
    o_start = ours.startup.seconds if ours.startup else None
    r_start = ref.startup.seconds if ref.startup else None
    r_start_txt = _fmt(r_start, 2)
    if ref.startup is None and not args.skip_reference:
        r_start = DOCUMENTED_REF_STARTUP_S
        r_start_txt = f"{DOCUMENTED_REF_STARTUP_S:.2f}*"

    rps_ratio = _ratio(o_rps, r_rps)
    p99_ratio = _ratio(o_p99, r_p99)
    rss_ratio = _ratio(o_rss, r_rss)

    def requests_cell(wrk: WrkResult | None) -> str:
        return "-" if wrk is None else f"{wrk.requests} ({wrk.non_2xx_3xx})"

    def procs_cell(rss: TreeRss | None) -> str:
        return "-" if rss is None else str(rss.count)

    rows: list[tuple[str, str, str, str, str, str]] = [
        (
            "GET /auth/test req/s",
            _fmt(o_rps),
            _fmt(r_rps),
            _fmt(rps_ratio, 2),
            f"ours/ref >= {TARGET_RPS_RATIO:g}",
            _verdict(None if rps_ratio is None else rps_ratio >= TARGET_RPS_RATIO),
        ),
        ("  p50 latency ms", _fmt(o_p50, 2), _fmt(r_p50, 2), _fmt(_ratio(o_p50, r_p50), 3), "", ""),
        (
            "  p99 latency ms",
            _fmt(o_p99, 2),
            _fmt(r_p99, 2),
            _fmt(p99_ratio, 3),
            f"ours/ref <= {TARGET_P99_RATIO:g}",
            _verdict(None if p99_ratio is None else p99_ratio <= TARGET_P99_RATIO),
        ),
        ("  requests (non-2xx)", requests_cell(o_wrk), requests_cell(r_wrk), "", "", ""),
        (
            "idle RSS MiB (all procs)",
            _fmt(o_rss),
            _fmt(r_rss),
            _fmt(rss_ratio, 3),
            f"ours/ref <= {TARGET_RSS_RATIO:g}",
            _verdict(None if rss_ratio is None else rss_ratio <= TARGET_RSS_RATIO),
        ),
        ("  manager processes", procs_cell(ours.rss), procs_cell(ref.rss), "", "", ""),
        (
            "start-server -> 1st 200 s",
            _fmt(o_start, 2),
            r_start_txt,
            _fmt(_ratio(o_start, r_start), 3),
            f"ours < {TARGET_STARTUP_S:g} s",
            _verdict(None if o_start is None else o_start < TARGET_STARTUP_S),
        ),
    ]
    header = ("metric", "ours", "reference", "ours/ref", "target", "verdict")
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(6)]

    def line(cells: tuple[str, ...]) -> str:
        first = cells[0].ljust(widths[0])
        rest = [cells[i].rjust(widths[i]) for i in range(1, 4)]
        tail = [cells[4].ljust(widths[4]), cells[5]]
        return "  ".join([first, *rest, *tail]).rstrip()

    print()
    print("=" * 88)
    print(
        f"Foundation benchmark  {time.strftime('%Y-%m-%d %H:%M:%S %Z')}  "
        f"cores={os.cpu_count()}  wrk -t1 -c{args.connections} -d{args.duration}s  "
        f"warmup={args.warmup}s  idle-wait={args.idle_wait:g}s"
    )
    print(f"reference: {args.reference_url}  (REF_ROOT={REF_ROOT})")
    print("=" * 88)
    print(line(header))
    print(line(tuple("-" * w for w in widths)))
    for row in rows:
        print(line(row))
    if ref.startup is None and not args.skip_reference:
        print(
            f"* reference start-up {DOCUMENTED_REF_STARTUP_S} s {ref.startup_note or ''}"
            " — pass --restart-reference to re-measure"
        )
    elif ref.startup is not None and ref.startup.status != 200:
        print(f"* reference first answer was HTTP {ref.startup.status} (anonymous rate limit)")
    for side in (ours, ref):
        _print_details(side)
    print()


def _print_details(side: SideResult) -> None:
    print()
    print(f"[{side.label}]")
    if side.rss is not None:
        for pid in side.rss.pids:
            rss_mib = side.rss.rss_kib[pid] / 1024
            print(f"  PID {pid:>7}  {rss_mib:8.1f} MiB  {side.rss.names[pid]}")
    if side.wrk is not None:
        pcts = "  ".join(f"p{p}={v:.2f}ms" for p, v in sorted(side.wrk.latency_ms.items()))
        print(f"  latency: {pcts}")
        print(f"  loadavg before wrk: {side.loadavg_before_wrk}")
        if side.wrk.socket_errors:
            print(f"  wrk socket errors: {side.wrk.socket_errors}")
    for error in side.errors:
        print(f"  ERROR: {error}")
    if side.rss is None and side.wrk is None and not side.errors:
        print("  skipped")


# -----------------------------------------------------------------------------------------------
# main
# -----------------------------------------------------------------------------------------------


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--reference-url", default="http://127.0.0.1:8091")
    parser.add_argument("--duration", type=int, default=10, help="wrk duration, seconds")
    parser.add_argument("--connections", type=int, default=8, help="wrk connections")
    parser.add_argument(
        "--warmup", type=int, default=0, help="unreported wrk run before (a), seconds"
    )
    parser.add_argument("--idle-wait", type=float, default=5.0, help="idle seconds before RSS")
    parser.add_argument("--startup-timeout", type=float, default=120.0)
    parser.add_argument("--skip-ours", action="store_true")
    parser.add_argument("--skip-reference", action="store_true")
    parser.add_argument(
        "--restart-reference",
        action="store_true",
        help="restart the reference manager to re-measure its start-up (else: documented 12.3 s)",
    )
    parser.add_argument("--manager-cli", type=Path, default=REPO / ".venv" / "bin" / "backend.ai")
    parser.add_argument(
        "--keypairs-fixture",
        type=Path,
        default=REPO / "sample-configs" / "example-keypairs.json",
    )
    return parser.parse_args(argv)


@contextmanager
def _sigterm_as_interrupt() -> Iterator[None]:
    def handler(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def run_both_sides[A, R](
    args: A,
    ours: R,
    ref: R,
    bench_ours: Callable[[A], R],
    bench_reference: Callable[[A], R],
    report: Callable[[A, R, R], None],
) -> int:
    """Measure our side, then the reference (never both at once: they share the cores), and
    print the report; 130 on Ctrl-C or SIGTERM, after each side has cleaned up after itself."""
    try:
        with _sigterm_as_interrupt():
            if not getattr(args, "skip_ours", False):
                ours = bench_ours(args)
            if not getattr(args, "skip_reference", False):
                ref = bench_reference(args)
    except KeyboardInterrupt:
        log("interrupted; cleaned up")
        return 130
    report(args, ours, ref)
    return 0


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    signer_self_check()
    log("signer self-check: 3/3 test vectors OK")
    return run_both_sides(
        args, SideResult("ours"), SideResult("reference"), bench_ours, bench_reference, print_report
    )


if __name__ == "__main__":
    sys.exit(main())
