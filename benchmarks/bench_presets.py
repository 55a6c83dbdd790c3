#!/usr/bin/env python3
"""`POST /resource/check-presets` benchmark: ours vs the reference Backend.AI manager (26.9.6).

For each side, ``--agents`` ALIVE schedulable agents (cpu 64 / mem 256 GiB each, in the
``default`` resource group) and ``--sessions`` RUNNING single-kernel sessions of the superadmin
(cpu 1 / mem 1 GiB each, spread over the agents, with their per-slot allocations) are inserted
directly with SQL; then `check-presets` for the default project is timed as the client signs it:
p50/p99 latency and requests/s, printed side by side with the ratio ours/reference (target: ours
at least 5x the reference's requests/s).

Usage (from the repository root)::

    .venv/bin/python benchmarks/bench_presets.py [--agents 1000] [--sessions 10000]
        [--requests 200] [--concurrency 4] [--skip-ours] [--skip-reference]

The reference stack must already run (``../shared/reference/up.sh``; database ``ref_backend``).
What the benchmark inserts there is deleted again at the end (also on errors and Ctrl-C). Our
manager runs on a throw-away database and etcd namespace, removed at the end. The exit status is
0 (130 on Ctrl-C).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import secrets
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import aiohttp
from bench_admin import Timing, insert_sql, psql, rows_in_reference
from bench_foundation import REPO, OurManager, log, run_both_sides
from benchlib import signed_headers

TARGET_RPS_RATIO = 5.0  # ours >= 5x the reference's req/s
CHECK_PATH = "/resource/check-presets"
CHECK_BODY = {"group": "default"}

# Fixture ids shared by both sides' sample data (domain, project, superadmin).
DOMAIN = ("default", "b9e676dc-e23e-54c6-b350-e83fba4127e9")
PROJECT_ID = "2de2b969-1d04-48a6-af16-0bc8adb3c831"
SUPERADMIN_UUID = "f38dea23-50fa-42a0-b5ae-338f5f4693f4"
SUPERADMIN_AK = "AKIAIOSFODNN7EXAMPLE"

AGENT_CPU = 64
AGENT_MEM = 256 * 2**30
KERNEL_CPU = 1
KERNEL_MEM = 2**30
RESOURCE_GROUP = "(SELECT id FROM scaling_groups WHERE name = 'default')"


@dataclass
class SideResult:
    name: str
    timing: Timing | None = None
    sample: dict[str, Any] | None = None
    alive_after: int | None = None
    errors: list[str] = field(default_factory=list)


# -----------------------------------------------------------------------------------------------
# SQL: the agents and sessions, shaped by each side's schema
# -----------------------------------------------------------------------------------------------


def _slots_json(cpu: int, mem: int) -> str:
    return f"'{json.dumps({'cpu': str(cpu), 'mem': str(mem)})}'::jsonb"


def seed(database: str, tag: str, agents: int, sessions: int) -> None:
    """`agents` agents with their per-slot capacity, and `sessions` RUNNING sessions with one
    kernel each (placed round-robin on the agents) and the kernels' allocations."""
    series = "FROM generate_series(1, {n}) AS g"
    agent_values = {
        "id": f"'bench-{tag}-ag-' || g",
        "uuid": "gen_random_uuid()",
        "status": "'ALIVE'",
        "status_changed": "now()",
        "region": "'local'",
        "scaling_group": "'default'",
        "resource_group_id": RESOURCE_GROUP,
        "schedulable": "true",
        "addr": "'tcp://127.0.0.1:' || (20000 + g)",
        "version": "'26.9.6'",
        "architecture": "'x86_64'",
        "compute_plugins": "'{}'::jsonb",
        "available_slots": _slots_json(AGENT_CPU, AGENT_MEM),
        "occupied_slots": "'{}'::jsonb",
        "first_contact": "now()",
        "auto_terminate_abusing_kernel": "false",
    }
    psql(database, insert_sql(database, "agents", agent_values, agents, series))
    per_agent = max(1, sessions // max(1, agents))
    resource_values = {
        "agent_id": "a.id",
        "agent_uuid": "a.uuid",
        "slot_name": "s.slot_name",
        "capacity": "s.capacity",
        "used": "s.used",
    }
    slot_rows = (
        f"(VALUES ('cpu', {AGENT_CPU}::numeric, {per_agent * KERNEL_CPU}::numeric),"
        f" ('mem', {AGENT_MEM}::numeric, {per_agent * KERNEL_MEM}::numeric))"
        " AS s(slot_name, capacity, used)"
    )
    psql(
        database,
        insert_sql(
            database,
            "agent_resources",
            resource_values,
            0,
            f"FROM agents AS a CROSS JOIN {slot_rows} WHERE a.id LIKE 'bench-{tag}-ag-%'",
        ),
    )
    session_values = {
        "id": "gen_random_uuid()",
        "creation_id": "substr(md5(g::text), 1, 32)",
        "name": f"'bench-{tag}-s-' || g",
        "session_type": "'interactive'",
        "priority": "10",
        "cluster_mode": "'single-node'",
        "cluster_size": "1",
        "agent_ids": f"ARRAY['bench-{tag}-ag-' || (1 + g % {agents})]",
        "options": "'{}'::jsonb",
        "resource_group_id": RESOURCE_GROUP,
        "scaling_group_name": "'default'",
        "domain_name": f"'{DOMAIN[0]}'",
        "domain_id": f"'{DOMAIN[1]}'::uuid",
        "group_id": f"'{PROJECT_ID}'::uuid",
        "user_uuid": f"'{SUPERADMIN_UUID}'::uuid",
        "access_key": f"'{SUPERADMIN_AK}'",
        "images": "ARRAY['cr.backend.ai/stable/python:3.9-ubuntu20.04']",
        "status": "'RUNNING'",
        "status_info": "'bench'",
        "status_history": "jsonb_build_object('RUNNING', now()::text)",
        "result": "'undefined'",
        "use_host_network": "false",
        "occupying_slots": _slots_json(KERNEL_CPU, KERNEL_MEM),
        "requested_slots": _slots_json(KERNEL_CPU, KERNEL_MEM),
        "created_at": "now() - (g || ' seconds')::interval",
    }
    psql(database, insert_sql(database, "sessions", session_values, sessions, series))
    kernel_values = {
        "id": "gen_random_uuid()",
        "session_id": "s.id",
        "session_name": "s.name",
        "session_type": "'interactive'",
        "cluster_mode": "'single-node'",
        "cluster_size": "1",
        "cluster_role": "'main'",
        "cluster_idx": "1",
        "local_rank": "0",
        "cluster_hostname": "'main1'",
        "scaling_group": "'default'",
        "resource_group_id": "s.resource_group_id",
        "agent": "s.agent_ids[1]",
        "agent_addr": "'tcp://127.0.0.1:1'",
        "domain_name": "s.domain_name",
        "group_id": "s.group_id",
        "user_uuid": "s.user_uuid",
        "access_key": "s.access_key",
        "image": "'cr.backend.ai/stable/python:3.9-ubuntu20.04'",
        "architecture": "'x86_64'",
        "registry": "'cr.backend.ai'",
        "status": "'RUNNING'",
        "result": "'undefined'",
        "occupied_slots": _slots_json(KERNEL_CPU, KERNEL_MEM),
        "requested_slots": _slots_json(KERNEL_CPU, KERNEL_MEM),
        "occupied_shares": "'{}'::jsonb",
        "repl_in_port": "0",
        "repl_out_port": "0",
        "stdin_port": "0",
        "stdout_port": "0",
        "use_host_network": "false",
    }
    psql(
        database,
        insert_sql(
            database,
            "kernels",
            kernel_values,
            0,
            f"FROM sessions AS s WHERE s.name LIKE 'bench-{tag}-s-%'",
        ),
    )
    allocation_values = {
        "id": "gen_random_uuid()",
        "kernel_id": "k.id",
        "slot_name": "r.slot_name",
        "requested": "r.amount",
        "reserved": "r.amount",
        "used": "r.amount",
        "reserved_at": "now()",
        "used_at": "now()",
    }
    amounts = (
        f"(VALUES ('cpu', {KERNEL_CPU}::numeric), ('mem', {KERNEL_MEM}::numeric))"
        " AS r(slot_name, amount)"
    )
    psql(
        database,
        insert_sql(
            database,
            "resource_allocations",
            allocation_values,
            0,
            f"FROM kernels AS k CROSS JOIN {amounts} WHERE k.session_name LIKE 'bench-{tag}-s-%'",
        ),
    )
    psql(database, "ANALYZE agents; ANALYZE agent_resources; ANALYZE kernels;")
    psql(database, "ANALYZE sessions; ANALYZE resource_allocations;")


def remove(database: str, tag: str) -> None:
    """Delete what `seed` inserted, in one transaction."""
    sessions = f"bench-{tag}-s-%"
    agents = f"bench-{tag}-ag-%"
    psql(
        database,
        "BEGIN;"
        " DELETE FROM resource_allocations WHERE kernel_id IN"
        f"  (SELECT id FROM kernels WHERE session_name LIKE '{sessions}');"
        f" DELETE FROM kernels WHERE session_name LIKE '{sessions}';"
        f" DELETE FROM sessions WHERE name LIKE '{sessions}';"
        f" DELETE FROM agent_resources WHERE agent_id LIKE '{agents}';"
        f" DELETE FROM agents WHERE id LIKE '{agents}';"
        " COMMIT;",
    )


def alive_agents(database: str, tag: str) -> int:
    out = psql(
        database,
        f"SELECT count(*) FROM agents WHERE id LIKE 'bench-{tag}-ag-%' AND status = 'ALIVE'",
    )
    return int(out.strip() or 0)


# -----------------------------------------------------------------------------------------------
# HTTP: signed check-presets requests
# -----------------------------------------------------------------------------------------------


async def post_check(http: aiohttp.ClientSession, base_url: str) -> tuple[int, Any]:
    host = urlsplit(base_url).netloc
    headers = signed_headers(
        method="POST", rel_url=CHECK_PATH, host=host, content_type="application/json"
    )
    async with http.post(base_url + CHECK_PATH, json=CHECK_BODY, headers=headers) as resp:
        text = await resp.text()
        try:
            return resp.status, json.loads(text)
        except ValueError:
            return resp.status, text


async def time_check(base_url: str, requests: int, concurrency: int) -> tuple[Timing, Any]:
    timing = Timing()
    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=connector) as http:
        status, sample = await post_check(http, base_url)  # warm-up, and a real answer
        if status != 200:
            raise RuntimeError(f"check-presets answered HTTP {status}: {str(sample)[:300]}")
        for _ in range(3):
            await post_check(http, base_url)
        remaining = requests

        async def worker() -> None:
            nonlocal remaining
            while remaining > 0:
                remaining -= 1
                started = time.perf_counter()
                try:
                    status, body = await post_check(http, base_url)
                except aiohttp.ClientError as exc:
                    timing.failures += 1
                    timing.first_error = timing.first_error or str(exc)
                    continue
                if status != 200:
                    timing.failures += 1
                    timing.first_error = timing.first_error or f"HTTP {status}: {str(body)[:200]}"
                    continue
                timing.latencies.append(time.perf_counter() - started)

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        timing.elapsed = time.perf_counter() - started
    return timing, sample


