"""Compute sessions end to end: our manager, real PostgreSQL/Redis/etcd and real dummy agents."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import pytest_asyncio
import sqlalchemy as sa

from ai.backend.manager.models.agent import agent_resources, agents
from ai.backend.manager.types import AgentStatus
from tests.agent_harness import DummyAgent, agent_venv_available, start_dummy_agents, stop_all
from tests.conftest import ETCD_ADDR
from tests.integration.conftest import RunningManager
from tests.signing import signed_headers

pytestmark = [
    pytest.mark.agents,
    pytest.mark.skipif(not agent_venv_available(), reason="no agent venv (make peers)"),
]


async def call(
    http: aiohttp.ClientSession,
    manager: RunningManager,
    method: str,
    path: str,
    body: dict[str, Any] | None = None,
) -> tuple[int, Any]:
    headers = signed_headers(method, path, host=manager.host)
    data = json.dumps(body) if body is not None else None
    async with http.request(method, manager.base_url + path, headers=headers, data=data) as resp:
        return resp.status, await resp.json(content_type=None)


async def wait_agents_alive(manager: RunningManager, ids: list[str], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        async with manager.root.db.connect() as conn:
            alive = set(
                (
                    await conn.scalars(
                        sa.select(agents.c.id).where(
                            agents.c.id.in_(ids), agents.c.status == AgentStatus.ALIVE
                        )
                    )
                ).all()
            )
            with_capacity = set(
                (
                    await conn.scalars(
                        sa.select(agent_resources.c.agent_id).where(
                            agent_resources.c.agent_id.in_(ids)
                        )
                    )
                ).all()
            )
        if alive >= set(ids) and with_capacity >= set(ids):
            return
        await asyncio.sleep(0.2)
    raise AssertionError(f"agents {ids} did not become ALIVE")


async def used_slots(manager: RunningManager, agent_id: str) -> dict[str, Any]:
    async with manager.root.db.connect() as conn:
        rows = await conn.execute(
            sa.select(agent_resources.c.slot_name, agent_resources.c.used).where(
                agent_resources.c.agent_id == agent_id
            )
        )
        return {row.slot_name: row.used for row in rows}


async def wait_status(
    http: aiohttp.ClientSession,
    manager: RunningManager,
    name: str,
    statuses: set[str],
    timeout: float = 30,
) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    info: dict[str, Any] = {}
    while time.monotonic() < deadline:
        status, info = await call(http, manager, "GET", f"/session/{name}")
        if status == 200 and info["status"] in statuses:
            return info
        await asyncio.sleep(0.1)
    raise AssertionError(f"session {name} did not reach {statuses}: {info}")


@pytest_asyncio.fixture(scope="module")
async def dummy_agents(
    manager: RunningManager,
    redis_port: int,
    etcd_namespace: str,
    tmp_path_factory: pytest.TempPathFactory,
) -> AsyncIterator[list[DummyAgent]]:
    started = await start_dummy_agents(
        2,
        workdir=Path(tmp_path_factory.mktemp("agents")),
        etcd_addr=str(ETCD_ADDR),
        namespace=etcd_namespace,
        redis_port=redis_port,
        cpu=4,
        mem_bytes=8 * 2**30,
        heartbeat_interval=1.0,
    )
    try:
        await wait_agents_alive(manager, [a.id for a in started])
        yield started
    finally:
        await asyncio.to_thread(stop_all, started)


async def test_create_runs_and_destroy_frees_slots(
    http: aiohttp.ClientSession, manager: RunningManager, dummy_agents: list[DummyAgent]
) -> None:
    status, body = await call(
        http,
        manager,
        "POST",
        "/session",
        {
            "name": "e2e-basic",
            "image": "python:3.9",
            "type": "interactive",
            "group": "default",
            "domain": "default",
            "config": {"resources": {"cpu": "1", "mem": "1g"}},
        },
    )
    assert status == 201, body
    assert body["status"] == "RUNNING", body
    info = await wait_status(http, manager, "e2e-basic", {"RUNNING"})
    agent_id = info["kernels"][0]["agent"]
    used = await used_slots(manager, agent_id)
    assert used["cpu"] == 1
    assert used["mem"] == 2**30

    status, _ = await call(http, manager, "DELETE", "/session/e2e-basic")
    assert status == 200
    status, info = await call(http, manager, "GET", f"/session/{body['sessionId']}")
    deadline = time.monotonic() + 30
    while info["status"] != "TERMINATED" and time.monotonic() < deadline:
        await asyncio.sleep(0.1)
        status, info = await call(http, manager, "GET", f"/session/{body['sessionId']}")
    assert info["status"] == "TERMINATED", info
    used = await used_slots(manager, agent_id)
    assert all(amount == 0 for amount in used.values()), used


# --- helpers for the scenarios below ------------------------------------------------------------

LIVE = ("PENDING", "SCHEDULED", "PREPARING", "PULLING", "PREPARED", "CREATING", "RUNNING")


async def create(
    http: aiohttp.ClientSession,
    manager: RunningManager,
    name: str,
    *,
    cpu: str = "1",
    mem: str = "1g",
    enqueue_only: bool = True,
    credentials: dict[str, str] | None = None,
    **extra: Any,
) -> dict[str, Any]:
    body = {
        "name": name,
        "image": "python:3.9",
        "group": "default",
        "domain": "default",
        "enqueueOnly": enqueue_only,
        "config": {"resources": {"cpu": cpu, "mem": mem}},
        **extra,
    }
    headers = signed_headers("POST", "/session", host=manager.host, **(credentials or {}))
    async with http.post(
        manager.base_url + "/session", headers=headers, data=json.dumps(body)
    ) as resp:
        result: dict[str, Any] = await resp.json(content_type=None)
        assert resp.status in (200, 201), result
        return result


async def session_row(manager: RunningManager, name: str) -> Any:
    from ai.backend.manager.models.session import sessions

    async with manager.root.db.connect() as conn:
        return (
            await conn.execute(
                sa.select(sessions)
                .where(sessions.c.name == name)
                .order_by(sessions.c.created_at.desc())
            )
        ).first()


async def kernel_agents(manager: RunningManager, session_id: str) -> list[str]:
    from ai.backend.manager.models.kernel import kernels

    async with manager.root.db.connect() as conn:
        return list(
            (
                await conn.scalars(
                    sa.select(kernels.c.agent).where(kernels.c.session_id == session_id)
                )
            ).all()
        )


async def wait_row_status(
    manager: RunningManager, name: str, statuses: set[str], timeout: float = 30
) -> Any:
    deadline = time.monotonic() + timeout
    row = None
    while time.monotonic() < deadline:
        row = await session_row(manager, name)
        if row is not None and row.status.name in statuses:
            return row
        await asyncio.sleep(0.1)
    raise AssertionError(f"{name} did not reach {statuses}: {row.status if row else None}")


@pytest_asyncio.fixture
async def clean_sessions(manager: RunningManager) -> AsyncIterator[None]:
    """Raise the default policy's limits; afterwards force-destroy every live session."""
    from ai.backend.manager.models.resource_policy import keypair_resource_policies
    from ai.backend.manager.models.scaling_group import scaling_groups

    async with manager.root.db.begin() as conn:
        await conn.execute(
            sa.update(keypair_resource_policies).values(
                max_concurrent_sessions=100, max_containers_per_session=4
            )
        )
    yield
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
        if record.status.name in LIVE:
            # not forced: the agent frees its own allocation before the next test places there
            await manager.root.launcher.terminate(record, reason="user-requested", forced=False)
    async with manager.root.db.begin() as conn:
        await conn.execute(
            sa.update(scaling_groups)
            .where(scaling_groups.c.name == "default")
            .values(scheduler="fifo", scheduler_opts={})
        )
    from ai.backend.manager.models.session import sessions

    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        async with manager.root.db.connect() as conn:
            busy = await conn.scalar(
                sa.select(sa.func.count())
                .select_from(agent_resources)
                .where(agent_resources.c.used > 0)
            )
            live = await conn.scalar(
                sa.select(sa.func.count())
                .select_from(sessions)
                .where(sessions.c.status.in_([*LIVE, "TERMINATING"]))
            )
        if not busy and not live:
            break
        await asyncio.sleep(0.2)


