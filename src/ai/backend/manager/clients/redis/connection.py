"""Open Redis clients for the logical databases the manager uses."""

from __future__ import annotations

from redis.asyncio import Redis

from ai.backend.manager.config.shared import RedisConfig


def open_redis(config: RedisConfig, db: int) -> Redis:
    return Redis(
        host=config.addr.host,
        port=config.addr.port,
        db=db,
        password=config.password,
        socket_timeout=config.redis_helper_config.socket_timeout,
        socket_connect_timeout=config.redis_helper_config.socket_connect_timeout,
        health_check_interval=30,
    )
