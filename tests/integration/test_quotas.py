"""Quotas: hard limits refused at `POST /session`, soft limits kept PENDING by the scheduler."""

from __future__ import annotations

import asyncio
import dataclasses
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import aiohttp
import pytest_asyncio
import sqlalchemy as sa

from ai.backend.manager.models.domain import domains
from ai.backend.manager.models.group import groups
from ai.backend.manager.models.resource_policy import keypair_resource_policies
from ai.backend.manager.models.session import sessions
from ai.backend.manager.repositories.scheduler.repository import SchedulerRepository
from ai.backend.manager.sokovan.scheduler.planner import plan
from ai.backend.manager.sokovan.scheduler.types import (
    AgentSnapshot,
    ReasonCode,
    SchedulingPlan,
    SchedulingSnapshot,
)
from ai.backend.manager.types import SESSION_TERMINAL_STATUSES, SessionStatus, SessionTypes
from tests.integration.conftest import RunningManager
from tests.signing import USER_ACCESS_KEY, USER_SECRET_KEY, signed_headers

USER = {"access_key": USER_ACCESS_KEY, "secret_key": USER_SECRET_KEY}
GiB = 2**30

_POLICY_FIELDS = (
    "total_resource_slots",
    "default_for_unspecified",
    "max_concurrent_sessions",
    "max_containers_per_session",
    "max_pending_session_count",
    "max_pending_session_resource_slots",
    "max_concurrent_sftp_sessions",
)

type Limits = Callable[..., Awaitable[None]]


@pytest_asyncio.fixture
async def limits(manager: RunningManager) -> AsyncIterator[Limits]:
    """Set the default keypair policy's, the project's and the domain's limits for one test.

    Everything is put back afterwards, and the sessions the test left are cancelled.
    """
    db = manager.root.db
    async with db.connect() as conn:
        saved_policy = (
            (
                await conn.execute(
                    sa.select(*(keypair_resource_policies.c[f] for f in _POLICY_FIELDS)).where(
                        keypair_resource_policies.c.name == "default"
                    )
                )
            )
            .one()
            ._asdict()
        )
        saved_group = await conn.scalar(
            sa.select(groups.c.total_resource_slots).where(
                groups.c.name == "default", groups.c.domain_name == "default"
            )
        )
        saved_domain = await conn.scalar(
            sa.select(domains.c.total_resource_slots).where(domains.c.name == "default")
        )

    async def set_limits(
        *,
        project: dict[str, Any] | None = None,
        domain: dict[str, Any] | None = None,
        **policy: Any,
    ) -> None:
        async with db.begin() as conn:
            if policy:
                await conn.execute(
                    sa.update(keypair_resource_policies)
                    .where(keypair_resource_policies.c.name == "default")
                    .values(**policy)
                )
            if project is not None:
                await conn.execute(
                    sa.update(groups)
                    .where(groups.c.name == "default", groups.c.domain_name == "default")
                    .values(total_resource_slots=project)
                )
            if domain is not None:
                await conn.execute(
                    sa.update(domains)
                    .where(domains.c.name == "default")
                    .values(total_resource_slots=domain)
                )

    await set_limits(max_concurrent_sessions=100, max_containers_per_session=4)
    yield set_limits
    await set_limits(project=saved_group or {}, domain=saved_domain or {}, **saved_policy)
    records, _ = await manager.root.sessions.list_sessions(
        statuses=None,
        access_key=None,
        domain_name=None,
        group_id=None,
        user_uuid=None,
        limit=1000,
        offset=0,
    )
    for record in records:
        if record.status not in SESSION_TERMINAL_STATUSES:
            await manager.root.launcher.terminate(record, reason="user-requested", forced=True)


async def create(
    http: aiohttp.ClientSession,
    manager: RunningManager,
    name: str,
    *,
    cpu: str = "1",
    mem: str = "1g",
    cluster_size: int = 1,
) -> tuple[int, dict[str, Any]]:
    body = {
        "name": name,
        "image": "python:3.9",
        "group": "default",
        "domain": "default",
        "enqueueOnly": True,
        "clusterSize": cluster_size,
        "config": {"resources": {"cpu": cpu, "mem": mem}},
    }
    headers = signed_headers("POST", "/session", host=manager.host, **USER)
    async with http.post(
        manager.base_url + "/session", headers=headers, data=json.dumps(body)
    ) as resp:
        return resp.status, await resp.json(content_type=None)


def assert_quota_refusal(status: int, problem: dict[str, Any], *words: str) -> None:
    assert status == 400, problem
    assert problem["type"].endswith("quota-exceeded"), problem
    for word in words:
        assert word in problem["msg"], problem["msg"]


# === hard limits: refused at POST /session =======================================================


