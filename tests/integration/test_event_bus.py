"""The event bus on a private Redis: anycast through the consumer group, broadcast, recovery."""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager
from typing import Any

import pytest
import pytest_asyncio

from ai.backend.manager.clients.redis.connection import RedisConnection, close_redis, open_redis
from ai.backend.manager.config.local import HostPort
from ai.backend.manager.config.shared import RedisConfig
from ai.backend.manager.defs import REDIS_STREAM_DB
from ai.backend.manager.event_dispatcher import (
    Delivery,
    DispatcherOptions,
    EventDispatcher,
    EventProducer,
    current_delivery,
)
from ai.backend.manager.events.agent import AgentStartedEvent, AgentTerminatedEvent
from ai.backend.manager.events.bgtask import BgtaskDoneEvent, BgtaskUpdatedEvent
from ai.backend.manager.events.envelope import AnycastEnvelope
from ai.backend.manager.metrics.registry import ManagerMetrics
from tests.redis_server import private_redis

pytestmark = pytest.mark.integration

FAST = DispatcherOptions(
    block_ms=100,
    redis_timeout=2.0,
    handler_timeout=2.0,
    retry_delay=0.01,
    claim_interval=0.1,
    claim_min_idle=300.0,
    backoff_initial=0.02,
    backoff_max=0.2,
    shutdown_grace=1.0,
)


