#!/usr/bin/env python3
"""Session benchmark: our manager vs the reference Backend.AI manager (26.9.6), with real dummy
agents (backend.ai-agent 26.9.6, dummy backend) using the same delays on both sides.

  create    one session, ``POST /session`` with enqueueOnly=false (returns when RUNNING):
            request wall time, DB ``created_at`` -> RUNNING, the agent's own work, and the
            overhead beyond it (target: ours within 0.3 s of the agent's work);
  queue50   50 sessions enqueued (enqueueOnly=true, 8 requests in flight): first ``created_at``
            -> last RUNNING (target: ours >= 4x faster), then forced destroy -> TERMINATED;
  place500  500 queued sessions over 20 agents: sessions placed per second once the queue is
            released (target: ours >= 10x) and time to all RUNNING. The 500 wait behind a
            gate session they depend on; destroying the gate releases them (see
            `scenario_held_queue`), so the rate is the scheduler's, not the enqueueing's. By
            default the reference runs what fits on its single 64-core agent
            (``--reference-agents 20`` starts 20 more reference agents);
  plus      placement decisions per second in one resource group, agents' work excluded
            (benchmarks/bench_placement.py, and the scheduler pass timings from /metrics).

Usage (from the repository root)::

    .venv/bin/python benchmarks/bench_sessions.py [--skip-reference] [--skip-ours]
        [--only create|queue50|place500] [--reference-agents 20]

Our side runs a throw-away manager (own database, etcd namespace and Redis server) with dummy
agents rendered from configs/agent/; everything is removed at the end, also on errors, Ctrl-C
and SIGTERM. The reference stack must already run (``../shared/reference/up.sh``). The exit
status is always 0 (130 on Ctrl-C): targets are reported, never enforced.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import functools
import json
import math
import os
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable, Coroutine, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from types import FrameType
from typing import Any
from urllib.parse import urlsplit

import aiohttp
import asyncpg
from bench_foundation import log
from benchlib import http_get, loadavg, signed_headers, signer_self_check, wait_until_idle
from session_stacks import (
    CREATE_PATH_DELAYS,
    GIB,
    REF_DUMMY_TOML,
    AgentGroup,
    DelayTable,
    ReferenceAgent,
    SessionBenchManager,
    create_path_seconds,
    delay_seconds,
    our_stack,
    read_delays,
    start_our_agents,
    start_reference_agents,
    stop_reference_agents,
)

REPO = Path(__file__).resolve().parent.parent
SCENARIOS = ("create", "queue50", "place500")
TERMINAL = frozenset({"TERMINATED", "CANCELLED", "ERROR"})

# targets from the issue
TARGET_CREATE_OVERHEAD_S = 0.3  # ours: created -> RUNNING within 0.3 s of the agent's work
TARGET_QUEUE50_SPEEDUP = 4.0  # ours >= 4x faster than the reference
TARGET_PLACE500_SPEEDUP = 10.0  # ours >= 10x the reference
DOCUMENTED_REF_QUEUE50_S = 17.7  # measured with files/bench_sessions.py (reference README)

# the canonical name: the reference stack aliases it only as `python`
SESSION_IMAGE = "cr.backend.ai/stable/python:3.9-ubuntu20.04"
SESSION_RESOURCES = {"cpu": "1", "mem": "512m"}  # the reference's minimum is 320m (gotcha 4)


# -----------------------------------------------------------------------------------------------
# results
# -----------------------------------------------------------------------------------------------


@dataclass
class CreateSample:
    wall_s: float
    created_to_running_s: float | None
    agent_work_s: float | None  # kernel PREPARING -> PREPARED + CREATING -> RUNNING (from the DB)
    status: str
    phases: dict[str, float] = field(default_factory=dict)  # session status -> s after created


@dataclass
class QueueResult:
    sessions: int
    agents: int
    enqueue_s: float = math.nan
    running: int = 0
    scheduled: int = 0
    first_created_to_last_scheduled_s: float = math.nan
    first_created_to_last_running_s: float = math.nan
    per_session_s: list[float] = field(default_factory=list)  # created -> RUNNING
    # session status -> offsets from each session's created_at, s
    phase_offsets: dict[str, list[float]] = field(default_factory=dict)
    final_statuses: dict[str, int] = field(default_factory=dict)
    destroy_requests_s: float = math.nan
    destroy_to_terminal_s: float = math.nan
    destroy_statuses: dict[str, int] = field(default_factory=dict)
    scheduler_busy_s: float = math.nan  # sum of scheduler pass durations (from /metrics)
    scheduler_passes: float = math.nan
    note: str = ""
    # a held queue (place500): from its release (the gate session TERMINATED)
    release_to_last_scheduled_s: float = math.nan
    release_to_last_running_s: float = math.nan

    @property
    def held(self) -> bool:
        return not math.isnan(self.release_to_last_scheduled_s)

    @property
    def placed_per_s(self) -> float:
        span = (
            self.release_to_last_scheduled_s
            if self.held
            else self.first_created_to_last_scheduled_s
        )
        return self.scheduled / span if span and span > 0 else math.nan

    @property
    def running_per_s(self) -> float:
        span = self.release_to_last_running_s if self.held else self.first_created_to_last_running_s
        return self.running / span if span and span > 0 else math.nan

    @property
    def enqueue_per_s(self) -> float:
        return self.sessions / self.enqueue_s if self.enqueue_s > 0 else math.nan

    def pct(self, q: float) -> float:
        if not self.per_session_s:
            return math.nan
        values = sorted(self.per_session_s)
        return values[min(len(values) - 1, max(0, math.ceil(q * len(values)) - 1))]


@dataclass
class SideResult:
    label: str
    create: list[CreateSample] = field(default_factory=list)
    queue50: QueueResult | None = None
    place500: QueueResult | None = None
    configured_agent_work_s: float = math.nan
    errors: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


@dataclass
class PlannerFigure:
    decisions_per_s: float = math.nan
    line: str = ""
    error: str = ""


# -----------------------------------------------------------------------------------------------
# talking to a manager: REST (signed) and its database
# -----------------------------------------------------------------------------------------------


@dataclass
class Target:
    """One manager under test: where its API, database and metrics are."""

    label: str
    base_url: str
    dsn: str
    metrics_url: str
    metric_name: str  # histogram of one scheduling pass (``_sum``/``_count`` are read)
    metric_filter: str  # a label substring that selects the pass we want
    result_success: str  # how its `sessions.result` column spells a success

    @property
    def host(self) -> str:
        return urlsplit(self.base_url).netloc


class Api:
    def __init__(self, target: Target, http: aiohttp.ClientSession) -> None:
        self.target = target
        self.http = http

    async def call(
        self, method: str, path: str, body: dict[str, Any] | None = None
    ) -> tuple[int, Any]:
        content_type = "application/json" if body is not None else "text/plain"
        headers = signed_headers(
            method=method, rel_url=path, host=self.target.host, content_type=content_type
        )
        data = json.dumps(body).encode() if body is not None else None
        async with self.http.request(
            method, self.target.base_url + path, headers=headers, data=data
        ) as resp:
            text = await resp.text()
            try:
                return resp.status, json.loads(text) if text else None
            except json.JSONDecodeError:
                return resp.status, text

    async def create(
        self, name: str, *, enqueue_only: bool, depends_on: Sequence[str] = ()
    ) -> dict[str, Any]:
        body: dict[str, Any] = {
            "name": name,
            "image": SESSION_IMAGE,
            "type": "interactive",
            "group": "default",
            "domain": "default",
            "enqueueOnly": enqueue_only,
            "config": {"resources": dict(SESSION_RESOURCES)},
        }
        if not enqueue_only:
            body["maxWaitSeconds"] = 120
        if depends_on:
            body["dependencies"] = list(depends_on)
        status, answer = await self.call("POST", "/session", body)
        if status not in (200, 201) or not isinstance(answer, dict) or "sessionId" not in answer:
            raise RuntimeError(f"POST /session {name}: HTTP {status}: {str(answer)[:400]}")
        return answer

    async def destroy(self, session_id: str) -> int:
        status, _ = await self.call("DELETE", f"/session/{session_id}?forced=true")
        return status


async def gather_limited(limit: int, jobs: Sequence[Callable[[], Awaitable[Any]]]) -> list[Any]:
    semaphore = asyncio.Semaphore(limit)

    async def run(job: Callable[[], Awaitable[Any]]) -> Any:
        async with semaphore:
            return await job()

    return await asyncio.gather(*(run(job) for job in jobs))


def _ts(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        return value
    if isinstance(value, str):
        try:
            return datetime.fromisoformat(value)
        except ValueError:
            return None
    return None


def _history(raw: Any) -> dict[str, datetime]:
    data = json.loads(raw) if isinstance(raw, str) else raw
    if not isinstance(data, dict):
        return {}
    out: dict[str, datetime] = {}
    for status, when in data.items():
        ts = _ts(when)
        if ts is not None:
            out[str(status)] = ts
    return out


@dataclass
class SessionRow:
    id: uuid.UUID
    status: str
    created_at: datetime
    history: dict[str, datetime]


async def session_rows(db: asyncpg.Connection, ids: Sequence[str]) -> list[SessionRow]:
    rows = await db.fetch(
        "SELECT id, status::text AS status, created_at, status_history FROM sessions "
        "WHERE id = ANY($1::uuid[])",
        [uuid.UUID(i) for i in ids],
    )
    return [
        SessionRow(r["id"], r["status"], r["created_at"], _history(r["status_history"]))
        for r in rows
    ]


async def kernel_histories(db: asyncpg.Connection, session_id: str) -> list[dict[str, datetime]]:
    rows = await db.fetch(
        "SELECT status_history FROM kernels WHERE session_id = $1::uuid", uuid.UUID(session_id)
    )
    return [_history(r["status_history"]) for r in rows]


async def status_counts(db: asyncpg.Connection, ids: Sequence[str]) -> dict[str, int]:
    rows = await db.fetch(
        "SELECT status::text AS status, count(*) AS n FROM sessions "
        "WHERE id = ANY($1::uuid[]) GROUP BY status",
        [uuid.UUID(i) for i in ids],
    )
    return {r["status"]: int(r["n"]) for r in rows}


async def wait_statuses(
    db: asyncpg.Connection,
    ids: Sequence[str],
    done: Callable[[dict[str, int]], bool],
    deadline_s: float,
    interval: float = 0.2,
) -> dict[str, int]:
    """Poll the DB until ``done(counts)``; returns the last counts (also on time-out)."""
    deadline = time.monotonic() + deadline_s
    counts: dict[str, int] = {}
    while time.monotonic() < deadline:
        counts = await status_counts(db, ids)
        if done(counts):
            break
        await asyncio.sleep(interval)
    return counts


async def scrape_pass_metric(target: Target) -> tuple[float, float]:
    """Sum and count of the scheduler pass histogram (0, 0 when absent)."""
    try:
        status, body = await asyncio.to_thread(http_get, target.metrics_url, None, 5.0)
    except OSError:
        return math.nan, math.nan
    if status != 200:
        return math.nan, math.nan
    total = count = 0.0
    for line in body.decode(errors="replace").splitlines():
        if not line.startswith(target.metric_name) or target.metric_filter not in line:
            continue
        name, _, value = line.rpartition(" ")
        if name.startswith(target.metric_name + "_sum"):
            total += float(value)
        elif name.startswith(target.metric_name + "_count"):
            count += float(value)
    return total, count


# -----------------------------------------------------------------------------------------------
# scenarios (the same code for both managers)
# -----------------------------------------------------------------------------------------------


async def destroy_and_wait(
    api: Api, db: asyncpg.Connection, ids: Sequence[str], within_s: float
) -> tuple[float, float, dict[str, int]]:
    """Forced destroy of every session, 8 requests in flight; wait until all are terminal."""
    started = time.monotonic()
    await gather_limited(8, [functools.partial(api.destroy, sid) for sid in ids])
    requests_s = time.monotonic() - started
    counts = await wait_statuses(
        db, ids, lambda c: sum(n for s, n in c.items() if s in TERMINAL) >= len(ids), within_s, 0.3
    )
    return requests_s, time.monotonic() - started, counts


async def scenario_create(target: Target, runs: int, tag: str) -> list[CreateSample]:
    samples: list[CreateSample] = []
    async with aiohttp.ClientSession() as http:
        api = Api(target, http)
        db = await asyncpg.connect(target.dsn)
        try:
            for n in range(runs):
                name = f"{tag}-c{n}"
                started = time.monotonic()
                answer = await api.create(name, enqueue_only=False)
                wall = time.monotonic() - started
                sid = str(answer["sessionId"])
                status = str(answer.get("status", "?"))
                if status != "RUNNING":
                    counts = await wait_statuses(db, [sid], lambda c: "RUNNING" in c, 60)
                    status = f"{status} (then {', '.join(counts) or '?'})"
                rows = await session_rows(db, [sid])
                sample = CreateSample(wall, None, None, status)
                if rows:
                    row = rows[0]
                    running = row.history.get("RUNNING")
                    if running is not None:
                        sample.created_to_running_s = (running - row.created_at).total_seconds()
                    sample.phases = {
                        s: (t - row.created_at).total_seconds()
                        for s, t in sorted(row.history.items(), key=lambda kv: kv[1])
                    }
                    sample.agent_work_s = _agent_work(await kernel_histories(db, sid))
                samples.append(sample)
                log(
                    f"{target.label}: create #{n + 1}: POST {wall:.3f} s, created->RUNNING "
                    f"{_fmt(sample.created_to_running_s, 3)} s, agent "
                    f"{_fmt(sample.agent_work_s, 3)} s, {status}"
                )
                await destroy_and_wait(api, db, [sid], 60)
        finally:
            await db.close()
    return samples


def _agent_work(kernels: list[dict[str, datetime]]) -> float | None:
    """The agent's part of starting the (first) kernel, as the manager recorded it:
    PREPARING -> PREPARED (``check_and_pull``) plus CREATING -> RUNNING (``create_kernels``)."""
    for history in kernels:
        parts = []
        for start, end in (("PREPARING", "PREPARED"), ("CREATING", "RUNNING")):
            if start in history and end in history:
                parts.append((history[end] - history[start]).total_seconds())
        if len(parts) == 2:
            return sum(parts)
    return None


async def scenario_queue(
    target: Target, sessions: int, agents: int, tag: str, run_timeout: float
) -> QueueResult:
    result = QueueResult(sessions=sessions, agents=agents)
    ids: list[str] = []
    async with aiohttp.ClientSession(
        connector=aiohttp.TCPConnector(limit=16), timeout=aiohttp.ClientTimeout(total=300)
    ) as http:
        api = Api(target, http)
        db = await asyncpg.connect(target.dsn)
        try:
            metric_before = await scrape_pass_metric(target)

            async def enqueue(n: int) -> None:
                answer = await api.create(f"{tag}-{n}", enqueue_only=True)
                ids.append(str(answer["sessionId"]))

            started = time.monotonic()
            try:
                await gather_limited(8, [functools.partial(enqueue, n) for n in range(sessions)])
            finally:
                result.enqueue_s = time.monotonic() - started
            log(
                f"{target.label}: enqueued {sessions} in {result.enqueue_s:.2f} s; "
                "waiting for RUNNING"
            )
            await _until_running(result, target, db, ids, run_timeout, metric_before)
            log(
                f"{target.label}: {result.running}/{sessions} RUNNING, first created -> last "
                f"RUNNING {result.first_created_to_last_running_s:.2f} s; destroying (forced)"
            )
        finally:
            await _destroy_all(result, api, db, ids)
    return result


async def scenario_held_queue(
    target: Target, sessions: int, agents: int, tag: str, run_timeout: float
) -> QueueResult:
    """`sessions` wait in the queue behind one gate session, then are released at once.

    Each queued session depends on the gate (a RUNNING session marked as having succeeded, as a
    finished batch job would be); the gate is then destroyed. Its TERMINATED time is the
    release. The reference reconsiders its queue only when a session arrives or on its
    60-second cycle, so one more session is enqueued as soon as the gate has ended, on both
    sides. Placement rate: queued sessions / (release -> last SCHEDULED).
    """
    result = QueueResult(sessions=sessions, agents=agents)
    ids: list[str] = []
    extra: list[str] = []
    async with aiohttp.ClientSession(
        connector=aiohttp.TCPConnector(limit=16), timeout=aiohttp.ClientTimeout(total=300)
    ) as http:
        api = Api(target, http)
        db = await asyncpg.connect(target.dsn)
        try:
            gate = str((await api.create(f"{tag}-gate", enqueue_only=False))["sessionId"])
            extra.append(gate)
            await db.execute(
                "UPDATE sessions SET result = $2 WHERE id = $1::uuid",
                uuid.UUID(gate),
                target.result_success,
            )

            async def enqueue(n: int) -> None:
                answer = await api.create(f"{tag}-{n}", enqueue_only=True, depends_on=[gate])
                ids.append(str(answer["sessionId"]))

            started = time.monotonic()
            try:
                await gather_limited(8, [functools.partial(enqueue, n) for n in range(sessions)])
            finally:
                result.enqueue_s = time.monotonic() - started
            log(f"{target.label}: {sessions} queued behind the gate in {result.enqueue_s:.2f} s")
            idle = await asyncio.to_thread(wait_until_idle, 0.6, 1.0, 15.0)
            log(f"{target.label}: releasing the queue (cores {idle:.0%} idle)")
            metric_before = await scrape_pass_metric(target)
            await api.destroy(gate)
            await wait_statuses(db, [gate], lambda c: "TERMINATED" in c, 60, 0.05)
            kick = await api.create(f"{tag}-kick", enqueue_only=True)
            extra.append(str(kick["sessionId"]))
            released = (await session_rows(db, [gate]))[0].history.get("TERMINATED")
            # All placed: observed from outside (polled every 20 ms, the same on both sides),
            # since a manager may stamp SCHEDULED with the time its pass began.
            placed_seen: datetime | None = None
            placed_deadline = time.monotonic() + run_timeout
            while time.monotonic() < placed_deadline:
                waiting = await db.fetchval(
                    "SELECT count(*) FROM sessions WHERE id = ANY($1::uuid[]) "
                    "AND status::text = 'PENDING'",
                    [uuid.UUID(i) for i in ids],
                )
                if not waiting:
                    placed_seen = datetime.now(UTC)
                    break
                await asyncio.sleep(0.02)
            rows = await _until_running(result, target, db, ids, run_timeout, metric_before)
            if released is not None:
                scheduled = [r.history["SCHEDULED"] for r in rows if "SCHEDULED" in r.history]
                running = [r.history["RUNNING"] for r in rows if "RUNNING" in r.history]
                last = max([*scheduled, *([placed_seen] if placed_seen else [])], default=None)
                if last is not None:
                    result.release_to_last_scheduled_s = (last - released).total_seconds()
                if running:
                    result.release_to_last_running_s = (max(running) - released).total_seconds()
            log(
                f"{target.label}: release -> last SCHEDULED "
                f"{result.release_to_last_scheduled_s:.2f} s, -> last RUNNING "
                f"{result.release_to_last_running_s:.2f} s ({result.running}/{sessions} RUNNING)"
            )
        finally:
            await _destroy_all(result, api, db, ids + extra)
    return result


async def _until_running(
    result: QueueResult,
    target: Target,
    db: asyncpg.Connection,
    ids: list[str],
    run_timeout: float,
    metric_before: tuple[float, float],
) -> list[SessionRow]:
    """Wait until every session is RUNNING (or ended); fill in the timings and pass metrics."""
    result.final_statuses = await wait_statuses(
        db,
        ids,
        lambda c: c.get("RUNNING", 0) + sum(c.get(s, 0) for s in TERMINAL) >= len(ids),
        run_timeout,
    )
    metric_after = await scrape_pass_metric(target)
    result.scheduler_busy_s = metric_after[0] - metric_before[0]
    result.scheduler_passes = metric_after[1] - metric_before[1]
    rows = await session_rows(db, ids)
    _fill_queue_timings(result, rows)
    return rows


async def _destroy_all(
    result: QueueResult, api: Api, db: asyncpg.Connection, ids: list[str]
) -> None:
    """Forced destroy of what the scenario created (also after a failure), then close `db`."""
    try:
        if ids:
            requests_s, total_s, counts = await destroy_and_wait(
                api, db, ids, max(60.0, len(ids) * 0.5)
            )
            result.destroy_requests_s, result.destroy_to_terminal_s = requests_s, total_s
            result.destroy_statuses = counts
            log(f"{api.target.label}: destroyed in {total_s:.2f} s: {counts}")
    finally:
        await db.close()


def _fill_queue_timings(result: QueueResult, rows: list[SessionRow]) -> None:
    if not rows:
        return
    first_created = min(r.created_at for r in rows)
    scheduled = [r.history["SCHEDULED"] for r in rows if "SCHEDULED" in r.history]
    running = [r for r in rows if "RUNNING" in r.history]
    result.scheduled = len(scheduled)
    result.running = len(running)
    if scheduled:
        result.first_created_to_last_scheduled_s = (max(scheduled) - first_created).total_seconds()
    for row in rows:
        for status, when in row.history.items():
            offset = (when - row.created_at).total_seconds()
            result.phase_offsets.setdefault(status, []).append(offset)
    if running:
        last = max(r.history["RUNNING"] for r in running)
        result.first_created_to_last_running_s = (last - first_created).total_seconds()
        result.per_session_s = [
            (r.history["RUNNING"] - r.created_at).total_seconds() for r in running
        ]


# -----------------------------------------------------------------------------------------------
# our side
# -----------------------------------------------------------------------------------------------


async def wait_agents_alive(dsn: str, ids: Sequence[str], within_s: float) -> None:
    db = await asyncpg.connect(dsn)
    try:
        deadline = time.monotonic() + within_s
        alive: set[str] = set()
        while time.monotonic() < deadline:
            rows = await db.fetch(
                "SELECT id FROM agents WHERE status::text = 'ALIVE' AND id = ANY($1::text[])",
                list(ids),
            )
            alive = {r["id"] for r in rows}
            if alive >= set(ids):
                return
            await asyncio.sleep(0.5)
        missing = sorted(set(ids) - alive)
        raise TimeoutError(f"agents not ALIVE after {within_s:.0f} s: {missing}")
    finally:
        await db.close()


async def wait_agents_gone(dsn: str, ids: Sequence[str], within_s: float) -> None:
    db = await asyncpg.connect(dsn)
    try:
        deadline = time.monotonic() + within_s
        while time.monotonic() < deadline:
            n = await db.fetchval(
                "SELECT count(*) FROM agents WHERE status::text = 'ALIVE' AND id = ANY($1::text[])",
                list(ids),
            )
            if not n:
                return
            await asyncio.sleep(0.5)
    finally:
        await db.close()


def our_target(manager: SessionBenchManager) -> Target:
    return Target(
        label="ours",
        base_url=manager.base_url,
        dsn=manager.db_dsn,
        metrics_url=manager.metrics_url,
        metric_name="backendai_scheduler_phase_duration_sec",
        metric_filter='phase="schedule"',
        result_success="success",
    )


def bench_ours(args: argparse.Namespace, delays: DelayTable, tag: str) -> SideResult:
    result = SideResult("ours", configured_agent_work_s=create_path_seconds(delays))
    fixtures = [
        REPO / "sample-configs" / "example-keypairs.json",
        REPO / "sample-configs" / "example-resource-presets.json",
        REPO / "sample-configs" / "example-images.json",
    ]
    with contextlib.ExitStack() as stack:
        try:
            tmp = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="bench-sess-")))
            manager = stack.enter_context(our_stack(args.manager_cli, tmp, fixtures))
            target = our_target(manager)
            if {"create", "queue50"} & set(args.scenarios):
                big = AgentGroup()
                stack.callback(big.stop)
                start_our_agents(
                    big,
                    count=1,
                    workdir=tmp / "agents-big",
                    manager=manager,
                    cpu=64,
                    mem_bytes=128 * GIB,
                    delays=delays,
                    id_prefix="i-bench-big",
                )
                log("ours: waiting for 1 agent (64 cores, 128 GiB)")
                asyncio.run(wait_agents_alive(manager.db_dsn, big.ids, 120))
                result.notes.append("create/queue50: 1 dummy agent, 64 cores, 128 GiB")
                if "create" in args.scenarios:
                    result.create = (
                        _run_step(result, "create", scenario_create(target, args.create_runs, tag))
                        or []
                    )
                if "queue50" in args.scenarios:
                    result.queue50 = _run_step(
                        result, "queue50", scenario_queue(target, 50, 1, f"{tag}-q", 180)
                    )
                big_ids = big.ids
                big.stop()
                if "place500" in args.scenarios:
                    asyncio.run(wait_agents_gone(manager.db_dsn, big_ids, 45))
            if "place500" in args.scenarios:
                many = AgentGroup()
                stack.callback(many.stop)
                log(f"ours: starting {args.agents} agents ({args.agent_cpu} cores, 32 GiB each)")
                start_our_agents(
                    many,
                    count=args.agents,
                    workdir=tmp / "agents-many",
                    manager=manager,
                    cpu=args.agent_cpu,
                    mem_bytes=32 * GIB,
                    delays=delays,
                    id_prefix="i-bench",
                    heartbeat_interval=2.0,
                )
                asyncio.run(wait_agents_alive(manager.db_dsn, many.ids, 300))
                log(f"ours: {args.agents} agents ALIVE; loadavg {loadavg()}")
                result.place500 = _run_step(
                    result,
                    "place500",
                    scenario_held_queue(target, args.sessions, args.agents, f"{tag}-p", 300),
                )
                result.notes.append(
                    f"place500: {args.agents} dummy agents x {args.agent_cpu} cores, 32 GiB"
                )
        except Exception as exc:
            result.errors.append(f"{type(exc).__name__}: {exc}")
            log(f"ours: FAILED: {exc}")
    return result


def _run_step[T](result: SideResult, name: str, coro: Coroutine[Any, Any, T]) -> T | None:
    # Start each scenario on a quiet machine: a freshly started agent, or the previous
    # scenario's clean-up, would otherwise eat into the first seconds of the next.
    idle = wait_until_idle()
    log(f"{result.label}: {name}: cores {idle:.0%} idle; loadavg {loadavg()}")
    try:
        return asyncio.run(coro)
    except (KeyboardInterrupt, SystemExit):
        raise
    except Exception as exc:
        result.errors.append(f"{name}: {type(exc).__name__}: {exc}")
        log(f"{result.label}: {name} FAILED: {exc}")
        return None


# -----------------------------------------------------------------------------------------------
# reference side
# -----------------------------------------------------------------------------------------------

REF_DSN = os.environ.get("REF_DSN", "postgresql://postgres@127.0.0.1:5432/ref_backend")


def reference_target(base_url: str) -> Target:
    internal = os.environ.get("REF_INTERNAL_URL", "http://127.0.0.1:18091")
    return Target(
        label="reference",
        base_url=base_url.rstrip("/"),
        dsn=REF_DSN,
        metrics_url=internal + "/metrics",
        metric_name="backendai_scheduler_operation_duration_sec",
        metric_filter='operation="schedule-sessions"',
        result_success="SUCCESS",
    )


async def reference_alive_agents() -> dict[str, str]:
    db = await asyncpg.connect(REF_DSN)
    try:
        rows = await db.fetch("SELECT id, status::text AS status FROM agents")
        return {r["id"]: r["status"] for r in rows}
    finally:
        await db.close()


async def reference_policy(set_to: int | None) -> int | None:
    """Read (and optionally set) the default keypair policy's max_concurrent_sessions."""
    db = await asyncpg.connect(REF_DSN)
    try:
        old = await db.fetchval(
            "SELECT max_concurrent_sessions FROM keypair_resource_policies WHERE name = 'default'"
        )
        if set_to is not None:
            await db.execute(
                "UPDATE keypair_resource_policies SET max_concurrent_sessions = $1 "
                "WHERE name = 'default'",
                set_to,
            )
        return int(old) if old is not None else None
    finally:
        await db.close()