async def test_a_session_larger_than_the_keypair_total_is_refused(
    http: aiohttp.ClientSession, manager: RunningManager, limits: Limits
) -> None:
    await limits(total_resource_slots={"cpu": Decimal(2), "mem": Decimal(8 * GiB)})
    status, problem = await create(http, manager, "q-kp-big", cpu="3")
    assert_quota_refusal(status, problem, "keypair", "cpu 3", "cpu 2")
    status, _ = await create(http, manager, "q-kp-fits", cpu="2")
    assert status in (200, 201)


async def test_an_unlisted_slot_of_a_limited_policy_is_zero(
    http: aiohttp.ClientSession, manager: RunningManager, limits: Limits
) -> None:
    await limits(total_resource_slots={"cpu": Decimal(8)}, default_for_unspecified="LIMITED")
    status, problem = await create(http, manager, "q-kp-unlisted")
    assert_quota_refusal(status, problem, "mem")


async def test_a_session_larger_than_the_project_total_is_refused(
    http: aiohttp.ClientSession, manager: RunningManager, limits: Limits
) -> None:
    await limits(project={"cpu": Decimal(1)})
    status, problem = await create(http, manager, "q-project-big", cpu="2")
    assert_quota_refusal(status, problem, "project default", "cpu 2", "cpu 1")


async def test_a_session_larger_than_the_domain_total_is_refused(
    http: aiohttp.ClientSession, manager: RunningManager, limits: Limits
) -> None:
    await limits(domain={"mem": Decimal(GiB)})
    status, problem = await create(http, manager, "q-domain-big", mem="2g")
    assert_quota_refusal(status, problem, "domain default", "mem 2 GiB", "mem 1 GiB")


async def test_the_total_counts_every_container_of_a_cluster(
    http: aiohttp.ClientSession, manager: RunningManager, limits: Limits
) -> None:
    await limits(total_resource_slots={"cpu": Decimal(3), "mem": Decimal(64 * GiB)})
    status, problem = await create(http, manager, "q-cluster-big", cpu="2", cluster_size=2)
    assert_quota_refusal(status, problem, "cpu 4")


async def test_more_containers_than_the_policy_allows_is_refused(
    http: aiohttp.ClientSession, manager: RunningManager, limits: Limits
) -> None:
    await limits(max_containers_per_session=1)
    status, problem = await create(http, manager, "q-containers", cluster_size=2)
    assert_quota_refusal(status, problem, "2 containers", "at most 1")


async def test_the_pending_session_count_is_limited(
    http: aiohttp.ClientSession, manager: RunningManager, limits: Limits
) -> None:
    await limits(max_pending_session_count=2)
    for i in range(2):
        status, _ = await create(http, manager, f"q-pending-{i}")
        assert status in (200, 201)
    status, problem = await create(http, manager, "q-pending-2")
    assert_quota_refusal(status, problem, "2 pending sessions", "limit 2")


async def test_the_pending_resource_slots_are_limited(
    http: aiohttp.ClientSession, manager: RunningManager, limits: Limits
) -> None:
    await limits(max_pending_session_resource_slots={"cpu": Decimal(3)})
    status, _ = await create(http, manager, "q-pslots-0", cpu="2")
    assert status in (200, 201)
    status, problem = await create(http, manager, "q-pslots-1", cpu="2")
    assert_quota_refusal(status, problem, "pending sessions", "uses cpu 2 of cpu 3")
    status, _ = await create(http, manager, "q-pslots-2", cpu="1")
    assert status in (200, 201)


# === soft limits: the scheduler keeps the session PENDING with the reason ========================


async def snapshot_of(manager: RunningManager) -> tuple[SchedulingSnapshot, SchedulingPlan]:
    """Read the default group's snapshot in a real pass, plan it with a made-up idle agent.

    The planner's plan is returned without applying anything (the pass applies an empty plan),
    so the test sees the scheduler's decision on the real snapshot.
    """
    seen: list[tuple[SchedulingSnapshot, SchedulingPlan]] = []

    def planner(snapshot: SchedulingSnapshot) -> SchedulingPlan:
        agent = AgentSnapshot(
            id="i-quota-test",
            addr="tcp://127.0.0.1:1",
            architecture="x86_64",
            capacity={"cpu": Decimal(64), "mem": Decimal(256 * GiB)},
            occupied={},
        )
        seen.append((snapshot, plan(dataclasses.replace(snapshot, agents=(agent,)))))
        return SchedulingPlan()

    repository = SchedulerRepository(manager.root.db)
    for _ in range(50):
        result = await repository.run_pass("default", planner, now=datetime.now(UTC))
        if result.locked:
            break
        await asyncio.sleep(0.1)
    assert seen, "the scheduling lock was never free"
    return seen[0]


async def session_ids(manager: RunningManager, *names: str) -> dict[Any, str]:
    async with manager.root.db.connect() as conn:
        rows = await conn.execute(
            sa.select(sessions.c.id, sessions.c.name).where(
                sessions.c.name.in_(names),
                sessions.c.status.not_in(SESSION_TERMINAL_STATUSES),
            )
        )
        return {row.id: row.name for row in rows}


