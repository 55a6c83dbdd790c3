"""Lifetime and idle timeout: the checker terminates expired RUNNING sessions, reason recorded.

No agents here: a session is created PENDING through the API and marked RUNNING in the
database, which is all the checker looks at; termination then goes through the launcher.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import pytest_asyncio
import sqlalchemy as sa

from ai.backend.manager.models.agent import agents
from ai.backend.manager.models.kernel import kernels
from ai.backend.manager.models.resource_policy import keypair_resource_policies
from ai.backend.manager.models.session import sessions
from ai.backend.manager.types import SESSION_TERMINAL_STATUSES, AgentStatus, SessionStatus
from tests.agent_harness import DummyAgent, agent_venv_available, start_dummy_agents, stop_all
from tests.conftest import ETCD_ADDR
from tests.integration.conftest import RunningManager
from tests.integration.test_sessions import used_slots, wait_agents_alive
from tests.signing import USER_ACCESS_KEY, USER_SECRET_KEY, signed_headers

USER = {"access_key": USER_ACCESS_KEY, "secret_key": USER_SECRET_KEY}

type Policy = Callable[..., Awaitable[None]]


@pytest_asyncio.fixture
async def policy(manager: RunningManager) -> AsyncIterator[Policy]:
    db = manager.root.db
    fields = ("max_session_lifetime", "idle_timeout", "max_concurrent_sessions")
    async with db.connect() as conn:
        saved = (
            (
                await conn.execute(
                    sa.select(*(keypair_resource_policies.c[f] for f in fields)).where(
                        keypair_resource_policies.c.name == "default"
                    )
                )
            )
            .one()
            ._asdict()
        )

    async def set_policy(**values: Any) -> None:
        async with db.begin() as conn:
            await conn.execute(
                sa.update(keypair_resource_policies)
                .where(keypair_resource_policies.c.name == "default")
                .values(**values)
            )

    await set_policy(max_concurrent_sessions=100, max_session_lifetime=0, idle_timeout=0)
    yield set_policy
    await set_policy(**saved)
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


async def running_session(
    http: aiohttp.ClientSession, manager: RunningManager, name: str, session_type: str
) -> uuid.UUID:
    body = {
        "name": name,
        "image": "python:3.9",
        "group": "default",
        "domain": "default",
        "type": session_type,
        "enqueueOnly": True,
        "config": {"resources": {"cpu": "1", "mem": "1g"}},
    }
    headers = signed_headers("POST", "/session", host=manager.host, **USER)
    async with http.post(
        manager.base_url + "/session", headers=headers, data=json.dumps(body)
    ) as resp:
        created = await resp.json(content_type=None)
        assert resp.status in (200, 201), created
    session_id = uuid.UUID(created["sessionId"])
    async with manager.root.db.begin() as conn:
        await conn.execute(
            sa.update(sessions)
            .where(sessions.c.id == session_id)
            .values(status=SessionStatus.RUNNING, starts_at=datetime.now(UTC))
        )
    return session_id


async def state(manager: RunningManager, session_id: uuid.UUID) -> tuple[SessionStatus, str]:
    async with manager.root.db.connect() as conn:
        row = (
            await conn.execute(
                sa.select(sessions.c.status, sessions.c.status_info).where(
                    sessions.c.id == session_id
                )
            )
        ).one()
    return row.status, row.status_info


async def check_until_ended(manager: RunningManager, session_id: uuid.UUID) -> str:
    """Run checker rounds (the background loop may take one) until the session ends."""
    for _ in range(40):
        await manager.root.idle_checker.run_once()
        status, info = await state(manager, session_id)
        if status != SessionStatus.RUNNING:
            assert status in (SessionStatus.TERMINATING, *SESSION_TERMINAL_STATUSES), status
            return info
        await asyncio.sleep(0.1)
    raise AssertionError("the session was never terminated")


async def test_a_session_past_its_lifetime_is_terminated(
    http: aiohttp.ClientSession, manager: RunningManager, policy: Policy
) -> None:
    await policy(max_session_lifetime=2)
    session_id = await running_session(http, manager, "idle-lifetime", "batch")
    await manager.root.idle_checker.run_once()
    assert (await state(manager, session_id))[0] == SessionStatus.RUNNING
    await asyncio.sleep(2.2)
    assert await check_until_ended(manager, session_id) == "idle-session-lifetime"
    async with manager.root.db.connect() as conn:
        kernel_infos = (
            await conn.scalars(
                sa.select(kernels.c.status_info).where(kernels.c.session_id == session_id)
            )
        ).all()
    assert kernel_infos == ["idle-session-lifetime"]


async def test_an_idle_session_is_terminated_and_a_used_one_is_not(
    http: aiohttp.ClientSession, manager: RunningManager, policy: Policy
) -> None:
    await policy(idle_timeout=2)
    idle = await running_session(http, manager, "idle-idle", "interactive")
    used = await running_session(http, manager, "idle-used", "interactive")
    batch = await running_session(http, manager, "idle-batch", "batch")
    tracker = manager.root.idle_checker.tracker
    for _ in range(5):
        await tracker.touch(used)
        await asyncio.sleep(0.5)
    assert await check_until_ended(manager, idle) == "idle-timeout"
    # touched half a second ago: still in use; a batch session is never idle
    assert (await state(manager, used))[0] == SessionStatus.RUNNING
    assert (await state(manager, batch))[0] == SessionStatus.RUNNING
    await asyncio.sleep(2.2)
    assert await check_until_ended(manager, used) == "idle-timeout"


async def test_a_negative_idle_timeout_takes_the_etcd_default(
    http: aiohttp.ClientSession, manager: RunningManager, policy: Policy
) -> None:
    etcd = manager.root.etcd
    await etcd.put("config/idle/checkers/network_timeout/threshold", "1s")
    try:
        await policy(idle_timeout=-1)
        session_id = await running_session(http, manager, "idle-default", "interactive")
        await asyncio.sleep(1.2)
        assert await check_until_ended(manager, session_id) == "idle-timeout"
    finally:
        await etcd.delete("config/idle/checkers/network_timeout/threshold")


# --- with a real dummy agent: the kernel is destroyed on the agent and the slots come back ------


@pytest_asyncio.fixture(scope="module")
async def idle_agent(
    manager: RunningManager,
    redis_port: int,
    etcd_namespace: str,
    tmp_path_factory: pytest.TempPathFactory,
) -> AsyncIterator[DummyAgent]:
    if not agent_venv_available():
        pytest.skip("no agent venv (make peers)")
    started = await start_dummy_agents(
        1,
        workdir=Path(tmp_path_factory.mktemp("idle-agents")),
        etcd_addr=str(ETCD_ADDR),
        namespace=etcd_namespace,
        redis_port=redis_port,
        cpu=4,
        mem_bytes=8 * 2**30,
        id_prefix="i-idle",
    )
    try:
        await wait_agents_alive(manager, [a.id for a in started])
        yield started[0]
    finally:
        await asyncio.to_thread(stop_all, started)
        # gone for the scheduler at once, so no later module's session lands on it
        async with manager.root.db.begin() as conn:
            await conn.execute(
                sa.update(agents)
                .where(agents.c.id == started[0].id)
                .values(status=AgentStatus.LOST)
            )


@pytest.mark.agents
async def test_a_running_session_past_its_lifetime_ends_on_its_agent(
    http: aiohttp.ClientSession, manager: RunningManager, policy: Policy, idle_agent: DummyAgent
) -> None:
    await policy(max_session_lifetime=2)
    body = {
        "name": "idle-e2e",
        "image": "python:3.9",
        "group": "default",
        "domain": "default",
        "enqueueOnly": False,
        "maxWaitSeconds": 30,
        "config": {"resources": {"cpu": "1", "mem": "1g"}},
    }
    headers = signed_headers("POST", "/session", host=manager.host, **USER)
    async with http.post(
        manager.base_url + "/session", headers=headers, data=json.dumps(body)
    ) as resp:
        created = await resp.json(content_type=None)
        assert resp.status in (200, 201), created
    session_id = uuid.UUID(created["sessionId"])
    assert (await state(manager, session_id))[0] == SessionStatus.RUNNING
    await asyncio.sleep(2.2)
    assert await check_until_ended(manager, session_id) == "idle-session-lifetime"
    deadline = asyncio.get_running_loop().time() + 20
    while asyncio.get_running_loop().time() < deadline:
        if (await state(manager, session_id))[0] == SessionStatus.TERMINATED:
            break
        await asyncio.sleep(0.2)
    assert (await state(manager, session_id))[0] == SessionStatus.TERMINATED
    assert (await used_slots(manager, idle_agent.id)).get("cpu", 0) == 0