def bench_reference(args: argparse.Namespace, delays: DelayTable, tag: str) -> SideResult:
    result = SideResult("reference", configured_agent_work_s=create_path_seconds(delays))
    target = reference_target(args.reference_url)
    with contextlib.ExitStack() as stack:
        try:
            status, _ = http_get(target.base_url + "/", timeout=5)
            if status not in (200, 429):
                raise RuntimeError(f"reference GET / answered {status}")
            agents = asyncio.run(reference_alive_agents())
            alive = sorted(a for a, s in agents.items() if s == "ALIVE")
            if not alive:
                raise RuntimeError(
                    f"no ALIVE reference agent ({agents}); run ../shared/reference/up.sh"
                )
            log(f"reference: ALIVE agents {alive}")
            result.notes.append(f"create/queue50: agent(s) {', '.join(alive)} (64 cores, 128 GiB)")
            if "create" in args.scenarios:
                result.create = (
                    _run_step(result, "create", scenario_create(target, args.create_runs, tag))
                    or []
                )
            if "queue50" in args.scenarios:
                result.queue50 = _run_step(
                    result, "queue50", scenario_queue(target, 50, len(alive), f"{tag}-q", 300)
                )
            if "place500" in args.scenarios:
                _reference_place(args, result, target, tag, stack, alive)
        except Exception as exc:
            result.errors.append(f"{type(exc).__name__}: {exc}")
            log(f"reference: FAILED: {exc}")
    return result


