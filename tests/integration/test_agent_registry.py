"""The agent registry driven by events on a private Redis, with its own database and etcd
namespace: registration from heartbeats, exits, the lost-checker, and out-of-order events."""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import asyncpg
import pytest
import pytest_asyncio
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from ai.backend.manager.actions.agent import (
    HandleAgentHeartbeatAction,
    HandleAgentTerminatedAction,
)
from ai.backend.manager.clients.etcd import EtcdClient
from ai.backend.manager.clients.redis.connection import RedisConnection, close_redis, open_redis
from ai.backend.manager.config.local import HostPort
from ai.backend.manager.config.shared import RedisConfig
from ai.backend.manager.defs import REDIS_LIVE_DB, REDIS_STREAM_DB, REDIS_STREAM_LOCK_DB
from ai.backend.manager.event_dispatcher import DispatcherOptions, EventDispatcher, EventProducer
from ai.backend.manager.event_dispatcher.handlers.agent import register_agent_event_handlers
from ai.backend.manager.events.agent import (
    AgentErrorEvent,
    AgentHeartbeatEvent,
    AgentStartedEvent,
    AgentTerminatedEvent,
)
from ai.backend.manager.metrics.registry import ManagerMetrics
from ai.backend.manager.models.agent import agent_resources
from ai.backend.manager.models.resource_slot_type import resource_slot_types
from ai.backend.manager.models.scaling_group import scaling_groups
from ai.backend.manager.repositories.agent import (
    AgentLastSeen,
    AgentRepository,
    AgentRow,
    HeartbeatOutcome,
    StatusChange,
)
from ai.backend.manager.repositories.db import create_engine
from ai.backend.manager.repositories.schema import schema_oneshot
from ai.backend.manager.services.agent import (
    AgentLivenessChecker,
    AgentProcessors,
    AgentService,
    build_agent_processors,
)
from ai.backend.manager.types import AgentStatus
from tests.agent_harness import AGENT_PYTHON, agent_venv_available, start_dummy_agents, stop_all
from tests.conftest import ETCD_ADDR, database_config, unique_name
from tests.redis_server import private_redis

pytestmark = pytest.mark.integration

GIB = 1 << 30
FAST = DispatcherOptions(
    block_ms=100,
    redis_timeout=2.0,
    handler_timeout=5.0,
    retry_delay=0.01,
    backoff_initial=0.02,
    backoff_max=0.2,
    shutdown_grace=1.0,
)
HEARTBEAT_TIMEOUT = 0.8


# --- fixtures -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def redis_port(tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    with private_redis(tmp_path_factory.mktemp("registry-redis")) as port:
        yield port


@pytest_asyncio.fixture(scope="module")
async def engine(pg_admin_dsn: str) -> AsyncIterator[AsyncEngine]:
    """A database of our own: the registry writes agents and slot types other tests count."""
    name = unique_name("test_agent_registry")
    admin = await asyncpg.connect(pg_admin_dsn)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    engine = create_engine(database_config(name))
    try:
        await schema_oneshot(engine)
        async with engine.begin() as conn:
            for group, is_default in (("default", True), ("gpu", False)):
                await conn.execute(
                    sa.insert(scaling_groups).values(
                        name=group, is_default=is_default, driver="static", scheduler="fifo"
                    )
                )
        yield engine
    finally:
        await engine.dispose()
        admin = await asyncpg.connect(pg_admin_dsn)
        try:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await admin.close()


@pytest_asyncio.fixture(scope="module")
async def etcd_ns() -> AsyncIterator[EtcdClient]:
    etcd = EtcdClient(
        host=ETCD_ADDR.host, port=ETCD_ADDR.port, namespace=unique_name("test_registry")
    )
    try:
        yield etcd
    finally:
        await etcd.delete_prefix("")


def _redis(port: int, db: int) -> RedisConnection:
    return open_redis(RedisConfig(addr=HostPort(host="127.0.0.1", port=port)), db)


