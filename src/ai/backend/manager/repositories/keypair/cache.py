"""A short-lived Redis cache of keypair credentials, shared by every manager process.

Any change to a keypair or its owner must call `invalidate`, so that a deactivated keypair is
refused at once by all processes rather than after the entry expires.
"""

from __future__ import annotations

import json
import logging
import uuid
from dataclasses import asdict

from redis.exceptions import RedisError

from ai.backend.manager.clients.redis.connection import RedisConnection
from ai.backend.manager.data.keypair import KeypairCredential

log = logging.getLogger(__name__)

_KEY_PREFIX = "keypair.credential."


class KeypairCache:
    def __init__(self, redis: RedisConnection, *, ttl: float) -> None:
        self._redis = redis
        self._ttl_ms = int(ttl * 1000)

    @staticmethod
    def _key(access_key: str) -> str:
        return _KEY_PREFIX + access_key

    async def get(self, access_key: str) -> KeypairCredential | None:
        if self._ttl_ms <= 0:
            return None
        try:
            raw = await self._redis.get(self._key(access_key))
        except RedisError as e:
            log.warning("keypair cache read failed, using the database: %s", e)
            return None
        if raw is None:
            return None
        data = json.loads(raw)
        data["user_uuid"] = uuid.UUID(data["user_uuid"])
        return KeypairCredential(**data)

    async def put(self, credential: KeypairCredential) -> None:
        if self._ttl_ms <= 0:
            return
        data = asdict(credential)
        data["user_uuid"] = str(credential.user_uuid)
        try:
            await self._redis.set(
                self._key(credential.access_key), json.dumps(data), px=self._ttl_ms
            )
        except RedisError as e:
            log.warning("keypair cache write failed: %s", e)

    async def invalidate(self, *access_keys: str) -> None:
        if not access_keys:
            return
        await self._redis.delete(*(self._key(ak) for ak in access_keys))