def _reference_place(
    args: argparse.Namespace,
    result: SideResult,
    target: Target,
    tag: str,
    stack: contextlib.ExitStack,
    alive: list[str],
) -> None:
    extra: list[ReferenceAgent] = []
    sessions = args.reference_sessions
    if args.reference_agents > 0:
        sessions = sessions or args.sessions
        tmp = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="bench-refag-")))
        stack.callback(stop_reference_agents, extra)
        log(f"reference: starting {args.reference_agents} extra agents")
        start_reference_agents(
            extra, count=args.reference_agents, workdir=tmp, cpu=args.agent_cpu, mem_bytes=32 * GIB
        )
        ids = [a.id for a in extra]
        try:
            asyncio.run(wait_agents_alive(REF_DSN, ids, 420))
        except TimeoutError:
            dead = [a for a in extra if not a.alive()]
            detail = f"\n--- {dead[0].id} log ---\n{dead[0].log_tail()}" if dead else ""
            raise RuntimeError(f"extra reference agents did not come up{detail}") from None
        log(f"reference: {len(ids)} extra agents ALIVE; loadavg {loadavg()}")
        time.sleep(2)
        n_agents = len(ids) + len(alive)
        note = (
            f"place500: {sessions} sessions over {n_agents} agents ({len(ids)} started by the "
            f"benchmark x {args.agent_cpu} cores + {', '.join(alive)})"
        )
    else:
        # its single agent (64 cores) holds what fits of 1-core sessions, with a margin
        sessions = sessions or 60
        n_agents = len(alive)
        note = (
            f"place500: only {sessions} sessions on its single 64-core agent "
            f"{', '.join(alive)} (pass --reference-agents {args.agents} for "
            f"{args.sessions} over {args.agents}+1 agents); rates compared, not totals"
        )
    result.notes.append(note)
    old_limit = asyncio.run(reference_policy(None))
    if old_limit is not None and old_limit < sessions:
        asyncio.run(reference_policy(max(1000, sessions)))
        stack.callback(lambda: asyncio.run(reference_policy(old_limit)))
        log(f"reference: max_concurrent_sessions {old_limit} -> {max(1000, sessions)} (restored)")
    result.place500 = _run_step(
        result,
        "place500",
        scenario_held_queue(target, sessions, n_agents, f"{tag}-p", max(300.0, sessions * 1.5)),
    )


