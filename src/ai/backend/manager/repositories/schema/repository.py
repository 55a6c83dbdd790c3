"""Create, inspect and migrate the database schema (alembic driven over an async engine)."""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from ai.backend.manager.config.local import DatabaseConfig
from ai.backend.manager.models import metadata
from ai.backend.manager.repositories.db import create_engine

# The repository's top-level `alembic/` directory (the package is installed in editable mode).
ALEMBIC_SCRIPT_DIR = Path(__file__).resolve().parents[6] / "alembic"
ALEMBIC_VERSION_TABLE = "alembic_version"
# Serialises concurrent `oneshot`s against one database (any constant unique to this purpose).
_SCHEMA_LOCK_KEY = 0x6261_692D_7363_6D61  # "bai-scma"
# SQLSTATE of "database does not exist".
_INVALID_CATALOG_NAME = "3D000"


class SchemaError(Exception):
    """A schema operation that cannot proceed; the message is one line."""


class SchemaAlreadyExists(SchemaError):
    def __init__(self, database: str, revision: str | None, tables: list[str]) -> None:
        self.database = database
        self.revision = revision
        self.tables = tables
        what = f"revision {revision}" if revision else f"{len(tables)} tables, no revision"
        super().__init__(f"the database {database} already has a schema ({what})")


class AlembicScriptsNotFound(SchemaError):
    pass


class DatabaseUnreachable(SchemaError):
    """PostgreSQL could not be reached or refused us (network, authentication, ...)."""

    def __init__(self, where: str, reason: str) -> None:
        self.where = where
        self.reason = reason
        super().__init__(f"cannot connect to PostgreSQL at {where}: {reason}")


class DatabaseNotFound(SchemaError):
    """The server answered, but the configured database does not exist."""

    def __init__(self, where: str, database: str) -> None:
        self.where = where
        self.database = database
        super().__init__(f'the database "{database}" does not exist on PostgreSQL at {where}')


@dataclass(frozen=True)
class SchemaStatus:
    current: str | None
    head: str

    @property
    def up_to_date(self) -> bool:
        return self.current == self.head


# --- connections ------------------------------------------------------------------------------


def _describe_location(engine: AsyncEngine) -> str:
    url = engine.url
    return f"{url.host or 'localhost'}:{url.port or 5432}/{url.database or ''}"


def _connect_failure_reason(exc: BaseException) -> str:
    if isinstance(exc, ConnectionRefusedError):
        return "connection refused"
    if isinstance(exc, socket.gaierror):
        return f"unknown host ({exc.strerror})"
    if isinstance(exc, TimeoutError):
        return "timed out"
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


def translate_connect_error(engine: AsyncEngine, exc: BaseException) -> SchemaError | None:
    """Turn an error raised while opening a connection into a typed, one-line error."""
    root: BaseException = exc
    if isinstance(exc, DBAPIError) and exc.orig is not None:
        root = exc.orig.__cause__ or exc.orig
    where = _describe_location(engine)
    sqlstate = getattr(root, "sqlstate", None)  # asyncpg's server-side errors carry one
    if sqlstate == _INVALID_CATALOG_NAME:
        return DatabaseNotFound(where.rsplit("/", 1)[0], engine.url.database or "")
    from_driver = type(root).__module__.startswith("asyncpg")
    if isinstance(root, OSError) or sqlstate is not None or from_driver:
        return DatabaseUnreachable(where, _connect_failure_reason(root))
    return None


async def open_connection(engine: AsyncEngine) -> AsyncConnection:
    """Open a connection, raising DatabaseUnreachable / DatabaseNotFound on failure."""
    try:
        return await engine.connect()
    except Exception as e:
        translated = translate_connect_error(engine, e)
        if translated is None:
            raise
        raise translated from e


@asynccontextmanager
async def connect(engine: AsyncEngine) -> AsyncIterator[AsyncConnection]:
    conn = await open_connection(engine)
    try:
        yield conn
    finally:
        await conn.close()


@asynccontextmanager
async def transaction(engine: AsyncEngine) -> AsyncIterator[AsyncConnection]:
    """One transaction: committed if the block succeeds, rolled back otherwise."""
    async with connect(engine) as conn, conn.begin():
        yield conn


async def database_exists(config: DatabaseConfig) -> bool:
    """Whether the configured database exists (asks the `postgres` maintenance database)."""
    engine = create_engine(config.model_copy(update={"name": "postgres"}))
    try:
        async with connect(engine) as conn:
            found = await conn.scalar(
                sa.text("SELECT 1 FROM pg_database WHERE datname = :name"),
                {"name": config.name},
            )
            return found is not None
    finally:
        await engine.dispose()