@dataclass
class Registry:
    engine: AsyncEngine
    etcd: EtcdClient
    stream: RedisConnection
    live: RedisConnection
    lock: RedisConnection
    producer: EventProducer
    dispatcher: EventDispatcher
    repository: AgentRepository
    last_seen: AgentLastSeen
    service: AgentService
    processors: AgentProcessors
    gone: list[tuple[str, AgentStatus]] = field(default_factory=list)
    moved: list[str] = field(default_factory=list)
    started: list[tuple[str, str]] = field(default_factory=list)

    def checker(self, **kw: Any) -> AgentLivenessChecker:
        return AgentLivenessChecker(
            self.last_seen,
            self.producer,
            node_id="i-test-manager",
            heartbeat_timeout=HEARTBEAT_TIMEOUT,
            lock_redis=self.lock,
            **kw,
        )

    async def agent(self, agent_id: str) -> AgentRow:
        row = await self.repository.get(agent_id)
        assert row is not None, f"agent {agent_id} is not registered"
        return row


@pytest_asyncio.fixture
async def registry(
    engine: AsyncEngine, etcd_ns: EtcdClient, redis_port: int
) -> AsyncIterator[Registry]:
    stream, live, lock = (
        _redis(redis_port, db) for db in (REDIS_STREAM_DB, REDIS_LIVE_DB, REDIS_STREAM_LOCK_DB)
    )
    for conn in (stream, live, lock):
        await conn.flushdb()
    metrics = ManagerMetrics()
    producer = EventProducer(stream)
    dispatcher = EventDispatcher(
        stream, node_id="i-test-manager", metrics=metrics, options=FAST, consumer_name="c"
    )
    repository = AgentRepository(engine)
    last_seen = AgentLastSeen(live)
    service = AgentService(
        repository, last_seen, producer, etcd_ns, heartbeat_timeout=HEARTBEAT_TIMEOUT
    )
    processors = build_agent_processors(service, metrics)
    reg = Registry(
        engine, etcd_ns, stream, live, lock, producer, dispatcher, repository, last_seen,
        service, processors,
    )  # fmt: skip

    async def on_gone(agent_id: str, status: AgentStatus) -> None:
        reg.gone.append((agent_id, status))

    async def on_moved(agent_id: str) -> None:
        reg.moved.append(agent_id)

    async def on_started(source: str, event: AgentStartedEvent) -> None:
        reg.started.append((source, event.reason))

    service.add_gone_listener(on_gone)
    service.add_address_changed_listener(on_moved)
    register_agent_event_handlers(dispatcher, processors)
    dispatcher.consume(AgentStartedEvent, on_started)
    await dispatcher.start()
    try:
        yield reg
    finally:
        await dispatcher.stop()
        for conn in (stream, live, lock):
            await close_redis(conn)


# --- helpers --------------------------------------------------------------------------------

# spec/events.md §1, the agent_heartbeat example.
HEARTBEAT_EXAMPLE: dict[str, Any] = {
    "ip": "127.0.0.1",
    "region": None,
    "scaling_group": "default",
    "addr": "tcp://127.0.0.1:6011",
    "public_key": None,
    "public_host": "127.0.0.1",
    "available_resource_slots": [
        {"resource_type": "cpu", "quantity": "4"},
        {"resource_type": "mem", "quantity": "34359738368"},
    ],
    "slot_key_and_units": {"cpu": "count", "mem": "bytes"},
    "version": "26.9.6",
    "compute_plugins": {"cpu": {"version": "..."}, "mem": {"version": "..."}},
    "architecture": "x86_64",
    "auto_terminate_abusing_kernel": False,
}


