"""The database engine and the transaction helpers every repository uses."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

from ai.backend.manager.config.local import DatabaseConfig


def _json_serializer(value: Any) -> str:
    return json.dumps(value, default=str)


# Prepared statements kept per connection (asyncpg's own default is 100). Statements with an
# IN list are a new statement for each list length, so a busy manager outgrows 100 and would
# prepare again (an extra round trip) what it ran a moment ago.
PREPARED_STATEMENT_CACHE_SIZE = 1000


def create_engine(
    config: DatabaseConfig, *, application_name: str = "backend.ai-manager"
) -> AsyncEngine:
    """An asyncpg engine with a bounded pool and a server-side statement timeout."""
    url = make_url(config.url()).update_query_dict(
        {"prepared_statement_cache_size": str(PREPARED_STATEMENT_CACHE_SIZE)}
    )
    return create_async_engine(
        url,
        pool_size=config.pool_size,
        max_overflow=config.pool_max_overflow,
        pool_recycle=config.pool_recycle,
        pool_pre_ping=config.pool_pre_ping,
        json_serializer=_json_serializer,
        connect_args={
            "server_settings": {
                "application_name": application_name,
                "statement_timeout": str(int(config.statement_timeout * 1000)),
            },
            "timeout": 10,
        },
    )


@asynccontextmanager
async def begin(engine: AsyncEngine) -> AsyncIterator[AsyncConnection]:
    """A read-write transaction: committed when the block ends, rolled back if it raises."""
    async with engine.begin() as conn:
        yield conn


@asynccontextmanager
async def begin_readonly(engine: AsyncEngine) -> AsyncIterator[AsyncConnection]:
    """A read-only transaction, opened by a single `BEGIN ... READ ONLY` round trip (the
    connection characteristic is reset when the connection goes back to the pool)."""
    async with engine.connect() as conn:
        await conn.execution_options(postgresql_readonly=True)
        try:
            yield conn
        finally:
            await conn.rollback()
