"""Alembic environment for the manager schema (async engine, asyncpg).

Where the database comes from, in order:
1. `config.attributes["connection"]`: a (sync-facing) connection handed over by the caller, e.g.
   `repositories.schema` running alembic inside `AsyncConnection.run_sync`;
2. `sqlalchemy.url` of alembic.ini (`postgresql://...` is used with the asyncpg driver).
"""

from __future__ import annotations

import asyncio
import logging.config
from typing import Any, Literal

import sqlalchemy as sa
from alembic import context
from alembic.autogenerate.api import AutogenContext
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine

from ai.backend.manager.models import metadata

config = context.config
target_metadata = metadata

if config.config_file_name is not None and config.file_config.has_section("loggers"):
    logging.config.fileConfig(config.config_file_name, disable_existing_loggers=False)


def _async_url(url: str) -> str:
    for prefix in ("postgresql://", "postgres://", "postgresql+psycopg2://"):
        if url.startswith(prefix):
            return "postgresql+asyncpg://" + url[len(prefix) :]
    return url


def _database_url() -> str:
    url = config.get_main_option("sqlalchemy.url")
    if not url:
        raise RuntimeError(
            "no database to migrate: set sqlalchemy.url in alembic.ini "
            "or pass a connection in config.attributes['connection']"
        )
    return _async_url(url)


def _render_item(type_: str, obj: Any, autogen_context: AutogenContext) -> str | Literal[False]:
    """Render our column types (TypeDecorators) as the plain types they store, so that
    generated migrations never import the application's model code."""
    if type_ == "type" and isinstance(obj, sa.types.TypeDecorator):
        from alembic.autogenerate.render import _repr_type

        return _repr_type(obj.impl_instance, autogen_context)
    return False


def _configure(**kwargs: Any) -> None:
    context.configure(
        target_metadata=target_metadata,
        compare_type=True,
        render_item=_render_item,
        **kwargs,
    )


def run_migrations_offline() -> None:
    _configure(url=_database_url(), literal_binds=True, dialect_opts={"paramstyle": "named"})
    with context.begin_transaction():
        context.run_migrations()


def _run_with_connection(connection: Connection) -> None:
    _configure(connection=connection)
    with context.begin_transaction():
        context.run_migrations()


async def _run_async() -> None:
    engine = create_async_engine(_database_url(), poolclass=sa.pool.NullPool)
    try:
        async with engine.connect() as conn:
            await conn.run_sync(_run_with_connection)
            await conn.commit()
    finally:
        await engine.dispose()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run_with_connection(connection)
    else:
        asyncio.run(_run_async())


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