def heartbeat(
    *,
    scaling_group: str | None = "default",
    addr: str = "tcp://127.0.0.1:6011",
    slots: dict[str, tuple[str, str]] | None = None,
) -> AgentHeartbeatEvent:
    """The spec example; `slots` = {name: (quantity, unit)} replaces cpu/mem when given."""
    info = dict(HEARTBEAT_EXAMPLE, scaling_group=scaling_group, addr=addr)
    if slots is not None:
        info["available_resource_slots"] = [
            {"resource_type": name, "quantity": qty} for name, (qty, _) in slots.items()
        ]
        info["slot_key_and_units"] = {name: unit for name, (_, unit) in slots.items()}
    return AgentHeartbeatEvent.from_json(json.dumps({"agent_info": info}))


async def eventually(check: Callable[[], Awaitable[bool] | bool], within: float = 5.0) -> None:
    deadline = time.monotonic() + within
    while True:
        result = check()
        if isinstance(result, Awaitable):
            result = await result
        if result:
            return
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.02)


async def status_is(reg: Registry, agent_id: str, status: AgentStatus) -> bool:
    row = await reg.repository.get(agent_id)
    return row is not None and row.status is status


async def send_heartbeat(reg: Registry, agent_id: str, event: AgentHeartbeatEvent) -> None:
    await reg.producer.anycast(event, source=agent_id)


async def drained(reg: Registry) -> bool:
    info: Any = await reg.stream.xpending("events", "manager")
    return int(info["pending"]) == 0 and not reg.dispatcher._retry_timers


async def register(reg: Registry, agent_id: str, **kw: Any) -> AgentRow:
    await send_heartbeat(reg, agent_id, heartbeat(**kw))
    await eventually(lambda: status_is(reg, agent_id, AgentStatus.ALIVE))
    return await reg.agent(agent_id)


# --- registration ---------------------------------------------------------------------------


async def test_new_agents_join_the_named_or_the_default_group(registry: Registry) -> None:
    reg = registry
    await send_heartbeat(reg, "i-reg-default", heartbeat(scaling_group="default"))
    await send_heartbeat(reg, "i-reg-gpu", heartbeat(scaling_group="gpu"))
    await send_heartbeat(reg, "i-reg-unknown", heartbeat(scaling_group="no-such-group"))
    await send_heartbeat(reg, "i-reg-none", heartbeat(scaling_group=None))
    expected = {
        "i-reg-default": "default",
        "i-reg-gpu": "gpu",
        "i-reg-unknown": "default",
        "i-reg-none": "default",
    }
    for agent_id in expected:
        await eventually(lambda a=agent_id: status_is(reg, a, AgentStatus.ALIVE))
    for agent_id, group in expected.items():
        row = await reg.agent(agent_id)
        assert row.scaling_group == group
        assert row.region == "local"  # null region
        assert row.addr == "tcp://127.0.0.1:6011" and row.public_host == "127.0.0.1"
        assert row.public_key is None
        assert (row.version, row.architecture) == ("26.9.6", "x86_64")
        assert row.compute_plugins == {"cpu": {"version": "..."}, "mem": {"version": "..."}}
        assert row.capacity == {"cpu": Decimal(4), "mem": Decimal(34359738368)}
        assert row.used == {"cpu": Decimal(0), "mem": Decimal(0)}
        assert row.status_changed is not None and row.lost_at is None
        assert await reg.last_seen.get(agent_id) is not None
    async with reg.engine.connect() as conn:
        units = dict(
            (
                await conn.execute(
                    sa.select(resource_slot_types.c.slot_name, resource_slot_types.c.slot_type)
                )
            ).all()
        )
    assert units["cpu"] == "count" and units["mem"] == "bytes"
    # First contact is not a revival.
    assert not [s for s in reg.started if s[1] == "revived"]