# -----------------------------------------------------------------------------------------------
# placement decisions per second (pure planner)
# -----------------------------------------------------------------------------------------------


def planner_figure() -> PlannerFigure:
    script = Path(__file__).resolve().parent / "bench_placement.py"
    try:
        proc = subprocess.run(
            [sys.executable, str(script), "--quick", "--repeat", "3"],
            capture_output=True,
            text=True,
            timeout=600,
            cwd=REPO,
        )
    except subprocess.TimeoutExpired:
        return PlannerFigure(error="bench_placement.py timed out")
    best = PlannerFigure(error="no '500 sessions / 20 agents' line in bench_placement.py output")
    for line in proc.stdout.splitlines():
        if not line.startswith("500 sessions / 20 agents"):
            continue
        match = re.search(r"([\d,]+)\s+(PASS|MISS)\s*$", line)
        if match is None:
            continue
        rate = float(match.group(1).replace(",", ""))
        # the slowest policy of the two printed, so the figure is not the lucky one
        if math.isnan(best.decisions_per_s) or rate < best.decisions_per_s:
            best = PlannerFigure(decisions_per_s=rate, line=" ".join(line.split()))
    if proc.returncode != 0 and not best.line:
        best.error = f"bench_placement.py exited {proc.returncode}: {proc.stderr[-300:]}"
    return best