async def set_group_policy(
    manager: RunningManager, *, scheduler: str = "fifo", strategy: str | None = None
) -> None:
    from ai.backend.manager.models.scaling_group import scaling_groups

    opts = {"agent_selection_strategy": strategy} if strategy else {}
    async with manager.root.db.begin() as conn:
        await conn.execute(
            sa.update(scaling_groups)
            .where(scaling_groups.c.name == "default")
            .values(scheduler=scheduler, scheduler_opts=opts)
        )


# --- scenarios -----------------------------------------------------------------------------------


async def test_multi_node_cluster_spans_both_agents(
    http: aiohttp.ClientSession,
    manager: RunningManager,
    dummy_agents: list[DummyAgent],
    clean_sessions: None,
) -> None:
    created = await create(
        http,
        manager,
        "e2e-cluster",
        cpu="3",
        enqueue_only=False,
        clusterSize=2,
        clusterMode="multi-node",
    )
    row = await session_row(manager, "e2e-cluster")
    assert created["status"] == "RUNNING", (created, row.status_info)
    placed = await kernel_agents(manager, created["sessionId"])
    assert sorted(placed) == sorted(a.id for a in dummy_agents)


async def test_cluster_larger_than_the_policy_allows_is_refused_at_once(
    http: aiohttp.ClientSession,
    manager: RunningManager,
    dummy_agents: list[DummyAgent],
    clean_sessions: None,
) -> None:
    body = {
        "name": "e2e-too-many",
        "image": "python:3.9",
        "group": "default",
        "domain": "default",
        "clusterSize": 5,
        "config": {"resources": {"cpu": "1", "mem": "256m"}},
    }
    status, problem = await call(http, manager, "POST", "/session", body)
    assert status == 400, problem
    assert problem["type"].endswith("/quota-exceeded"), problem
    assert "at most 4" in problem["msg"], problem
    assert await session_row(manager, "e2e-too-many") is None