def reasons(result: SchedulingPlan, ids: dict[Any, str]) -> dict[str, ReasonCode]:
    return {ids[d.session_id]: d.reason_code for d in result.deferrals if d.session_id in ids}


async def test_the_scheduler_reads_the_project_and_domain_limits(
    http: aiohttp.ClientSession, manager: RunningManager, limits: Limits
) -> None:
    await limits(project={"cpu": Decimal(3)}, domain={"mem": Decimal(16 * GiB)})
    for name in ("q-soft-0", "q-soft-1"):
        status, _ = await create(http, manager, name, cpu="2")
        assert status in (200, 201)
    snapshot, result = await snapshot_of(manager)
    project_ids = {s.group_id for s in snapshot.pending}
    assert any(snapshot.group_limits.get(g) == {"cpu": Decimal(3)} for g in project_ids)
    assert snapshot.domain_limits["default"] == {"mem": Decimal(16 * GiB)}
    ids = await session_ids(manager, "q-soft-0", "q-soft-1")
    # the first fits in the project's 3 cores; the second waits for it
    assert reasons(result, ids) == {"q-soft-1": ReasonCode.PROJECT_RESOURCE_LIMIT}
    message = next(d.message for d in result.deferrals if ids.get(d.session_id) == "q-soft-1")
    assert "project" in message and "cpu 3" in message


async def test_the_scheduler_holds_sessions_over_the_keypair_concurrency(
    http: aiohttp.ClientSession, manager: RunningManager, limits: Limits
) -> None:
    await limits(max_concurrent_sessions=1)
    for name in ("q-conc-0", "q-conc-1"):
        status, _ = await create(http, manager, name)
        assert status in (200, 201)
    _, result = await snapshot_of(manager)
    ids = await session_ids(manager, "q-conc-0", "q-conc-1")
    assert reasons(result, ids) == {"q-conc-1": ReasonCode.KEYPAIR_CONCURRENCY_LIMIT}


async def test_the_scheduler_holds_sessions_over_the_keypair_total(
    http: aiohttp.ClientSession, manager: RunningManager, limits: Limits
) -> None:
    await limits(total_resource_slots={"cpu": Decimal(3), "mem": Decimal(64 * GiB)})
    for name in ("q-kpsoft-0", "q-kpsoft-1"):
        status, _ = await create(http, manager, name, cpu="2")
        assert status in (200, 201)
    _, result = await snapshot_of(manager)
    ids = await session_ids(manager, "q-kpsoft-0", "q-kpsoft-1")
    assert reasons(result, ids) == {"q-kpsoft-1": ReasonCode.KEYPAIR_RESOURCE_LIMIT}


async def test_the_scheduler_holds_sessions_over_the_domain_total(
    http: aiohttp.ClientSession, manager: RunningManager, limits: Limits
) -> None:
    await limits(domain={"cpu": Decimal(3)})
    for name in ("q-dom-0", "q-dom-1"):
        status, _ = await create(http, manager, name, cpu="2")
        assert status in (200, 201)
    _, result = await snapshot_of(manager)
    ids = await session_ids(manager, "q-dom-0", "q-dom-1")
    assert reasons(result, ids) == {"q-dom-1": ReasonCode.DOMAIN_RESOURCE_LIMIT}


async def test_private_sessions_are_counted_apart(
    http: aiohttp.ClientSession, manager: RunningManager, limits: Limits
) -> None:
    """A running SFTP (system) session fills `max_concurrent_sftp_sessions`, not the
    interactive limit: the next interactive session starts, the next private one waits."""
    await limits(max_concurrent_sessions=1, max_concurrent_sftp_sessions=1)
    for name in ("q-sftp-running", "q-sftp-next", "q-work"):
        status, _ = await create(http, manager, name)
        assert status in (200, 201)
    async with manager.root.db.begin() as conn:
        await conn.execute(
            sa.update(sessions)
            .where(sessions.c.name == "q-sftp-running")
            .values(status=SessionStatus.RUNNING, session_type=SessionTypes.SYSTEM)
        )
        await conn.execute(
            sa.update(sessions)
            .where(sessions.c.name == "q-sftp-next")
            .values(session_type=SessionTypes.SYSTEM)
        )
    snapshot, result = await snapshot_of(manager)
    usage = snapshot.keypair_usage[USER_ACCESS_KEY]
    assert (usage.session_count, usage.private_session_count) == (0, 1)
    pending = {s.name: s.is_private for s in snapshot.pending}
    assert pending == {"q-sftp-next": True, "q-work": False}
    ids = await session_ids(manager, "q-sftp-next", "q-work")
    assert reasons(result, ids) == {"q-sftp-next": ReasonCode.KEYPAIR_CONCURRENCY_LIMIT}