# -----------------------------------------------------------------------------------------------
# report
# -----------------------------------------------------------------------------------------------


def _fmt(value: float | None, digits: int = 2) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    return f"{value:,.{digits}f}"


def _median(values: list[float | None]) -> float | None:
    present = [v for v in values if v is not None]
    return statistics.median(present) if present else None


def _speedup(ours: float | None, ref: float | None, *, higher_is_better: bool) -> float | None:
    if ours is None or ref is None or math.isnan(ours) or math.isnan(ref):
        return None
    if higher_is_better:
        return ours / ref if ref > 0 else None
    return ref / ours if ours > 0 else None


def _verdict(ok: bool | None) -> str:
    return "n/a" if ok is None else ("PASS" if ok else "MISS")


Row = tuple[str, str, str, str, str, str]


def _create_rows(ours: SideResult, ref: SideResult) -> list[Row]:
    def med(side: SideResult, attr: str) -> float | None:
        return _median([getattr(s, attr) for s in side.create])

    rows: list[Row] = []
    o_wall, r_wall = med(ours, "wall_s"), med(ref, "wall_s")
    o_run, r_run = med(ours, "created_to_running_s"), med(ref, "created_to_running_s")
    o_agent, r_agent = med(ours, "agent_work_s"), med(ref, "agent_work_s")
    conf = ours.configured_agent_work_s if ours.create else ref.configured_agent_work_s
    o_over = None if o_run is None or o_agent is None else o_run - o_agent
    r_over = None if r_run is None or r_agent is None else r_run - r_agent
    o_over_conf = None if o_run is None else o_run - conf
    r_over_conf = None if r_run is None else r_run - conf
    sp_wall = _speedup(o_wall, r_wall, higher_is_better=False)
    sp_run = _speedup(o_run, r_run, higher_is_better=False)
    rows.append(("(1) create -> RUNNING, 1 session", "", "", "", "", ""))
    rows.append(
        (
            "  POST /session wall (enqueueOnly=false)",
            _fmt(o_wall, 3),
            _fmt(r_wall, 3),
            _x(sp_wall),
            "",
            "",
        )
    )
    rows.append(("  DB created_at -> RUNNING", _fmt(o_run, 3), _fmt(r_run, 3), _x(sp_run), "", ""))
    rows.append(
        (
            "  agent's work, measured (kernel PREPARING->PREPARED + CREATING->RUNNING)",
            _fmt(o_agent, 3),
            _fmt(r_agent, 3),
            "",
            "",
            "",
        )
    )
    rows.append(
        (
            "  dummy delays slept in create_kernels (configured)",
            _fmt(conf, 3),
            _fmt(conf, 3),
            "",
            "",
            "",
        )
    )
    rows.append(
        (
            "  overhead beyond the agent's measured work",
            _fmt(o_over, 3),
            _fmt(r_over, 3),
            "",
            f"ours <= {TARGET_CREATE_OVERHEAD_S:g} s",
            _verdict(None if o_over is None else o_over <= TARGET_CREATE_OVERHEAD_S),
        )
    )
    rows.append(
        (
            "  created_at -> RUNNING beyond the configured delays",
            _fmt(o_over_conf, 3),
            _fmt(r_over_conf, 3),
            "",
            "",
            "",
        )
    )
    return rows