async def test_the_same_heartbeat_twice_changes_nothing(registry: Registry) -> None:
    reg = registry
    first = await register(reg, "i-dup")
    event = heartbeat()
    result = await reg.processors.heartbeat.run(
        HandleAgentHeartbeatAction(agent_id="i-dup", produced_at=time.time(), info=event.agent_info)
    )
    assert result.outcome is HeartbeatOutcome.UPDATED and not result.address_changed
    await send_heartbeat(reg, "i-dup", event)
    await eventually(lambda: drained(reg))
    assert await reg.agent("i-dup") == first
    async with reg.engine.connect() as conn:
        count = await conn.scalar(
            sa.select(sa.func.count())
            .select_from(agent_resources)
            .where(agent_resources.c.agent_id == "i-dup")
        )
    assert count == 2
    assert reg.moved == [] and reg.started == []


async def test_heartbeat_updates_fields_but_never_the_scaling_group(registry: Registry) -> None:
    reg = registry
    await register(reg, "i-move", scaling_group="gpu")
    async with reg.engine.begin() as conn:
        await conn.execute(
            sa.update(agent_resources)
            .where(agent_resources.c.agent_id == "i-move", agent_resources.c.slot_name == "cpu")
            .values(used=Decimal(1), reserved=Decimal("0.5"))
        )
    await send_heartbeat(
        reg,
        "i-move",
        heartbeat(
            scaling_group="default",
            addr="tcp://127.0.0.1:7011",
            slots={"cpu": ("8", "count"), "mem": ("1024", "bytes")},
        ),
    )
    await eventually(lambda: reg.moved == ["i-move"])
    row = await reg.agent("i-move")
    assert row.scaling_group == "gpu"
    assert row.addr == "tcp://127.0.0.1:7011"
    assert row.capacity == {"cpu": Decimal(8), "mem": Decimal(1024)}
    # used/reserved belong to the scheduler.
    assert row.used["cpu"] == Decimal(1) and row.reserved["cpu"] == Decimal("0.5")


async def test_new_slot_types_are_recorded_and_dropped_slots_removed(registry: Registry) -> None:
    reg = registry
    slots = {"cpu": ("4", "count"), "mem": ("1024", "bytes"), "cuda.shares": ("2.5", "count")}
    await register(reg, "i-gpu", slots=slots)
    row = await reg.agent("i-gpu")
    assert row.capacity["cuda.shares"] == Decimal("2.5")
    assert await reg.etcd.get("config/resource_slots/cuda.shares") == "count"
    # Intrinsic slots are implicit; they are not written.
    assert await reg.etcd.get("config/resource_slots/cpu") is None
    async with reg.engine.connect() as conn:
        slot_type = await conn.scalar(
            sa.select(resource_slot_types.c.slot_type).where(
                resource_slot_types.c.slot_name == "cuda.shares"
            )
        )
    assert slot_type == "count"
    # The device goes away: an unused slot row disappears.
    await send_heartbeat(reg, "i-gpu", heartbeat(slots={"cpu": ("4", "count")}))
    await eventually(lambda: drained(reg))
    row = await reg.agent("i-gpu")
    assert row.capacity == {"cpu": Decimal(4)}


# --- exits and revivals ---------------------------------------------------------------------


async def test_agent_terminated_marks_it_terminated_once(registry: Registry) -> None:
    reg = registry
    await register(reg, "i-bye")
    await reg.producer.anycast(AgentTerminatedEvent(reason="shutdown"), source="i-bye")
    await eventually(lambda: status_is(reg, "i-bye", AgentStatus.TERMINATED))
    row = await reg.agent("i-bye")
    assert row.lost_at is not None and row.status_changed == row.lost_at
    assert await reg.last_seen.get("i-bye") is None
    assert reg.gone == [("i-bye", AgentStatus.TERMINATED)]
    # Again: nothing changes, nobody is told twice.
    await reg.producer.anycast(AgentTerminatedEvent(reason="shutdown"), source="i-bye")
    await reg.producer.anycast(AgentTerminatedEvent(reason="agent-lost"), source="i-bye")
    await eventually(lambda: drained(reg))
    assert await reg.agent("i-bye") == row
    assert reg.gone == [("i-bye", AgentStatus.TERMINATED)]