# -----------------------------------------------------------------------------------------------
# the two sides
# -----------------------------------------------------------------------------------------------


def bench_ours(args: argparse.Namespace) -> SideResult:
    result = SideResult("ours")
    tag = secrets.token_hex(3)
    with tempfile.TemporaryDirectory(prefix="bench-presets-") as tmp:
        manager = OurManager(args.manager_cli, args.keypairs_fixture, Path(tmp))
        try:
            manager.prepare()
            manager.mgr("fixture", "populate", str(args.presets_fixture))
            log(f"ours: inserting {args.agents} agents and {args.sessions} sessions")
            seed(manager.db_name, tag, args.agents, args.sessions)
            log("ours: start-server")
            manager.start(args.startup_timeout)
            log("ours: timing check-presets")
            result.timing, result.sample = asyncio.run(
                time_check(manager.base_url, args.requests, args.concurrency)
            )
            result.alive_after = alive_agents(manager.db_name, tag)
            manager.stop()
        except Exception as exc:  # report and carry on with the other side
            result.errors.append(f"{type(exc).__name__}: {exc}")
            log(f"ours: FAILED: {exc}")
        finally:
            manager.cleanup()  # drops the whole database
    return result


def bench_reference(args: argparse.Namespace) -> SideResult:
    result = SideResult("reference")
    tag = secrets.token_hex(3)
    db = args.reference_db
    try:
        log(f"reference: inserting {args.agents} agents and {args.sessions} sessions into {db}")
        with rows_in_reference(
            tag,
            lambda: seed(db, tag, args.agents, args.sessions),
            lambda: remove(db, tag),
        ):
            log("reference: timing check-presets")
            result.timing, result.sample = asyncio.run(
                time_check(args.reference_url, args.requests, args.concurrency)
            )
            result.alive_after = alive_agents(db, tag)
    except Exception as exc:
        result.errors.append(f"{type(exc).__name__}: {exc}")
        log(f"reference: FAILED: {exc}")
    return result


