"""Taking events off the bus and running their handlers.

Anycast: this process is one consumer of the group `manager` on the stream `events`, so each
entry reaches one manager. Entries are handled one at a time in stream order (events of one
kernel or agent must not overtake each other) and acknowledged after their handlers ran.
A failing handler gets its entry re-queued with `_retry_count` + 1 after a growing delay, up
to `max_retries`, then the entry is acknowledged and dropped with an error log. Entries left
pending by a consumer that died are re-claimed (XAUTOCLAIM) once idle long enough.

Broadcast: every manager subscribes to `events_all`; handlers run for each message received.

Entries with a name nobody consumes are acknowledged and ignored; malformed ones are logged and
acknowledged. Nothing a handler does can stop the loops, and both loops reconnect to Redis with
a bounded exponential backoff.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import random
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, cast

from redis.asyncio.client import PubSub

from ai.backend.manager.clients.redis.connection import RedisConnection
from ai.backend.manager.errors.event import EventBusUnavailable, MalformedEvent
from ai.backend.manager.event_dispatcher.delivery import (
    Delivery,
    DeliveryKind,
    delivery_scope,
    stream_id_time,
)
from ai.backend.manager.event_dispatcher.producer import (
    BROADCAST_CHANNEL,
    EVENT_STREAM,
    STREAM_MAXLEN,
    redis_call,
)
from ai.backend.manager.events.base import Event
from ai.backend.manager.events.envelope import (
    NAME_FIELD,
    SOURCE_FIELD,
    AnycastEnvelope,
    BroadcastEnvelope,
    decode_body,
)
from ai.backend.manager.metrics.registry import ManagerMetrics

log = logging.getLogger(__name__)

type EventHandler[E: Event] = Callable[[str, E], Awaitable[None]]
type _AnyHandler = Callable[[str, Any], Awaitable[None]]
type _StreamEntry = tuple[bytes, dict[bytes, bytes] | None]


@dataclass(frozen=True, kw_only=True)
class DispatcherOptions:
    """Tuning knobs; the defaults suit production, tests shrink them."""

    batch_size: int = 64
    # Entries of one read handled at once (an agent's own lifecycle events stay in order).
    concurrency: int = 16
    block_ms: int = 1000
    # A single Redis command (other than the blocking read) must answer within this.
    redis_timeout: float = 5.0
    handler_timeout: float = 60.0
    max_retries: int = 3
    # Re-queue delay after a failed handler: retry_delay * 4 ** retry_count seconds.
    retry_delay: float = 0.5
    claim_interval: float = 60.0
    claim_min_idle: float = 300.0
    # Consumers of the group idle this long with nothing pending are deleted.
    consumer_expiry: float = 24 * 3600.0
    backoff_initial: float = 0.1
    backoff_max: float = 5.0
    shutdown_grace: float = 5.0


@dataclass(frozen=True)
class _Route:
    event_cls: type[Event]
    handlers: list[_AnyHandler]


@dataclass
class _Lane:
    """One agent's events, handled one at a time in stream order; dropped when unused."""

    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    users: int = 0


class _Backoff:
    def __init__(self, initial: float, maximum: float) -> None:
        self._initial = initial
        self._maximum = maximum
        self._attempt = 0

    def reset(self) -> None:
        self._attempt = 0

    async def sleep(self) -> None:
        delay = min(self._initial * 2**self._attempt, self._maximum)
        self._attempt += 1
        await asyncio.sleep(delay * (0.5 + random.random() / 2))


def _entry_time(entry_id: bytes | str) -> float:
    """A stream entry id (`<ms>-<seq>`) as seconds since the epoch."""
    text = entry_id.decode() if isinstance(entry_id, bytes) else entry_id
    return int(text.partition("-")[0]) / 1000


def _route_for(routes: dict[str, _Route], event_cls: type[Event]) -> _Route:
    name = getattr(event_cls, "name", None)
    if not isinstance(name, str):
        raise TypeError(f"{event_cls.__name__} has no wire name")
    route = routes.get(name)
    if route is None:
        route = routes[name] = _Route(event_cls, [])
    elif route.event_cls is not event_cls:
        raise TypeError(
            f"{event_cls.__name__} and {route.event_cls.__name__} both claim the name {name!r}"
        )
    return route