async def test_heartbeat_after_exit_revives_and_announces_it(registry: Registry) -> None:
    reg = registry
    await register(reg, "i-phoenix")
    await reg.producer.anycast(AgentTerminatedEvent(reason="shutdown"), source="i-phoenix")
    await eventually(lambda: status_is(reg, "i-phoenix", AgentStatus.TERMINATED))
    await send_heartbeat(reg, "i-phoenix", heartbeat())
    await eventually(lambda: ("i-phoenix", "revived") in reg.started)
    row = await reg.agent("i-phoenix")
    assert row.status is AgentStatus.ALIVE and row.lost_at is None
    assert await reg.last_seen.get("i-phoenix") is not None


async def test_restart_then_heartbeat_is_not_a_revival(registry: Registry) -> None:
    reg = registry
    await register(reg, "i-restart")
    await reg.producer.anycast(AgentTerminatedEvent(reason="agent-restart"), source="i-restart")
    await eventually(lambda: status_is(reg, "i-restart", AgentStatus.RESTARTING))
    assert (await reg.agent("i-restart")).lost_at is None
    assert reg.gone == [("i-restart", AgentStatus.RESTARTING)]
    await send_heartbeat(reg, "i-restart", heartbeat())
    await eventually(lambda: status_is(reg, "i-restart", AgentStatus.ALIVE))
    await eventually(lambda: drained(reg))
    assert reg.started == []


async def test_agent_started_only_touches_known_agents(registry: Registry) -> None:
    reg = registry
    await reg.producer.anycast(AgentStartedEvent(reason="self-started"), source="i-stranger")
    await register(reg, "i-known")
    await reg.producer.anycast(AgentTerminatedEvent(reason="shutdown"), source="i-known")
    await eventually(lambda: status_is(reg, "i-known", AgentStatus.TERMINATED))
    await reg.producer.anycast(AgentStartedEvent(reason="self-started"), source="i-known")
    await eventually(lambda: status_is(reg, "i-known", AgentStatus.ALIVE))
    assert await reg.repository.get("i-stranger") is None
    # Watched by the lost-checker from now on, even before its next heartbeat.
    assert await reg.last_seen.get("i-known") is not None
    assert (await reg.agent("i-known")).lost_at is None


async def test_out_of_order_events_do_not_roll_state_back(registry: Registry) -> None:
    reg = registry
    t0 = time.time()
    info = heartbeat().agent_info

    async def beat(at: float) -> HeartbeatOutcome:
        action = HandleAgentHeartbeatAction(agent_id="i-ooo", produced_at=at, info=info)
        return (await reg.processors.heartbeat.run(action)).outcome

    async def exit_(at: float, reason: str = "shutdown") -> StatusChange:
        action = HandleAgentTerminatedAction(agent_id="i-ooo", produced_at=at, reason=reason)
        return await reg.processors.terminated.run(action)

    assert await beat(t0) is HeartbeatOutcome.REGISTERED
    # An exit produced before the last heartbeat (e.g. a retried entry) is stale.
    assert await exit_(t0 - 1) is StatusChange.STALE
    assert (await reg.agent("i-ooo")).status is AgentStatus.ALIVE
    assert await exit_(t0 + 10) is StatusChange.APPLIED
    # A heartbeat produced before that exit must not resurrect the agent.
    assert await beat(t0 + 5) is HeartbeatOutcome.STALE
    assert (await reg.agent("i-ooo")).status is AgentStatus.TERMINATED
    assert await reg.last_seen.get("i-ooo") is None
    assert await beat(t0 + 20) is HeartbeatOutcome.REVIVED
    assert reg.gone == [("i-ooo", AgentStatus.TERMINATED)]