async def create_database(config: DatabaseConfig) -> None:
    """CREATE DATABASE for the configured name (owned by the configured user)."""
    engine = create_engine(config.model_copy(update={"name": "postgres"}))
    try:
        async with connect(engine) as conn:
            autocommit = await conn.execution_options(isolation_level="AUTOCOMMIT")
            quoted = engine.dialect.identifier_preparer.quote(config.name)
            await autocommit.exec_driver_sql(f"CREATE DATABASE {quoted}")
    finally:
        await engine.dispose()


# --- alembic ----------------------------------------------------------------------------------


def alembic_config(alembic_ini: Path | None = None, connection: Connection | None = None) -> Config:
    """The alembic configuration: the given ini file, or our own scripts directory.

    A `connection` is handed to env.py through `config.attributes["connection"]` and then wins
    over any `sqlalchemy.url` of the ini file.
    """
    if alembic_ini is not None:
        if not alembic_ini.is_file():
            raise AlembicScriptsNotFound(f"alembic config not found: {alembic_ini}")
        config = Config(str(alembic_ini))
        if not config.get_main_option("script_location"):
            config.set_main_option("script_location", str(ALEMBIC_SCRIPT_DIR))
    else:
        if not (ALEMBIC_SCRIPT_DIR / "env.py").is_file():
            raise AlembicScriptsNotFound(
                f"alembic scripts not found at {ALEMBIC_SCRIPT_DIR}; pass an alembic.ini"
            )
        config = Config()
        config.set_main_option("script_location", str(ALEMBIC_SCRIPT_DIR))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def head_revision(alembic_ini: Path | None = None) -> str:
    """The newest revision of the migration scripts."""
    script = ScriptDirectory.from_config(alembic_config(alembic_ini))
    heads = script.get_heads()
    if len(heads) != 1:
        raise SchemaError(f"the migration scripts have {len(heads)} heads: {', '.join(heads)}")
    return heads[0]


def _current_revision_sync(conn: Connection) -> str | None:
    if not sa.inspect(conn).has_table(ALEMBIC_VERSION_TABLE):
        return None
    return MigrationContext.configure(conn).get_current_revision()


def _existing_tables_sync(conn: Connection) -> list[str]:
    present = set(sa.inspect(conn).get_table_names())
    ours = {ALEMBIC_VERSION_TABLE, *metadata.tables}
    return sorted(present & ours)


async def current_revision(engine: AsyncEngine) -> str | None:
    """The revision the database is stamped with; None when it has no schema yet."""
    async with connect(engine) as conn:
        return await conn.run_sync(_current_revision_sync)


async def schema_status(engine: AsyncEngine, alembic_ini: Path | None = None) -> SchemaStatus:
    return SchemaStatus(current=await current_revision(engine), head=head_revision(alembic_ini))


def _run_alembic(
    alembic_ini: Path | None, action: Callable[[Config], Any]
) -> Callable[[Connection], None]:
    def _run(conn: Connection) -> None:
        action(alembic_config(alembic_ini, connection=conn))

    return _run


async def schema_oneshot(engine: AsyncEngine, *, alembic_ini: Path | None = None) -> str:
    """Create every table on an empty database and stamp it with the head revision.

    All of it happens in one transaction; a database that already has an `alembic_version`
    table or any of our tables is left untouched (SchemaAlreadyExists).
    """
    head = head_revision(alembic_ini)
    async with transaction(engine) as conn:
        await conn.execute(sa.select(sa.func.pg_advisory_xact_lock(_SCHEMA_LOCK_KEY)))
        existing = await conn.run_sync(_existing_tables_sync)
        if existing:
            revision = await conn.run_sync(_current_revision_sync)
            raise SchemaAlreadyExists(engine.url.database or "", revision, existing)
        await conn.run_sync(metadata.create_all)
        await conn.run_sync(_run_alembic(alembic_ini, lambda cfg: command.stamp(cfg, head)))
    return head


async def upgrade(
    engine: AsyncEngine, target: str = "head", *, alembic_ini: Path | None = None
) -> None:
    """Apply the migrations up to `target`, in one transaction."""
    async with transaction(engine) as conn:
        await conn.execute(sa.select(sa.func.pg_advisory_xact_lock(_SCHEMA_LOCK_KEY)))
        await conn.run_sync(_run_alembic(alembic_ini, lambda cfg: command.upgrade(cfg, target)))


async def downgrade(engine: AsyncEngine, target: str, *, alembic_ini: Path | None = None) -> None:
    """Revert the migrations down to `target` (`base` removes the whole schema)."""
    async with transaction(engine) as conn:
        await conn.execute(sa.select(sa.func.pg_advisory_xact_lock(_SCHEMA_LOCK_KEY)))
        await conn.run_sync(_run_alembic(alembic_ini, lambda cfg: command.downgrade(cfg, target)))
