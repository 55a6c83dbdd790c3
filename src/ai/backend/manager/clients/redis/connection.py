"""Open Redis clients for the logical databases the manager uses."""

from __future__ import annotations

from redis.asyncio import Redis

from ai.backend.manager.config.shared import RedisConfig

# The `types-redis` stubs that backend.ai-common pulls in are older than redis-py 5+, which
# is typed inline; the stubs still win in mypy, hence the annotations and ignores below.
type RedisConnection = Redis[bytes]


def open_redis(config: RedisConfig, db: int) -> RedisConnection:
    return Redis(
        host=config.addr.host,
        port=config.addr.port,
        db=db,
        password=config.password,
        socket_timeout=config.redis_helper_config.socket_timeout,
        socket_connect_timeout=config.redis_helper_config.socket_connect_timeout,
        health_check_interval=30,
    )


async def close_redis(redis: RedisConnection) -> None:
    await redis.aclose()  # type: ignore[attr-defined]