async def test_lost_report_racing_a_heartbeat_is_ignored(registry: Registry) -> None:
    reg = registry
    await register(reg, "i-racer")
    action = HandleAgentTerminatedAction(
        agent_id="i-racer", produced_at=time.time() + 0.01, reason="agent-lost"
    )
    assert await reg.processors.terminated.run(action) is StatusChange.STALE
    assert (await reg.agent("i-racer")).status is AgentStatus.ALIVE
    assert reg.gone == []


# --- the lost-checker -----------------------------------------------------------------------


async def test_lost_checker_marks_silent_agents_lost_and_a_heartbeat_revives(
    registry: Registry,
) -> None:
    reg = registry
    checker = reg.checker(interval=0.1, initial_delay=0)
    await register(reg, "i-quiet")
    checker.start()
    try:
        started = time.monotonic()
        await eventually(lambda: status_is(reg, "i-quiet", AgentStatus.LOST), within=5)
        assert time.monotonic() - started >= HEARTBEAT_TIMEOUT * 0.5
        row = await reg.agent("i-quiet")
        assert row.lost_at is not None
        assert reg.gone == [("i-quiet", AgentStatus.LOST)]
        assert await reg.last_seen.get("i-quiet") is None
        await send_heartbeat(reg, "i-quiet", heartbeat())
        await eventually(lambda: ("i-quiet", "revived") in reg.started)
        assert (await reg.agent("i-quiet")).status is AgentStatus.ALIVE
    finally:
        await checker.stop()


async def test_lost_checker_keeps_agents_that_heartbeat(registry: Registry) -> None:
    reg = registry
    checker = reg.checker(interval=0.1, initial_delay=0)
    await register(reg, "i-chatty")
    checker.start()
    try:
        for _ in range(6):
            await send_heartbeat(reg, "i-chatty", heartbeat())
            await asyncio.sleep(HEARTBEAT_TIMEOUT / 4)
        assert (await reg.agent("i-chatty")).status is AgentStatus.ALIVE
        assert reg.gone == []
    finally:
        await checker.stop()


async def test_one_lost_check_per_interval_across_managers(registry: Registry) -> None:
    reg = registry
    await reg.last_seen.touch("i-ghost", time.time() - 60)
    first, second = reg.checker(interval=5.0), reg.checker(interval=5.0)
    assert await first.check_once() == ["i-ghost"]
    assert await second.check_once() == []
    await eventually(lambda: drained(reg))
    # No row for it: nothing to mark, but the stale mark is dropped.
    assert await reg.repository.get("i-ghost") is None
    assert await reg.last_seen.get("i-ghost") is None


async def test_lost_checker_waits_for_heartbeats_still_queued_in_the_stream(
    registry: Registry,
) -> None:
    """A manager that lags behind the event stream measures silence up to the oldest event it
    has not handled, so an agent whose heartbeat is still queued is not declared lost; the
    allowance is one more timeout at most."""
    reg = registry
    await register(reg, "i-behind")
    await reg.dispatcher.stop()  # the managers fall behind: nothing is read any more
    await send_heartbeat(reg, "i-behind", heartbeat())
    queued_at = time.time()
    backlog = await reg.dispatcher.backlog_since()
    assert backlog is not None
    assert abs(backlog - queued_at) < 1.0
    await asyncio.sleep(HEARTBEAT_TIMEOUT * 1.3)  # silent for longer than the timeout
    patient = reg.checker(interval=0.01, backlog_since=reg.dispatcher.backlog_since)
    assert await patient.check_once() == []
    await asyncio.sleep(HEARTBEAT_TIMEOUT * 1.0)  # now beyond the allowance too
    assert await patient.check_once() == ["i-behind"]


async def test_backlog_is_none_when_the_managers_are_caught_up(registry: Registry) -> None:
    reg = registry
    await register(reg, "i-current")
    await eventually(lambda: drained(reg))
    assert await reg.dispatcher.backlog_since() is None


# --- misconfiguration and errors ------------------------------------------------------------