def _x(value: float | None) -> str:
    return "-" if value is None else f"{value:,.2f}x"


def _queue_rows(ours: QueueResult | None, ref: QueueResult | None) -> list[Row]:
    o = ours.first_created_to_last_running_s if ours else None
    r = ref.first_created_to_last_running_s if ref else None
    ref_txt = _fmt(r)
    if r is None:
        r, ref_txt = DOCUMENTED_REF_QUEUE50_S, f"{DOCUMENTED_REF_QUEUE50_S:.2f}*"
    sp = _speedup(o, r, higher_is_better=False)
    rows: list[Row] = [
        ("(2) 50 queued sessions, 8 requests in flight", "", "", "", "", ""),
        (
            "  first created_at -> last RUNNING, s",
            _fmt(o),
            ref_txt,
            _x(sp),
            f"ours >= {TARGET_QUEUE50_SPEEDUP:g}x faster",
            _verdict(None if sp is None else sp >= TARGET_QUEUE50_SPEEDUP),
        ),
    ]
    rows += _queue_detail_rows(ours, ref)
    return rows


def _queue_detail_rows(ours: QueueResult | None, ref: QueueResult | None) -> list[Row]:
    def cell(q: QueueResult | None, fn: Callable[[QueueResult], str]) -> str:
        return "-" if q is None else fn(q)

    return [
        (
            "  enqueue wall, s (requests/s)",
            cell(ours, lambda q: f"{q.enqueue_s:.2f} ({q.enqueue_per_s:.0f}/s)"),
            cell(ref, lambda q: f"{q.enqueue_s:.2f} ({q.enqueue_per_s:.0f}/s)"),
            "",
            "",
            "",
        ),
        (
            "  per session created -> RUNNING p50/p90/max, s",
            cell(ours, lambda q: f"{_fmt(q.pct(0.5))}/{_fmt(q.pct(0.9))}/{_fmt(q.pct(1.0))}"),
            cell(ref, lambda q: f"{_fmt(q.pct(0.5))}/{_fmt(q.pct(0.9))}/{_fmt(q.pct(1.0))}"),
            "",
            "",
            "",
        ),
        (
            "  RUNNING / sessions",
            cell(ours, lambda q: f"{q.running}/{q.sessions}"),
            cell(ref, lambda q: f"{q.running}/{q.sessions}"),
            "",
            "",
            "",
        ),
        (
            "  forced destroy -> all terminal, s",
            cell(ours, lambda q: _fmt(q.destroy_to_terminal_s)),
            cell(ref, lambda q: _fmt(q.destroy_to_terminal_s)),
            "",
            "",
            "",
        ),
    ]


