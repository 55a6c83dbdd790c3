"""A short-lived cache of keypair credentials: shared by every manager process in Redis, with a
small copy in each process in front of it.

Any change to a keypair or its owner must call `invalidate`, so that a deactivated keypair is
refused at once by all processes rather than after the entry expires: the Redis entries are
deleted and every process is told, on a Redis pub/sub channel, to drop its copies. A process
keeps copies only while it listens to that channel; when the listener loses Redis it drops them
all and reads Redis again until it is back.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
import uuid
from collections import OrderedDict
from dataclasses import asdict

from redis.exceptions import RedisError

from ai.backend.manager.clients.redis.connection import RedisConnection
from ai.backend.manager.data.keypair import KeypairCredential

log = logging.getLogger(__name__)

_KEY_PREFIX = "keypair.credential."
# pub/sub channels are server-wide: any manager on this Redis drops what it is told to
INVALIDATION_CHANNEL = "keypair.credential.invalidated"
_LOCAL_MAX = 10_000


class KeypairCache:
    def __init__(self, redis: RedisConnection, *, ttl: float, local_ttl: float = 5.0) -> None:
        self._redis = redis
        self._ttl_ms = int(ttl * 1000)
        self._local_ttl = min(local_ttl, ttl)
        self._local: OrderedDict[str, tuple[float, KeypairCredential]] = OrderedDict()
        # counts invalidations heard: a copy read before one arrived is not kept
        self._generation = 0
        self._listening = asyncio.Event()
        self._listener: asyncio.Task[None] | None = None

    @staticmethod
    def _key(access_key: str) -> str:
        return _KEY_PREFIX + access_key

    # --- the copies in this process -----------------------------------------------------------

    def _local_get(self, access_key: str) -> KeypairCredential | None:
        if not self._listening.is_set():
            return None
        found = self._local.get(access_key)
        if found is None:
            return None
        expires, credential = found
        if time.monotonic() >= expires:
            del self._local[access_key]
            return None
        return credential

    def _local_put(self, credential: KeypairCredential, generation: int) -> None:
        if not self._listening.is_set() or self._local_ttl <= 0:
            return
        if generation != self._generation:
            return  # an invalidation arrived meanwhile: this copy may be stale
        self._local[credential.access_key] = (time.monotonic() + self._local_ttl, credential)
        self._local.move_to_end(credential.access_key)
        while len(self._local) > _LOCAL_MAX:
            self._local.popitem(last=False)

    def _local_drop(self, access_keys: list[str]) -> None:
        self._generation += 1
        for access_key in access_keys:
            self._local.pop(access_key, None)

    def start(self) -> None:
        """Listen for invalidations (and keep copies in this process) until `stop`."""
        if self._listener is None and self._local_ttl > 0 and self._ttl_ms > 0:
            self._listener = asyncio.create_task(self._listen(), name="keypair-cache-listener")

    async def stop(self) -> None:
        if self._listener is not None:
            self._listener.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._listener
            self._listener = None
        self._listening.clear()
        self._local.clear()

    @property
    def listening(self) -> bool:
        """Whether this process keeps copies (it hears invalidations)."""
        return self._listening.is_set()

    async def wait_listening(self) -> None:
        await self._listening.wait()

    async def _listen(self) -> None:
        while True:
            pubsub = self._redis.pubsub()
            try:
                await pubsub.subscribe(INVALIDATION_CHANNEL)
                self._listening.set()
                async for message in pubsub.listen():
                    if message.get("type") != "message":
                        continue
                    try:
                        access_keys = json.loads(message["data"])
                    except (TypeError, ValueError):
                        continue
                    if isinstance(access_keys, list):
                        self._local_drop([str(ak) for ak in access_keys])
            except (RedisError, OSError) as e:
                log.warning("keypair cache: invalidation channel lost (%s); retrying", e)
            finally:
                # without the channel, a copy here could outlive a change made elsewhere
                self._listening.clear()
                self._local.clear()
                with contextlib.suppress(Exception):
                    await pubsub.aclose()  # type: ignore[attr-defined]
            await asyncio.sleep(1.0)

    # --- the shared cache ---------------------------------------------------------------------

    async def get(self, access_key: str) -> KeypairCredential | None:
        if self._ttl_ms <= 0:
            return None
        local = self._local_get(access_key)
        if local is not None:
            return local
        generation = self._generation
        try:
            raw = await self._redis.get(self._key(access_key))
        except RedisError as e:
            log.warning("keypair cache read failed, using the database: %s", e)
            return None
        if raw is None:
            return None
        data = json.loads(raw)
        data["user_uuid"] = uuid.UUID(data["user_uuid"])
        credential = KeypairCredential(**data)
        self._local_put(credential, generation)
        return credential

    async def put(self, credential: KeypairCredential) -> None:
        if self._ttl_ms <= 0:
            return
        generation = self._generation
        data = asdict(credential)
        data["user_uuid"] = str(credential.user_uuid)
        try:
            await self._redis.set(
                self._key(credential.access_key), json.dumps(data), px=self._ttl_ms
            )
        except RedisError as e:
            log.warning("keypair cache write failed: %s", e)
            return
        self._local_put(credential, generation)

    async def invalidate(self, *access_keys: str) -> None:
        if not access_keys:
            return
        self._local_drop(list(access_keys))
        await self._redis.delete(*(self._key(ak) for ak in access_keys))
        await self._redis.publish(INVALIDATION_CHANNEL, json.dumps(list(access_keys)))