async def test_single_node_cluster_stays_on_one_agent(
    http: aiohttp.ClientSession,
    manager: RunningManager,
    dummy_agents: list[DummyAgent],
    clean_sessions: None,
) -> None:
    created = await create(
        http,
        manager,
        "e2e-single",
        cpu="1",
        enqueue_only=False,
        clusterSize=2,
        clusterMode="single-node",
    )
    assert created["status"] == "RUNNING", created
    placed = await kernel_agents(manager, created["sessionId"])
    assert len(placed) == 2 and len(set(placed)) == 1


async def test_too_large_session_waits_with_reason_and_does_not_block_others(
    http: aiohttp.ClientSession,
    manager: RunningManager,
    dummy_agents: list[DummyAgent],
    clean_sessions: None,
) -> None:
    await create(http, manager, "e2e-huge", cpu="16")
    await create(http, manager, "e2e-small", cpu="1")
    small = await wait_row_status(manager, "e2e-small", {"RUNNING"})
    assert small is not None
    huge = await session_row(manager, "e2e-huge")
    assert huge.status.name == "PENDING"
    assert "cpu 16" in (huge.status_info or ""), huge.status_info
    status, info = await call(http, manager, "GET", "/session/e2e-huge")
    assert status == 200 and "cpu 16" in (info["statusInfo"] or "")
    status, _ = await call(http, manager, "DELETE", "/session/e2e-huge")
    assert status == 200
    assert (await wait_row_status(manager, "e2e-huge", {"CANCELLED"})) is not None


@pytest.mark.parametrize(("strategy", "same_agent"), [("concentrated", True), ("dispersed", False)])
async def test_agent_selection_strategy(
    http: aiohttp.ClientSession,
    manager: RunningManager,
    dummy_agents: list[DummyAgent],
    clean_sessions: None,
    strategy: str,
    same_agent: bool,
) -> None:
    await set_group_policy(manager, strategy=strategy)
    first = await create(http, manager, f"e2e-{strategy}-a", enqueue_only=False)
    second = await create(http, manager, f"e2e-{strategy}-b", enqueue_only=False)
    a = await kernel_agents(manager, first["sessionId"])
    b = await kernel_agents(manager, second["sessionId"])
    assert (a == b) is same_agent, (a, b)


@pytest.mark.parametrize(
    ("policy", "winner"), [("fifo", "older"), ("lifo", "newer"), ("drf", "newer")]
)
async def test_queue_policy_decides_who_gets_freed_capacity(
    http: aiohttp.ClientSession,
    manager: RunningManager,
    dummy_agents: list[DummyAgent],
    clean_sessions: None,
    policy: str,
    winner: str,
) -> None:
    from tests.signing import USER_ACCESS_KEY, USER_SECRET_KEY

    # Fill both agents with the admin's sessions, then queue the admin's "older" session and,
    # later, another user's "newer" one, each needing a whole agent.
    for blocker in ("block-1", "block-2"):
        await create(http, manager, f"{policy}-{blocker}", cpu="4", mem="4g", enqueue_only=False)
    await set_group_policy(manager, scheduler=policy)
    await create(http, manager, f"{policy}-older", cpu="4", mem="4g")
    await asyncio.sleep(0.2)
    user = {"access_key": USER_ACCESS_KEY, "secret_key": USER_SECRET_KEY}
    await create(http, manager, f"{policy}-newer", cpu="4", mem="4g", credentials=user)
    await asyncio.sleep(1.0)
    assert (await session_row(manager, f"{policy}-older")).status.name == "PENDING"
    # Free one agent: only one of the two queued sessions can take it.
    status, _ = await call(http, manager, "DELETE", f"/session/{policy}-block-1")
    assert status == 200
    loser = "newer" if winner == "older" else "older"
    assert await wait_row_status(manager, f"{policy}-{winner}", {"RUNNING"})
    assert (await session_row(manager, f"{policy}-{loser}")).status.name == "PENDING"