def _place_rows(ours: QueueResult | None, ref: QueueResult | None) -> list[Row]:
    o_rate = ours.placed_per_s if ours else None
    r_rate = ref.placed_per_s if ref else None
    o_run = ours.running_per_s if ours else None
    r_run = ref.running_per_s if ref else None
    sp_place = _speedup(o_rate, r_rate, higher_is_better=True)
    sp_run = _speedup(o_run, r_run, higher_is_better=True)
    title = "(3) queued sessions over many agents"
    if ours is not None:
        title = f"(3) {ours.sessions} queued sessions over {ours.agents} agents"
    rows: list[Row] = [
        (title, "", "", "", "", ""),
        (
            "  sessions / agents",
            "-" if ours is None else f"{ours.sessions} / {ours.agents}",
            "-" if ref is None else f"{ref.sessions} / {ref.agents}",
            "",
            "",
            "",
        ),
        (
            "  placed/s (queue released -> none PENDING)",
            _fmt(o_rate, 1),
            _fmt(r_rate, 1),
            _x(sp_place),
            f"ours >= {TARGET_PLACE500_SPEEDUP:g}x",
            _verdict(None if sp_place is None else sp_place >= TARGET_PLACE500_SPEEDUP),
        ),
        (
            "  queue released -> none PENDING, s",
            _fmt(ours.release_to_last_scheduled_s if ours else None),
            _fmt(ref.release_to_last_scheduled_s if ref else None),
            "",
            "",
            "",
        ),
        (
            "  queue released -> all RUNNING, s",
            _fmt(ours.release_to_last_running_s if ours else None),
            _fmt(ref.release_to_last_running_s if ref else None),
            "",
            "",
            "",
        ),
        (
            "  enqueue behind the gate, s (requests/s)",
            "-" if ours is None else f"{_fmt(ours.enqueue_s)} ({_fmt(ours.enqueue_per_s, 0)}/s)",
            "-" if ref is None else f"{_fmt(ref.enqueue_s)} ({_fmt(ref.enqueue_per_s, 0)}/s)",
            "",
            "",
            "",
        ),
        (
            "  sessions RUNNING/s (n / release -> all RUNNING)",
            _fmt(o_run, 1),
            _fmt(r_run, 1),
            _x(sp_run),
            "(agents' work)",
            "",
        ),
    ]
    return rows + _queue_detail_rows(ours, ref)


def _decision_rows(
    planner: PlannerFigure | None, ours: QueueResult | None, ref: QueueResult | None
) -> list[Row]:
    def per_busy(q: QueueResult | None) -> float | None:
        if q is None or not q.scheduler_busy_s or math.isnan(q.scheduler_busy_s):
            return None
        return q.scheduled / q.scheduler_busy_s

    def busy(q: QueueResult | None) -> str:
        if q is None or math.isnan(q.scheduler_busy_s):
            return "-"
        return f"{q.scheduler_busy_s:.3f} s / {q.scheduler_passes:.0f}"

    o, r = per_busy(ours), per_busy(ref)
    return [
        ("(4) placement decisions/s in one resource group, no agent work", "", "", "", "", ""),
        (
            "  pure planner, 500 pending / 20 agents (bench_placement.py)",
            _fmt(planner.decisions_per_s, 0) if planner else "-",
            "",
            "",
            "",
            "",
        ),
        (
            "  scheduler passes during (3): time / passes",
            busy(ours),
            busy(ref),
            "",
            "",
            "",
        ),
        (
            "  sessions placed per second of scheduler pass time",
            _fmt(o, 0),
            _fmt(r, 0),
            _x(_speedup(o, r, higher_is_better=True)),
            "",
            "",
        ),
    ]