class EventDispatcher:
    def __init__(
        self,
        redis: RedisConnection,
        *,
        node_id: str,
        consumer_group: str = "manager",
        consumer_name: str | None = None,
        metrics: ManagerMetrics | None = None,
        options: DispatcherOptions | None = None,
        stream_key: str = EVENT_STREAM,
        channel: str = BROADCAST_CHANNEL,
    ) -> None:
        self._redis = redis
        self._node_id = node_id
        self._group = consumer_group
        self._consumer = consumer_name or f"{node_id}:{os.getpid()}"
        self._metrics = metrics
        self._opts = options or DispatcherOptions()
        self._stream_key = stream_key
        self._channel = channel
        self._anycast_routes: dict[str, _Route] = {}
        self._broadcast_routes: dict[str, _Route] = {}
        self._stopping = asyncio.Event()
        self._reader: asyncio.Task[None] | None = None
        self._background: set[asyncio.Task[None]] = set()
        self._retry_timers: set[asyncio.Task[None]] = set()
        # entries being handled (bounded by `_slots`), and each agent's lane lock
        self._slots = asyncio.Semaphore(self._opts.concurrency)
        self._handling: set[asyncio.Task[None]] = set()
        self._lanes: dict[bytes, _Lane] = {}

    @property
    def consumer_name(self) -> str:
        return self._consumer

    @property
    def consumer_group(self) -> str:
        return self._group

    # --- registration ---------------------------------------------------------------------

    def consume[E: Event](self, event_cls: type[E], handler: EventHandler[E]) -> None:
        """Run `handler(source, event)` for anycast events of this type (one manager each)."""
        _route_for(self._anycast_routes, event_cls).handlers.append(cast(_AnyHandler, handler))

    def subscribe[E: Event](self, event_cls: type[E], handler: EventHandler[E]) -> None:
        """Run `handler(source, event)` for broadcast events of this type (every manager)."""
        _route_for(self._broadcast_routes, event_cls).handlers.append(cast(_AnyHandler, handler))

    # --- lifecycle ------------------------------------------------------------------------

    async def start(self) -> None:
        """Create the consumer group if needed and start reading; raises if Redis is down."""
        if self._reader is not None:
            return
        self._stopping.clear()
        await self._ensure_group()
        self._reader = asyncio.create_task(self._read_loop(), name="event-reader")
        for coro, name in (
            (self._claim_loop(), "event-autoclaim"),
            (self._subscribe_loop(), "event-subscriber"),
        ):
            self._background.add(asyncio.create_task(coro, name=name))

    async def stop(self) -> None:
        """Let the entry in hand finish (within the grace period), then cancel everything.

        Entries read but not handled stay pending and are re-claimed by another manager.
        """
        if self._reader is None:
            return
        self._stopping.set()
        reader, self._reader = self._reader, None
        deadline = asyncio.get_running_loop().time() + self._opts.shutdown_grace
        with contextlib.suppress(TimeoutError, asyncio.CancelledError):
            await asyncio.wait_for(asyncio.shield(reader), self._opts.shutdown_grace)
        if self._handling:
            remaining = max(0.0, deadline - asyncio.get_running_loop().time())
            await asyncio.wait(list(self._handling), timeout=remaining)
        tasks = [reader, *self._background, *self._retry_timers, *self._handling]
        for task in tasks:
            task.cancel()
        results = await asyncio.gather(*tasks, return_exceptions=True)
        for task, result in zip(tasks, results, strict=True):
            if isinstance(result, Exception):
                log.error("event task %s failed: %r", task.get_name(), result)
        self._background.clear()
        self._retry_timers.clear()
        self._handling.clear()
        self._lanes.clear()

    # --- the stream -----------------------------------------------------------------------

    async def backlog_since(self) -> float | None:
        """When (seconds since the epoch) the oldest stream entry that the managers' group has
        not finished handling was produced: the oldest pending entry, or the first one not yet
        delivered. None when the group is caught up, or when Redis cannot say."""
        timeout = self._opts.redis_timeout
        oldest: list[float] = []
        try:
            pending = await redis_call(
                "XPENDING",
                self._redis.xpending(self._stream_key, self._group),  # type: ignore[no-untyped-call]
                timeout,
            )
            if pending and pending.get("pending") and pending.get("min"):
                oldest.append(_entry_time(pending["min"]))
            groups = await redis_call(
                "XINFO GROUPS",
                self._redis.xinfo_groups(self._stream_key),  # type: ignore[no-untyped-call]
                timeout,
            )
            for group in groups:
                name = group.get("name")
                if isinstance(name, bytes):
                    name = name.decode()
                if name != self._group or not group.get("lag"):
                    continue
                last = group.get("last-delivered-id") or b"0-0"
                last_text = last.decode() if isinstance(last, bytes) else str(last)
                following = await redis_call(
                    "XRANGE",
                    self._redis.xrange(self._stream_key, min=f"({last_text}", count=1),
                    timeout,
                )
                if following:
                    oldest.append(_entry_time(following[0][0]))
        except EventBusUnavailable as e:
            log.debug("cannot read the event backlog: %s", e)
            return None
        return min(oldest) if oldest else None

    async def _ensure_group(self) -> None:
        try:
            await redis_call(
                "XGROUP CREATE",
                self._redis.xgroup_create(self._stream_key, self._group, id="$", mkstream=True),
                self._opts.redis_timeout,
            )
        except EventBusUnavailable as e:
            if "BUSYGROUP" not in str(e):
                raise

    async def _read_loop(self) -> None:
        backoff = _Backoff(self._opts.backoff_initial, self._opts.backoff_max)
        while not self._stopping.is_set():
            try:
                entries = await self._read_batch()
            except EventBusUnavailable as e:
                if "NOGROUP" in str(e):
                    log.warning("the consumer group %r vanished; recreating it", self._group)
                    with contextlib.suppress(EventBusUnavailable):
                        await self._ensure_group()
                else:
                    log.warning("reading the event stream failed, retrying: %s", e)
                await backoff.sleep()
                continue
            except Exception:
                log.exception("unexpected error reading the event stream")
                await backoff.sleep()
                continue
            backoff.reset()
            await self._process_batch(entries)

    async def _process_batch(self, entries: Sequence[_StreamEntry]) -> None:
        """Start handling a read's entries and return as soon as there is room for more, so
        the next read does not wait behind a slow handler. At most `concurrency` entries are
        handled at once. Handlers are idempotent and the status tables reject out-of-order
        moves, so only an agent's own `agent_*` events (heartbeats, start, exit) must keep their
        order: those run one after another per agent, across reads too."""
        for entry in entries:
            entry_id, fields = entry
            name = (fields or {}).get(NAME_FIELD.encode(), b"")
            lane = None
            if name.startswith(b"agent_"):
                lane = (fields or {}).get(SOURCE_FIELD.encode(), b"")
            await self._slots.acquire()
            task = asyncio.create_task(self._handle_in_lane(entry_id, fields, lane))
            self._handling.add(task)
            task.add_done_callback(self._handling.discard)

    async def _handle_in_lane(
        self, entry_id: bytes, fields: dict[bytes, bytes] | None, lane: bytes | None
    ) -> None:
        try:
            if lane is None:
                await self._handle_entry(entry_id, fields)
                return
            held = self._lanes.setdefault(lane, _Lane())
            held.users += 1
            try:
                async with held.lock:
                    await self._handle_entry(entry_id, fields)
            finally:
                held.users -= 1
                if not held.users:
                    del self._lanes[lane]
        finally:
            self._slots.release()

    async def _handle_entry(self, entry_id: bytes, fields: dict[bytes, bytes] | None) -> None:
        try:
            await self._process_entry(entry_id.decode(), fields)
        except Exception:
            log.exception("unexpected error handling stream entry %r", entry_id)

    async def drain(self) -> None:
        """Wait until every entry read so far has been handled (tests; shutdown)."""
        while self._handling:
            await asyncio.gather(*list(self._handling), return_exceptions=True)

    async def _read_batch(self) -> Sequence[_StreamEntry]:
        response = await redis_call(
            "XREADGROUP",
            self._redis.xreadgroup(
                self._group,
                self._consumer,
                {self._stream_key: ">"},
                count=self._opts.batch_size,
                block=self._opts.block_ms,
            ),
            self._opts.block_ms / 1000 + self._opts.redis_timeout,
        )
        if not response:
            return []
        # RESP2: [[stream, [(id, fields), ...]]]; RESP3: {stream: [[(id, fields), ...]]}
        if isinstance(response, dict):
            batches = [entries for value in response.values() for entries in value]
        else:
            batches = [entries for _, entries in response]
        return [entry for batch in batches for entry in batch]

    async def _ack(self, entry_id: str) -> None:
        try:
            await redis_call(
                "XACK",
                self._redis.xack(self._stream_key, self._group, entry_id),  # type: ignore[no-untyped-call]
                self._opts.redis_timeout,
            )
        except EventBusUnavailable as e:
            # It stays pending; XAUTOCLAIM hands it out again later, handlers are idempotent.
            log.warning("could not acknowledge event entry %s: %s", entry_id, e)

    async def _requeue(self, entry_id: str, envelope: AnycastEnvelope) -> None:
        """Replace a pending entry by a copy at the stream's end, atomically."""
        retried = envelope.retried(entry_id)
        fields: Any = retried.to_stream_fields()

        async def _run() -> None:
            async with self._redis.pipeline(transaction=True) as pipe:
                pipe.xack(self._stream_key, self._group, entry_id)
                pipe.xadd(self._stream_key, fields, maxlen=STREAM_MAXLEN, approximate=True)
                await pipe.execute()

        await redis_call("XACK+XADD (retry)", _run(), self._opts.redis_timeout)

    async def _requeue_later(self, entry_id: str, envelope: AnycastEnvelope) -> None:
        await asyncio.sleep(self._opts.retry_delay * 4**envelope.retry_count)
        try:
            await self._requeue(entry_id, envelope)
        except EventBusUnavailable as e:
            log.warning("could not re-queue %s (%s); it will be re-claimed", envelope.name, e)

    def _schedule_retry(self, entry_id: str, envelope: AnycastEnvelope) -> None:
        task = asyncio.create_task(
            self._requeue_later(entry_id, envelope), name=f"event-retry-{entry_id}"
        )
        self._retry_timers.add(task)
        task.add_done_callback(self._retry_timers.discard)

    async def _process_entry(self, entry_id: str, fields: dict[bytes, bytes] | None) -> None:
        if fields is None:  # trimmed away while pending
            await self._ack(entry_id)
            return
        try:
            envelope = AnycastEnvelope.from_stream_fields(fields)
        except MalformedEvent as e:
            log.warning("dropping stream entry %s: %s", entry_id, e)
            await self._ack(entry_id)
            return
        route = self._anycast_routes.get(envelope.name)
        if route is None:
            log.debug("ignoring anycast event %s from %s", envelope.name, envelope.source)
            await self._ack(entry_id)
            return
        try:
            event = decode_body(route.event_cls, envelope.payload)
        except MalformedEvent as e:
            log.warning("dropping %s from %s: %s", envelope.name, envelope.source, e)
            self._observe(envelope.name, "anycast", False, 0.0)
            await self._ack(entry_id)
            return
        delivery = Delivery(
            name=envelope.name,
            source=envelope.source,
            kind="anycast",
            produced_at=stream_id_time(envelope.origin_id or entry_id),
            entry_id=entry_id,
            retry_count=envelope.retry_count,
            metadata=envelope.metadata,
        )
        if await self._run_handlers(route, delivery, event):
            await self._ack(entry_id)
        elif envelope.retry_count >= self._opts.max_retries:
            log.error(
                "giving up on %s from %s (entry %s) after %d retries",
                envelope.name,
                envelope.source,
                entry_id,
                envelope.retry_count,
            )
            await self._ack(entry_id)
        else:
            self._schedule_retry(entry_id, envelope)

    async def _run_handlers(self, route: _Route, delivery: Delivery, event: Event) -> bool:
        """Run every handler of the route in order; True if all of them succeeded."""
        all_ok = True
        for handler in route.handlers:
            started = time.perf_counter()
            ok = False
            try:
                with delivery_scope(delivery):
                    async with asyncio.timeout(self._opts.handler_timeout):
                        await handler(delivery.source, event)
                ok = True
            except TimeoutError:
                log.error(
                    "handler %s of %s from %s timed out after %.0f s",
                    getattr(handler, "__qualname__", handler),
                    delivery.name,
                    delivery.source,
                    self._opts.handler_timeout,
                )
            except Exception:
                log.exception(
                    "handler %s of %s from %s failed",
                    getattr(handler, "__qualname__", handler),
                    delivery.name,
                    delivery.source,
                )
            self._observe(delivery.name, delivery.kind, ok, time.perf_counter() - started)
            all_ok = all_ok and ok
        return all_ok

    def _observe(self, name: str, kind: DeliveryKind, ok: bool, duration: float) -> None:
        if self._metrics is not None:
            self._metrics.observe_event(
                event_name=name, delivery=kind, success=ok, duration=duration
            )

    # --- recovery of entries left by dead consumers ---------------------------------------

    async def _claim_loop(self) -> None:
        backoff = _Backoff(self._opts.backoff_initial, self._opts.backoff_max)
        while not self._stopping.is_set():
            try:
                await self.reclaim_idle()
                await self._expire_consumers()
            except EventBusUnavailable as e:
                log.warning("re-claiming idle events failed: %s", e)
                await backoff.sleep()
                continue
            except Exception:
                log.exception("unexpected error re-claiming idle events")
                await backoff.sleep()
                continue
            backoff.reset()
            await asyncio.sleep(self._opts.claim_interval)

    async def reclaim_idle(self) -> int:
        """Re-queue the entries pending longer than `claim_min_idle`; returns how many."""
        start: Any = "0-0"
        handled = 0
        while True:
            response = await redis_call(
                "XAUTOCLAIM",
                self._redis.xautoclaim(
                    self._stream_key,
                    self._group,
                    self._consumer,
                    int(self._opts.claim_min_idle * 1000),
                    start_id=start,
                    count=self._opts.batch_size,
                ),
                self._opts.redis_timeout,
            )
            start, claimed = response[0], response[1]
            for raw_id, fields in claimed:
                await self._retry_claimed(raw_id.decode(), fields)
                handled += 1
            if start in (b"0-0", "0-0"):
                return handled

    async def _retry_claimed(self, entry_id: str, fields: dict[bytes, bytes] | None) -> None:
        if fields is None:
            await self._ack(entry_id)
            return
        try:
            envelope = AnycastEnvelope.from_stream_fields(fields)
        except MalformedEvent as e:
            log.warning("dropping re-claimed stream entry %s: %s", entry_id, e)
            await self._ack(entry_id)
            return
        if envelope.retry_count >= self._opts.max_retries:
            log.error(
                "dropping re-claimed %s (entry %s): too many retries", envelope.name, entry_id
            )
            await self._ack(entry_id)
            return
        log.info("re-queueing %s (entry %s) left pending by a consumer", envelope.name, entry_id)
        await self._requeue(entry_id, envelope)

    async def _expire_consumers(self) -> None:
        consumers = await redis_call(
            "XINFO CONSUMERS",
            self._redis.xinfo_consumers(self._stream_key, self._group),  # type: ignore[no-untyped-call]
            self._opts.redis_timeout,
        )
        expiry_ms = self._opts.consumer_expiry * 1000
        for info in consumers:
            name = info.get("name", info.get(b"name"))
            if isinstance(name, bytes):
                name = name.decode()
            pending = int(info.get("pending", info.get(b"pending", 0)))
            idle = int(info.get("idle", info.get(b"idle", 0)))
            if name != self._consumer and pending == 0 and idle > expiry_ms:
                await redis_call(
                    "XGROUP DELCONSUMER",
                    self._redis.xgroup_delconsumer(  # type: ignore[no-untyped-call]
                        self._stream_key, self._group, name
                    ),
                    self._opts.redis_timeout,
                )

    # --- broadcast ------------------------------------------------------------------------

    async def _subscribe_loop(self) -> None:
        backoff = _Backoff(self._opts.backoff_initial, self._opts.backoff_max)
        while not self._stopping.is_set():
            pubsub = self._redis.pubsub(ignore_subscribe_messages=True)
            try:
                await redis_call(
                    "SUBSCRIBE", pubsub.subscribe(self._channel), self._opts.redis_timeout
                )
                backoff.reset()
                while not self._stopping.is_set():
                    message = await redis_call(
                        "pub/sub read",
                        pubsub.get_message(ignore_subscribe_messages=True, timeout=1.0),
                        1.0 + self._opts.redis_timeout,
                    )
                    if message is not None and message.get("type") == "message":
                        await self._process_broadcast(message["data"])
            except EventBusUnavailable as e:
                log.warning("the event subscription failed, reconnecting: %s", e)
                await backoff.sleep()
            except Exception:
                log.exception("unexpected error in the event subscription")
                await backoff.sleep()
            finally:
                await self._close_pubsub(pubsub)

    async def _close_pubsub(self, pubsub: PubSub) -> None:
        with contextlib.suppress(Exception):
            async with asyncio.timeout(self._opts.redis_timeout):
                await pubsub.aclose()  # type: ignore[attr-defined]

    async def _process_broadcast(self, data: bytes | str) -> None:
        try:
            envelope = BroadcastEnvelope.from_json(data)
        except MalformedEvent as e:
            log.warning("dropping a broadcast message: %s", e)
            return
        route = self._broadcast_routes.get(envelope.name)
        if route is None:
            return
        try:
            event = decode_body(route.event_cls, envelope.payload)
        except MalformedEvent as e:
            log.warning("dropping broadcast %s from %s: %s", envelope.name, envelope.source, e)
            self._observe(envelope.name, "broadcast", False, 0.0)
            return
        delivery = Delivery(
            name=envelope.name,
            source=envelope.source,
            kind="broadcast",
            produced_at=time.time(),
            metadata=envelope.metadata,
        )
        await self._run_handlers(route, delivery, event)