async def test_no_scaling_group_is_logged_and_skipped(
    registry: Registry, caplog: pytest.LogCaptureFixture
) -> None:
    reg = registry
    async with reg.engine.begin() as conn:
        await conn.execute(sa.update(scaling_groups).values(is_default=False))
    try:
        action = HandleAgentHeartbeatAction(
            agent_id="i-homeless",
            produced_at=time.time(),
            info=heartbeat(scaling_group="nowhere").agent_info,
        )
        result = await reg.processors.heartbeat.run(action)
        assert result.outcome is HeartbeatOutcome.NO_SCALING_GROUP
        assert await reg.repository.get("i-homeless") is None
        assert await reg.last_seen.get("i-homeless") is None
        assert "agent i-homeless cannot register" in caplog.text
        # Through the bus too: the loop survives and the entry is acknowledged.
        await send_heartbeat(reg, "i-homeless", heartbeat(scaling_group="nowhere"))
        await eventually(lambda: drained(reg))
        assert await reg.repository.get("i-homeless") is None
    finally:
        async with reg.engine.begin() as conn:
            await conn.execute(
                sa.update(scaling_groups)
                .where(scaling_groups.c.name == "default")
                .values(is_default=True)
            )


async def test_agent_error_is_logged(registry: Registry, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    reg = registry
    await reg.producer.anycast(
        AgentErrorEvent(message="disk full", traceback="Traceback: ...", severity="WARNING"),
        source="i-sad",
    )
    await eventually(lambda: "agent i-sad error: disk full" in caplog.text)
    record = next(r for r in caplog.records if "disk full" in r.getMessage())
    assert record.levelno == logging.WARNING


async def test_listing_agents(registry: Registry) -> None:
    reg = registry
    await register(reg, "i-list-a", scaling_group="gpu")
    await register(reg, "i-list-b", scaling_group="gpu")
    rows = await reg.repository.list_agents(scaling_group="gpu", statuses=[AgentStatus.ALIVE])
    ids = [row.id for row in rows]
    assert "i-list-a" in ids and "i-list-b" in ids and ids == sorted(ids)
    mine = [row for row in rows if row.id in ("i-list-a", "i-list-b")]
    assert [row.capacity["cpu"] for row in mine] == [Decimal(4), Decimal(4)]
    page = await reg.repository.list_agents(scaling_group="gpu", limit=1)
    assert len(page) == 1
    assert await reg.repository.count_agents(scaling_group="gpu") >= 2


# --- a real dummy agent ---------------------------------------------------------------------


@pytest.mark.agents
@pytest.mark.skipif(not agent_venv_available(), reason=f"{AGENT_PYTHON} missing")
async def test_a_real_dummy_agent_registers_and_leaves(
    registry: Registry, redis_port: int, tmp_path_factory: pytest.TempPathFactory
) -> None:
    reg = registry
    agents = await start_dummy_agents(
        1,
        workdir=tmp_path_factory.mktemp("registry-agents"),
        etcd_addr=str(ETCD_ADDR),
        namespace=reg.etcd.namespace,
        redis_port=redis_port,
        register_fake_manager=True,
        cpu=8,
        mem_bytes=16 * GIB,
        heartbeat_interval=1.0,
        id_prefix=unique_name("i-real").replace("_", "-"),
    )
    agent = agents[0]
    try:
        await eventually(lambda: status_is(reg, agent.id, AgentStatus.ALIVE), within=60)
        row = await reg.agent(agent.id)
        assert row.addr == agent.rpc_addr
        assert row.scaling_group == "default"
        assert row.capacity["cpu"] == Decimal(8)
        assert Decimal(0) < row.capacity["mem"] <= Decimal(16 * GIB)
        assert row.version == "26.9.6"
        await agent.astop()
        await eventually(lambda: status_is(reg, agent.id, AgentStatus.TERMINATED), within=20)
        assert (agent.id, AgentStatus.TERMINATED) in reg.gone
    finally:
        await asyncio.to_thread(stop_all, agents)