def _phase_summary(q: QueueResult) -> str:
    order = sorted(q.phase_offsets.items(), key=lambda kv: statistics.median(kv[1]))
    return "  ".join(
        f"{status} {statistics.median(values):.2f}/{max(values):.2f}"
        for status, values in order
        if status not in ("PENDING", *TERMINAL, "TERMINATING")
    )


def print_report(
    args: argparse.Namespace,
    ours: SideResult,
    ref: SideResult,
    planner: PlannerFigure | None,
    delays: DelayTable,
) -> None:
    rows: list[Row] = []
    if "create" in args.scenarios:
        rows += _create_rows(ours, ref)
    if "queue50" in args.scenarios:
        rows += _queue_rows(ours.queue50, ref.queue50)
    if "place500" in args.scenarios:
        rows += _place_rows(ours.place500, ref.place500)
        rows += _decision_rows(planner, ours.place500, ref.place500)
    header: Row = ("metric", "ours", "reference", "vs ref", "target", "verdict")
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(6)]

    def line(cells: Row) -> str:
        first = cells[0].ljust(widths[0])
        rest = [cells[i].rjust(widths[i]) for i in range(1, 4)]
        return "  ".join([first, *rest, cells[4].ljust(widths[4]), cells[5]]).rstrip()

    create_delays = ", ".join(
        f"{k} {delay_seconds(delays[s].get(k, 0.0)):g}" for s, k in CREATE_PATH_DELAYS
    )
    print()
    print("=" * 100)
    print(
        f"Session benchmark  {time.strftime('%Y-%m-%d %H:%M:%S %Z')}  cores={os.cpu_count()}  "
        f"loadavg {loadavg()}"
    )
    print(f"reference: {args.reference_url}; dummy delays from {args.delays_from}")
    print(f"  create path: {create_delays} (s)")
    print("'vs ref' is how many times ours is faster (times) or higher (rates)")
    print("=" * 100)
    print(line(header))
    dashes = ["-" * w for w in widths]
    print(line((dashes[0], dashes[1], dashes[2], dashes[3], dashes[4], "-" * 7)))
    for row in rows:
        print(line(row))
    if "queue50" in args.scenarios and (ref.queue50 is None):
        print(
            f"* reference 50-session figure {DOCUMENTED_REF_QUEUE50_S} s is the documented one "
            "(shared/reference/README.md), not re-measured in this run"
        )
    for side in (ours, ref):
        print(f"\n[{side.label}]")
        for sample_n, sample in enumerate(side.create, start=1):
            phases = " ".join(f"{k}+{v:.2f}" for k, v in sample.phases.items())
            print(f"  create #{sample_n}: {phases}")
        for q in (side.queue50, side.place500):
            if q is not None and (q.final_statuses or q.destroy_statuses):
                print(
                    f"  {q.sessions} sessions: statuses {q.final_statuses}; after destroy "
                    f"{q.destroy_statuses}"
                )
                print(f"    status reached after created_at, p50/max s: {_phase_summary(q)}")
        for note in side.notes:
            print(f"  note: {note}")
        for error in side.errors:
            print(f"  ERROR: {error}")
    if planner is not None:
        if planner.line:
            print(f"\n[planner] {planner.line}")
        if planner.error:
            print(f"\n[planner] ERROR: {planner.error}")
    print()


# -----------------------------------------------------------------------------------------------
# main
# -----------------------------------------------------------------------------------------------


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--reference-url", default="http://127.0.0.1:8091")
    parser.add_argument("--skip-ours", action="store_true")
    parser.add_argument("--skip-reference", action="store_true")
    parser.add_argument("--only", choices=SCENARIOS, action="append", help="repeatable")
    parser.add_argument("--create-runs", type=int, default=3, help="(1): sessions, one at a time")
    parser.add_argument("--sessions", type=int, default=500, help="(3): sessions")
    parser.add_argument("--agents", type=int, default=20, help="(3): our dummy agents")
    parser.add_argument(
        "--agent-cpu", type=int, default=26, help="(3): cores per agent (500 + gate + kick fit)"
    )
    parser.add_argument(
        "--reference-agents",
        type=int,
        default=0,
        help="(3): start this many extra reference agents (default: its single agent only)",
    )
    parser.add_argument(
        "--reference-sessions",
        type=int,
        default=0,
        help="(3): reference sessions (default: 60 on its single agent, else --sessions)",
    )
    parser.add_argument("--manager-cli", type=Path, default=REPO / ".venv" / "bin" / "backend.ai")
    parser.add_argument(
        "--delays-from",
        type=Path,
        default=REF_DUMMY_TOML,
        help="agent.dummy.toml whose delays both sides use (default: the reference agent's)",
    )
    args = parser.parse_args(argv)
    args.scenarios = tuple(args.only) if args.only else SCENARIOS
    if args.agents * args.agent_cpu < args.sessions:
        parser.error(f"{args.sessions} 1-core sessions do not fit {args.agents}x{args.agent_cpu}")
    return args


@contextlib.contextmanager
def _sigterm_as_interrupt() -> Iterator[None]:
    def handler(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    signer_self_check()
    if not args.delays_from.exists():
        fallback = Path("/work/shared/reference/files/agent.dummy.toml")
        log(f"{args.delays_from} missing; using {fallback}")
        args.delays_from = fallback
    delays = read_delays(args.delays_from)
    tag = "bs" + uuid.uuid4().hex[:6]
    ours, ref = SideResult("ours"), SideResult("reference")
    planner: PlannerFigure | None = None
    try:
        with _sigterm_as_interrupt():
            # one side after the other: both share the same two cores with their agents
            if not args.skip_ours:
                ours = bench_ours(args, delays, tag)
            if not args.skip_reference:
                ref = bench_reference(args, delays, tag)
            if "place500" in args.scenarios:
                log("planner: benchmarks/bench_placement.py --quick --repeat 3")
                planner = planner_figure()
    except KeyboardInterrupt:
        log("interrupted; cleaned up")
        return 130
    print_report(args, ours, ref, planner, delays)
    return 0


if __name__ == "__main__":
    sys.exit(main())
