"""Putting events on the bus: anycast to one manager, broadcast to every manager and agent."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Sequence
from typing import Any, Final

from redis.exceptions import RedisError

from ai.backend.manager.clients.redis.connection import RedisConnection
from ai.backend.manager.errors.event import EventBusUnavailable, MalformedEvent
from ai.backend.manager.events.base import Event
from ai.backend.manager.events.envelope import AnycastEnvelope, BroadcastEnvelope, EventMetadata

log = logging.getLogger(__name__)

EVENT_STREAM: Final = "events"
BROADCAST_CHANNEL: Final = "events_all"
# Approximate trimming keeps the stream near this many entries.
STREAM_MAXLEN: Final = 128
BROADCAST_CACHE_TTL: Final = 300


async def redis_call[T](what: str, call: Awaitable[T], deadline: float) -> T:
    """Await one Redis command for at most `deadline` s; any failure is EventBusUnavailable."""
    try:
        async with asyncio.timeout(deadline):
            return await call
    except TimeoutError:
        raise EventBusUnavailable(f"Redis did not answer {what} within {deadline:.1f} s") from None
    except (RedisError, OSError) as e:
        raise EventBusUnavailable(f"Redis refused {what}: {e}") from None


class EventProducer:
    """Writes events to the stream DB (4): `XADD events` and `PUBLISH events_all`."""

    def __init__(
        self,
        redis: RedisConnection,
        *,
        timeout: float = 5.0,
        stream_key: str = EVENT_STREAM,
        channel: str = BROADCAST_CHANNEL,
        maxlen: int = STREAM_MAXLEN,
    ) -> None:
        self._redis = redis
        self._timeout = timeout
        self._stream_key = stream_key
        self._channel = channel
        self._maxlen = maxlen

    async def anycast(
        self, event: Event, *, source: str, metadata: EventMetadata | None = None
    ) -> str:
        """Append to the stream for exactly one consumer; returns the entry id."""
        return await self.anycast_envelope(
            AnycastEnvelope.of(event, source=source, metadata=metadata)
        )

    async def anycast_envelope(self, envelope: AnycastEnvelope) -> str:
        fields: Any = envelope.to_stream_fields()
        entry_id = await redis_call(
            f"XADD {envelope.name}",
            self._redis.xadd(self._stream_key, fields, maxlen=self._maxlen, approximate=True),
            self._timeout,
        )
        return entry_id.decode() if isinstance(entry_id, bytes) else str(entry_id)

    async def broadcast(
        self, event: Event, *, source: str, metadata: EventMetadata | None = None
    ) -> None:
        """Publish to every subscriber (managers and agents) of `events_all`."""
        message = BroadcastEnvelope.of(event, source=source, metadata=metadata).to_json()
        await redis_call(
            f"PUBLISH {event.name}", self._redis.publish(self._channel, message), self._timeout
        )

    async def broadcast_many(self, events: Sequence[Event], *, source: str) -> None:
        """Publish several events to `events_all` in one round trip (a pipeline, in order)."""
        if not events:
            return
        messages = [BroadcastEnvelope.of(e, source=source).to_json() for e in events]

        async def _run() -> None:
            async with self._redis.pipeline(transaction=False) as pipe:
                for message in messages:
                    pipe.publish(self._channel, message)
                await pipe.execute()

        await redis_call(f"PUBLISH x{len(messages)}", _run(), self._timeout)

    async def broadcast_with_cache(
        self,
        event: Event,
        *,
        source: str,
        cache_id: str,
        ttl: int = BROADCAST_CACHE_TTL,
        metadata: EventMetadata | None = None,
    ) -> None:
        """Publish, and keep the message under `cache_id` for `ttl` s for late subscribers.

        Both happen in one MULTI/EXEC so a reader never sees one without the other.
        """
        message = BroadcastEnvelope.of(event, source=source, metadata=metadata).to_json()

        async def _run() -> None:
            async with self._redis.pipeline(transaction=True) as pipe:
                pipe.set(cache_id, message, ex=ttl)
                pipe.publish(self._channel, message)
                await pipe.execute()

        await redis_call(f"SET+PUBLISH {event.name}", _run(), self._timeout)

    async def refresh_cached(self, cache_ids: Sequence[str], ttl: int) -> None:
        """Keep the cached messages `cache_ids` for another `ttl` s (missing ones stay missing)."""
        if not cache_ids:
            return

        async def _run() -> None:
            async with self._redis.pipeline(transaction=False) as pipe:
                for cache_id in cache_ids:
                    pipe.expire(cache_id, ttl)
                await pipe.execute()

        await redis_call(f"EXPIRE x{len(cache_ids)}", _run(), self._timeout)

    async def fetch_cached(self, cache_id: str) -> BroadcastEnvelope | None:
        """The last message broadcast with `cache_id`, if it has not expired."""
        raw = await redis_call(f"GET {cache_id}", self._redis.get(cache_id), self._timeout)
        if raw is None:
            return None
        try:
            return BroadcastEnvelope.from_json(raw)
        except MalformedEvent as e:
            log.warning("ignoring the unreadable cached event %s: %s", cache_id, e)
            return None