@pytest.fixture(scope="module")
def redis_port(tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    with private_redis(tmp_path_factory.mktemp("event-bus-redis")) as port:
        yield port


def _open(port: int) -> RedisConnection:
    return open_redis(RedisConfig(addr=HostPort(host="127.0.0.1", port=port)), REDIS_STREAM_DB)


@pytest_asyncio.fixture
async def redis(redis_port: int) -> AsyncIterator[RedisConnection]:
    conn = _open(redis_port)
    await conn.flushdb()
    try:
        yield conn
    finally:
        await close_redis(conn)


@asynccontextmanager
async def running(dispatcher: EventDispatcher) -> AsyncIterator[EventDispatcher]:
    await dispatcher.start()
    try:
        yield dispatcher
    finally:
        await dispatcher.stop()


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


async def pending_count(redis: RedisConnection) -> int:
    info: Any = await redis.xpending("events", "manager")
    return int(info["pending"])


def dispatcher_for(redis: RedisConnection, name: str = "c1", **kw: Any) -> EventDispatcher:
    return EventDispatcher(
        redis, node_id="i-test", consumer_name=name, options=kw.pop("options", FAST), **kw
    )


async def test_anycast_round_trip_is_acknowledged(redis: RedisConnection) -> None:
    received: list[tuple[str, AgentStartedEvent, Delivery | None]] = []

    async def on_started(source: str, event: AgentStartedEvent) -> None:
        received.append((source, event, current_delivery()))

    dispatcher = dispatcher_for(redis)
    dispatcher.consume(AgentStartedEvent, on_started)
    producer = EventProducer(redis)
    async with running(dispatcher):
        before = time.time()
        entry_id = await producer.anycast(AgentStartedEvent(reason="self-started"), source="i-a")
        await eventually(lambda: len(received) == 1)
        await eventually(lambda: pending_count_is(redis, 0))
    source, event, delivery = received[0]
    assert (source, event.reason) == ("i-a", "self-started")
    assert delivery is not None
    assert delivery.entry_id == entry_id and delivery.kind == "anycast"
    assert delivery.retry_count == 0
    assert before - 1 <= delivery.produced_at <= time.time() + 1
    # The entry carries the reference envelope fields.
    [(_, fields)] = await redis.xrange("events")
    assert set(fields) == {b"name", b"source", b"payload"}
    assert fields[b"payload"] == b'{"reason":"self-started"}'


async def pending_count_is(redis: RedisConnection, n: int) -> bool:
    return await pending_count(redis) == n


async def test_events_are_handled_in_stream_order(redis: RedisConnection) -> None:
    seen: list[str] = []

    async def on_started(source: str, event: AgentStartedEvent) -> None:
        seen.append(event.reason)

    dispatcher = dispatcher_for(redis)
    dispatcher.consume(AgentStartedEvent, on_started)
    producer = EventProducer(redis)
    async with running(dispatcher):
        for i in range(100):
            await producer.anycast(AgentStartedEvent(reason=str(i)), source="i-a")
        await eventually(lambda: len(seen) == 100)
    assert seen == [str(i) for i in range(100)]


async def test_independent_events_are_handled_concurrently(redis: RedisConnection) -> None:
    """A slow handler does not hold up the rest of the read: five events that each wait for
    all five to have started can only finish if they run at the same time."""
    started: list[float] = []
    all_in = asyncio.Event()

    async def on_updated(source: str, event: BgtaskUpdatedEvent) -> None:
        started.append(event.current_progress)
        if len(started) == 5:
            all_in.set()
        await asyncio.wait_for(all_in.wait(), 2.0)

    dispatcher = dispatcher_for(redis)
    dispatcher.consume(BgtaskUpdatedEvent, on_updated)
    async with running(dispatcher):
        async with redis.pipeline(transaction=True) as pipe:  # all five in one read
            for i in range(5):
                envelope = AnycastEnvelope.of(
                    BgtaskUpdatedEvent(task_id=uuid.uuid4(), current_progress=i, total_progress=5),
                    source="i-a",
                )
                pipe.xadd("events", envelope.to_stream_fields())  # type: ignore[arg-type]
            await pipe.execute()
        await eventually(lambda: len(started) == 5)
        await eventually(lambda: pending_count_is(redis, 0))
    assert sorted(started) == [0, 1, 2, 3, 4]
    assert all_in.is_set()


async def test_a_slow_handler_does_not_hold_up_later_reads(redis: RedisConnection) -> None:
    """An event read after a slow one (in a later read) is handled while the slow one runs:
    the reader does not wait for a read's handlers before reading on."""
    release = asyncio.Event()
    finished: list[float] = []

    async def on_updated(source: str, event: BgtaskUpdatedEvent) -> None:
        if event.current_progress == 0:
            await asyncio.wait_for(release.wait(), 5.0)
        else:
            release.set()
        finished.append(event.current_progress)

    dispatcher = dispatcher_for(redis)
    dispatcher.consume(BgtaskUpdatedEvent, on_updated)
    producer = EventProducer(redis)
    async with running(dispatcher):
        for i in range(2):
            await producer.anycast(
                BgtaskUpdatedEvent(task_id=uuid.uuid4(), current_progress=i, total_progress=2),
                source="i-a",
            )
            await asyncio.sleep(0.3)  # a separate read for each
        await eventually(lambda: len(finished) == 2)
        await eventually(lambda: pending_count_is(redis, 0))
    assert finished == [1, 0]


async def test_an_agents_own_events_stay_in_order_across_reads(redis: RedisConnection) -> None:
    seen: list[str] = []

    async def on_started(source: str, event: AgentStartedEvent) -> None:
        if event.reason == "0":
            await asyncio.sleep(0.5)  # the first is slow; the next arrive in later reads
        seen.append(event.reason)

    dispatcher = dispatcher_for(redis)
    dispatcher.consume(AgentStartedEvent, on_started)
    producer = EventProducer(redis)
    async with running(dispatcher):
        for i in range(3):
            await producer.anycast(AgentStartedEvent(reason=str(i)), source="i-a")
            await asyncio.sleep(0.1)
        await eventually(lambda: len(seen) == 3)
    assert seen == ["0", "1", "2"]


async def test_each_anycast_event_reaches_exactly_one_consumer(redis: RedisConnection) -> None:
    seen: dict[str, list[str]] = {"m1": [], "m2": []}

    def handler_for(name: str) -> Callable[[str, AgentStartedEvent], Awaitable[None]]:
        async def handler(source: str, event: AgentStartedEvent) -> None:
            seen[name].append(event.reason)

        return handler

    first, second = dispatcher_for(redis, "m1"), dispatcher_for(redis, "m2")
    first.consume(AgentStartedEvent, handler_for("m1"))
    second.consume(AgentStartedEvent, handler_for("m2"))
    producer = EventProducer(redis)
    async with running(first), running(second):
        for i in range(40):
            await producer.anycast(AgentStartedEvent(reason=str(i)), source="i-a")
        await eventually(lambda: len(seen["m1"]) + len(seen["m2"]) >= 40)
        await asyncio.sleep(0.2)
    everything = seen["m1"] + seen["m2"]
    assert sorted(everything, key=int) == [str(i) for i in range(40)]
    assert len(everything) == len(set(everything))


async def test_unknown_and_malformed_entries_are_acked_and_skipped(
    redis: RedisConnection, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING)
    seen: list[str] = []

    async def on_started(source: str, event: AgentStartedEvent) -> None:
        seen.append(event.reason)

    dispatcher = dispatcher_for(redis)
    dispatcher.consume(AgentStartedEvent, on_started)
    async with running(dispatcher):
        entries: list[dict[Any, Any]] = [
            {"name": "do_something_new", "source": "i-x", "payload": "{}"},
            {"name": "agent_started", "source": "i-x", "payload": "{not json"},
            {"name": "agent_started", "source": "i-x", "payload": '{"no_reason": 1}'},
            {"source": "i-x", "payload": "{}"},
            {"name": "agent_started", "source": "i-x", "payload": '{"reason": "ok"}'},
        ]
        for fields in entries:
            await redis.xadd("events", fields)
        await eventually(lambda: seen == ["ok"])
        await eventually(lambda: pending_count_is(redis, 0))
    assert "dropping agent_started from i-x" in caplog.text
    assert "dropping stream entry" in caplog.text


async def test_failing_handler_is_retried_then_succeeds(redis: RedisConnection) -> None:
    attempts: list[int] = []

    async def flaky(source: str, event: AgentStartedEvent) -> None:
        delivery = current_delivery()
        assert delivery is not None
        attempts.append(delivery.retry_count)
        if len(attempts) < 3:
            raise RuntimeError("database hiccup")

    dispatcher = dispatcher_for(redis)
    dispatcher.consume(AgentStartedEvent, flaky)
    producer = EventProducer(redis)
    async with running(dispatcher):
        entry_id = await producer.anycast(AgentStartedEvent(reason="x"), source="i-a")
        await eventually(lambda: len(attempts) == 3)
        await eventually(lambda: pending_count_is(redis, 0))
    assert attempts == [0, 1, 2]
    # The retried entry keeps the original production time.
    last = (await redis.xrevrange("events", count=1))[0][1]
    assert last[b"_retry_count"] == b"2"
    assert last[b"_origin_id"] == entry_id.encode()


async def test_always_failing_handler_gives_up_and_the_loop_goes_on(
    redis: RedisConnection, caplog: pytest.LogCaptureFixture
) -> None:
    failures: list[int] = []
    good: list[str] = []

    async def broken(source: str, event: AgentTerminatedEvent) -> None:
        failures.append(1)
        raise ValueError("bug")

    async def fine(source: str, event: AgentStartedEvent) -> None:
        good.append(event.reason)

    dispatcher = dispatcher_for(redis)
    dispatcher.consume(AgentTerminatedEvent, broken)
    dispatcher.consume(AgentStartedEvent, fine)
    producer = EventProducer(redis)
    async with running(dispatcher):
        await producer.anycast(AgentTerminatedEvent(reason="shutdown"), source="i-a")
        await producer.anycast(AgentStartedEvent(reason="after"), source="i-a")
        await eventually(lambda: len(failures) == 1 + FAST.max_retries)
        await eventually(lambda: pending_count_is(redis, 0))
        await producer.anycast(AgentStartedEvent(reason="later"), source="i-a")
        await eventually(lambda: good == ["after", "later"])
    assert "handler" in caplog.text and "agent_terminated from i-a failed" in caplog.text
    assert "giving up on agent_terminated" in caplog.text
    await asyncio.sleep(0.1)
    assert len(failures) == 1 + FAST.max_retries


async def test_hanging_handler_times_out(redis: RedisConnection) -> None:
    calls: list[int] = []

    async def hangs(source: str, event: AgentStartedEvent) -> None:
        calls.append(1)
        await asyncio.sleep(3600)

    opts = DispatcherOptions(**{**FAST.__dict__, "handler_timeout": 0.1, "max_retries": 0})
    dispatcher = dispatcher_for(redis, options=opts)
    dispatcher.consume(AgentStartedEvent, hangs)
    async with running(dispatcher):
        await EventProducer(redis).anycast(AgentStartedEvent(reason="x"), source="i-a")
        await eventually(lambda: pending_count_is(redis, 0))
    assert calls == [1]


async def test_entries_left_by_a_dead_consumer_are_reclaimed(redis: RedisConnection) -> None:
    await redis.xgroup_create("events", "manager", id="$", mkstream=True)
    producer = EventProducer(redis)
    await producer.anycast(AgentStartedEvent(reason="orphan"), source="i-a")
    # A consumer reads it and dies before acknowledging.
    read = await redis.xreadgroup("manager", "dead", {"events": ">"}, count=10)
    assert len(read[0][1]) == 1
    seen: list[tuple[str, int]] = []

    async def on_started(source: str, event: AgentStartedEvent) -> None:
        delivery = current_delivery()
        assert delivery is not None
        seen.append((event.reason, delivery.retry_count))

    opts = DispatcherOptions(**{**FAST.__dict__, "claim_min_idle": 0.2})
    dispatcher = dispatcher_for(redis, options=opts)
    dispatcher.consume(AgentStartedEvent, on_started)
    async with running(dispatcher):  # the group exists already: BUSYGROUP is fine
        await eventually(lambda: seen == [("orphan", 1)])
        await eventually(lambda: pending_count_is(redis, 0))


async def test_broadcast_reaches_every_subscriber(redis: RedisConnection) -> None:
    got: dict[str, list[tuple[str, str]]] = {"m1": [], "m2": []}

    def handler_for(name: str) -> Callable[[str, BgtaskDoneEvent], Awaitable[None]]:
        async def handler(source: str, event: BgtaskDoneEvent) -> None:
            delivery = current_delivery()
            assert delivery is not None and delivery.kind == "broadcast"
            got[name].append((source, str(event.message)))

        return handler

    first, second = dispatcher_for(redis, "m1"), dispatcher_for(redis, "m2")
    first.subscribe(BgtaskDoneEvent, handler_for("m1"))
    second.subscribe(BgtaskDoneEvent, handler_for("m2"))
    producer = EventProducer(redis)
    async with running(first), running(second):
        await eventually(lambda: subscribers_are(redis, 2))
        await producer.broadcast(BgtaskDoneEvent(task_id=uuid.uuid4(), message="hi"), source="s")
        # Not an event we know: ignored by both.
        await redis.publish("events_all", b"garbage")
        await eventually(lambda: got["m1"] == [("s", "hi")] and got["m2"] == [("s", "hi")])


async def subscribers_are(redis: RedisConnection, n: int) -> bool:
    counts: Any = await redis.pubsub_numsub("events_all")
    return int(counts[0][1]) == n


async def test_broadcast_with_cache_keeps_the_last_message(redis: RedisConnection) -> None:
    task_id = uuid.uuid4()
    producer = EventProducer(redis)
    event = BgtaskUpdatedEvent(task_id=task_id, current_progress=1, total_progress=2, message="m")
    await producer.broadcast_with_cache(event, source="i-mgr", cache_id=event.cache_id)
    assert event.cache_id == f"bgtask.{task_id}"
    ttl = await redis.ttl(event.cache_id)
    assert 290 <= ttl <= 300
    cached = await producer.fetch_cached(event.cache_id)
    assert cached is not None
    assert (cached.name, cached.source) == ("bgtask_updated", "i-mgr")
    assert BgtaskUpdatedEvent.from_json(cached.payload) == event
    assert await producer.fetch_cached("bgtask.nothing") is None


async def test_the_loops_survive_dropped_connections(
    redis: RedisConnection, redis_port: int
) -> None:
    anycasts: list[str] = []
    broadcasts: list[str] = []

    async def on_started(source: str, event: AgentStartedEvent) -> None:
        anycasts.append(event.reason)

    async def on_done(source: str, event: BgtaskDoneEvent) -> None:
        broadcasts.append(str(event.message))

    dispatcher = dispatcher_for(redis)
    dispatcher.consume(AgentStartedEvent, on_started)
    dispatcher.subscribe(BgtaskDoneEvent, on_done)
    producer = EventProducer(redis)
    admin = _open(redis_port)
    try:
        async with running(dispatcher):
            await eventually(lambda: subscribers_are(redis, 1))
            await admin.execute_command("CLIENT", "KILL", "TYPE", "normal")
            await admin.execute_command("CLIENT", "KILL", "TYPE", "pubsub")
            await eventually(lambda: subscribers_are(admin, 1))
            await producer.anycast(AgentStartedEvent(reason="after-kill"), source="i-a")
            await producer.broadcast(BgtaskDoneEvent(task_id=uuid.uuid4(), message="b"), source="s")
            await eventually(lambda: anycasts == ["after-kill"] and broadcasts == ["b"])
    finally:
        await close_redis(admin)


async def test_stop_is_prompt_and_leaves_no_tasks(redis: RedisConnection) -> None:
    async def ignore(source: str, event: BgtaskDoneEvent) -> None:
        return None

    dispatcher = dispatcher_for(redis)
    dispatcher.subscribe(BgtaskDoneEvent, ignore)
    before = {t.get_name() for t in asyncio.all_tasks()}
    await dispatcher.start()
    await asyncio.sleep(0.2)
    started = time.monotonic()
    await dispatcher.stop()
    assert time.monotonic() - started < 1.5
    leftover = {t.get_name() for t in asyncio.all_tasks()} - before
    assert not {name for name in leftover if name.startswith("event-")}


async def test_handling_is_counted_in_metrics(redis: RedisConnection) -> None:
    metrics = ManagerMetrics()

    async def ok(source: str, event: AgentStartedEvent) -> None:
        return None

    dispatcher = dispatcher_for(redis, metrics=metrics)
    dispatcher.consume(AgentStartedEvent, ok)
    async with running(dispatcher):
        await EventProducer(redis).anycast(AgentStartedEvent(reason="x"), source="i-a")
        labels = {"event_name": "agent_started", "delivery": "anycast", "success": "true"}
        await eventually(
            lambda: metrics.registry.get_sample_value("backendai_event_count_total", labels) == 1
        )
    assert metrics.registry.get_sample_value("backendai_event_duration_sec_count", labels) == 1


async def test_requeued_envelope_survives_the_wire(redis: RedisConnection) -> None:
    envelope = AnycastEnvelope.of(AgentStartedEvent(reason="r"), source="i-a").retried("5-0")
    await EventProducer(redis).anycast_envelope(envelope)
    [(_, fields)] = await redis.xrange("events")
    assert AnycastEnvelope.from_stream_fields(fields) == envelope