# -----------------------------------------------------------------------------------------------
# report
# -----------------------------------------------------------------------------------------------


def _fmt(value: float | None, unit: str = "") -> str:
    if value is None:
        return "-"
    return f"{value:,.2f}{unit}"


def _ratio(a: float | None, b: float | None) -> str:
    if a is None or b is None or b == 0:
        return "-"
    return f"{a / b:.2f}"


def print_report(args: argparse.Namespace, ours: SideResult, ref: SideResult) -> None:
    print()
    print(
        f"check-presets benchmark: {args.agents} agents + {args.sessions} RUNNING sessions per"
        f" side, {args.requests} requests, concurrency {args.concurrency}, body {CHECK_BODY}"
    )
    o, r = ours.timing, ref.timing
    o_rps = o.rps if o else None
    r_rps = r.rps if r else None
    verdict = "-"
    if o_rps is not None and r_rps:
        verdict = (
            f">= {TARGET_RPS_RATIO:g} {'PASS' if o_rps / r_rps >= TARGET_RPS_RATIO else 'MISS'}"
        )
    rows: list[tuple[str, ...]] = [
        ("req/s", _fmt(o_rps), _fmt(r_rps), _ratio(o_rps, r_rps), verdict)
    ]
    for label, q in (("p50", 0.5), ("p99", 0.99)):
        o_v = o.percentile(q) if o else None
        r_v = r.percentile(q) if r else None
        # latency: reference/ours, so that "5x faster" reads the same way as for req/s
        rows.append((label, _fmt(o_v, " ms"), _fmt(r_v, " ms"), _ratio(r_v, o_v), "ref/ours"))
    rows.append(
        (
            "failed requests",
            str(o.failures) if o else "-",
            str(r.failures) if r else "-",
            "",
            "",
        )
    )
    rows.append(
        (
            "agents still ALIVE",
            "-" if ours.alive_after is None else str(ours.alive_after),
            "-" if ref.alive_after is None else str(ref.alive_after),
            "",
            f"of {args.agents}",
        )
    )
    header = ("metric", "ours", "reference", "ratio", "target")
    widths = [max(len(row[i]) for row in (header, *rows)) for i in range(len(header))]
    for line in (header, tuple("-" * w for w in widths), *rows):
        print("  ".join(cell.ljust(w) for cell, w in zip(line, widths, strict=True)).rstrip())
    for side in (ours, ref):
        if side.sample is not None and isinstance(side.sample, dict):
            keys = ", ".join(
                f"{k}={side.sample[k]}"
                for k in ("keypair_using", "scaling_group_remaining")
                if k in side.sample
            )
            print(f"{side.name}: {keys}")
        if side.timing is not None and side.timing.first_error:
            print(f"{side.name}: first error: {side.timing.first_error}")
        for error in side.errors:
            print(f"{side.name}: ERROR {error}")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--agents", type=int, default=1_000)
    parser.add_argument("--sessions", type=int, default=10_000)
    parser.add_argument("--requests", type=int, default=200, help="timed requests per side")
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--reference-url", default="http://127.0.0.1:8091")
    parser.add_argument("--reference-db", default="ref_backend")
    parser.add_argument("--startup-timeout", type=float, default=120.0)
    parser.add_argument("--skip-ours", action="store_true")
    parser.add_argument("--skip-reference", action="store_true")
    parser.add_argument("--manager-cli", type=Path, default=REPO / ".venv" / "bin" / "backend.ai")
    parser.add_argument(
        "--keypairs-fixture", type=Path, default=REPO / "sample-configs" / "example-keypairs.json"
    )
    parser.add_argument(
        "--presets-fixture",
        type=Path,
        default=REPO / "sample-configs" / "example-resource-presets.json",
    )
    args = parser.parse_args(argv)
    if min(args.agents, args.sessions, args.requests, args.concurrency) < 1:
        parser.error("--agents, --sessions, --requests and --concurrency must be positive")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    return run_both_sides(
        args, SideResult("ours"), SideResult("reference"), bench_ours, bench_reference, print_report
    )


if __name__ == "__main__":
    sys.exit(main())