async def test_two_managers_never_overcommit(
    http: aiohttp.ClientSession,
    manager: RunningManager,
    dummy_agents: list[DummyAgent],
    clean_sessions: None,
    manager_config: Any,
) -> None:
    from ai.backend.manager.server import running_manager
    from tests.conftest import make_manager_config

    second_config = make_manager_config(manager_config.db, manager_config.etcd.namespace)
    async with running_manager(second_config):
        svc = second_config.manager.service_addr
        second = RunningManager(
            root=manager.root,
            base_url=f"http://{svc.host}:{svc.port}",
            metrics_url="",
            host=f"{svc.host}:{svc.port}",
        )
        # 12 one-core sessions through both managers at once; the agents hold 8 cores.
        await asyncio.gather(
            *(
                create(http, manager if i % 2 else second, f"race-{i:02d}", cpu="1", mem="256m")
                for i in range(12)
            )
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            async with manager.root.db.connect() as conn:
                from ai.backend.manager.models.session import sessions

                placed = await conn.scalar(
                    sa.select(sa.func.count())
                    .select_from(sessions)
                    .where(sessions.c.name.like("race-%"), sessions.c.status != "PENDING")
                )
            if placed == 8:
                break
            await asyncio.sleep(0.2)
        await asyncio.sleep(1.5)  # a few more passes of both schedulers
        async with manager.root.db.connect() as conn:
            over = await conn.scalar(
                sa.select(sa.func.count())
                .select_from(agent_resources)
                .where(agent_resources.c.used > agent_resources.c.capacity)
            )
            placed = await conn.scalar(
                sa.select(sa.func.count())
                .select_from(sessions)
                .where(sessions.c.name.like("race-%"), sessions.c.status != "PENDING")
            )
        assert over == 0
        assert placed == 8


async def test_lost_agent_ends_its_sessions(
    http: aiohttp.ClientSession,
    manager: RunningManager,
    dummy_agents: list[DummyAgent],
    clean_sessions: None,
    redis_port: int,
    etcd_namespace: str,
    tmp_path: Path,
) -> None:
    victims = await start_dummy_agents(
        1,
        workdir=tmp_path,
        etcd_addr=str(ETCD_ADDR),
        namespace=etcd_namespace,
        redis_port=redis_port,
        cpu=2,
        mem_bytes=4 * 2**30,
        id_prefix="i-victim",
    )
    victim = victims[0]
    try:
        await wait_agents_alive(manager, [victim.id])
        created = await create(
            http,
            manager,
            "e2e-victim",
            enqueue_only=False,
            config={"resources": {"cpu": "1", "mem": "1g"}, "agentList": [victim.id]},
        )
        assert created["status"] == "RUNNING", created
        assert await kernel_agents(manager, created["sessionId"]) == [victim.id]
        victim.kill()
        row = await wait_row_status(manager, "e2e-victim", {"TERMINATED", "ERROR"}, timeout=40)
        assert row is not None
        async with manager.root.db.connect() as conn:
            status = await conn.scalar(sa.select(agents.c.status).where(agents.c.id == victim.id))
        assert status == AgentStatus.LOST
        assert all(v == 0 for v in (await used_slots(manager, victim.id)).values())
    finally:
        await asyncio.to_thread(stop_all, victims)


async def test_a_kernel_its_agent_forgot_is_terminated_on_next_contact(
    http: aiohttp.ClientSession,
    manager: RunningManager,
    dummy_agents: list[DummyAgent],
    clean_sessions: None,
) -> None:
    created = await create(http, manager, "e2e-forgotten", enqueue_only=False)
    assert created["status"] == "RUNNING", created
    row = await session_row(manager, "e2e-forgotten")
    [agent_id] = await kernel_agents(manager, created["sessionId"])
    agent = next(a for a in dummy_agents if a.id == agent_id)
    from ai.backend.manager.models.kernel import kernels

    async with manager.root.db.connect() as conn:
        kernel_id = await conn.scalar(sa.select(kernels.c.id).where(kernels.c.session_id == row.id))
    # The agent drops the kernel without telling anyone (as the dummy backend does once a
    # minute with every kernel, since it enumerates no containers).
    client = manager.root.agent_pool.client(agent.id, agent.rpc_addr)
    await client.destroy_kernel(kernel_id, row.id, "user-requested", suppress_events=True)

    status, problem = await call(http, manager, "GET", "/session/e2e-forgotten/logs")
    assert status == 409, problem
    assert "no longer has the kernel" in problem["msg"], problem
    ended = await wait_row_status(manager, "e2e-forgotten", {"TERMINATED"})
    assert ended is not None
    assert all(v == 0 for v in (await used_slots(manager, agent.id)).values())
