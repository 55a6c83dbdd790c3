"""The schema: oneshot creation, revisions, migrations and the `schema` CLI commands."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import asyncpg
import pytest
import pytest_asyncio
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from click.testing import CliRunner, Result
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

from ai.backend.manager.cli.__main__ import main as mgr_cli
from ai.backend.manager.config.local import DatabaseConfig, HostPort
from ai.backend.manager.models import metadata
from ai.backend.manager.repositories.db import create_engine
from ai.backend.manager.repositories.schema import (
    DatabaseNotFound,
    DatabaseUnreachable,
    SchemaAlreadyExists,
    current_revision,
    downgrade,
    head_revision,
    schema_oneshot,
    upgrade,
)

pytestmark = pytest.mark.integration

# Every table data-model.md describes for this implementation.
EXPECTED_TABLES = {
    "domains",
    "groups",
    "association_groups_users",
    "users",
    "keypairs",
    "keypair_resource_policies",
    "user_resource_policies",
    "project_resource_policies",
    "resource_presets",
    "resource_slot_types",
    "scaling_groups",
    "sgroups_for_domains",
    "sgroups_for_groups",
    "sgroups_for_keypairs",
    "agents",
    "agent_resources",
    "agent_installed_images",
    "sessions",
    "session_dependencies",
    "kernels",
    "resource_allocations",
    "images",
    "image_aliases",
    "container_registries",
    "vfolders",
    "vfolder_permissions",
    "vfolder_invitations",
}
EXPECTED_ENUM_TYPES = {"agentstatus", "defaultforunspecified", "imagetype"}


@pytest_asyncio.fixture
async def engine(empty_database: DatabaseConfig) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(empty_database)
    try:
        yield engine
    finally:
        await engine.dispose()


@pytest_asyncio.fixture
async def second_database(
    pg_admin_dsn: str, empty_database: DatabaseConfig
) -> AsyncIterator[DatabaseConfig]:
    """Another empty database next to `empty_database`, dropped afterwards."""
    name = f"test_mgr_second_{secrets.token_hex(4)}"
    conn = await asyncpg.connect(pg_admin_dsn)
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    try:
        yield empty_database.model_copy(update={"name": name})
    finally:
        conn = await asyncpg.connect(pg_admin_dsn)
        try:
            await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await conn.close()


async def _table_names(engine: AsyncEngine) -> set[str]:
    async with engine.connect() as conn:
        return set(await conn.run_sync(lambda c: sa.inspect(c).get_table_names()))


async def _enum_types(engine: AsyncEngine) -> set[str]:
    async with engine.connect() as conn:
        rows = await conn.execute(sa.text("SELECT typname FROM pg_type WHERE typtype = 'e'"))
        return {r[0] for r in rows}


def _diff_against_metadata(conn: Connection) -> list[Any]:
    context = MigrationContext.configure(
        conn, opts={"compare_type": True, "compare_server_default": True}
    )
    return list(compare_metadata(context, metadata))


_CATALOG_QUERIES = {
    "columns": """
        SELECT table_name, column_name, data_type, udt_name, is_nullable, column_default,
               character_maximum_length, numeric_precision, numeric_scale
        FROM information_schema.columns WHERE table_schema = 'public'
    """,
    "constraints": """
        SELECT conrelid::regclass::text, conname, contype, pg_get_constraintdef(oid)
        FROM pg_constraint WHERE connamespace = 'public'::regnamespace
    """,
    "indexes": "SELECT tablename, indexname, indexdef FROM pg_indexes WHERE schemaname = 'public'",
    "enums": """
        SELECT t.typname, e.enumlabel, e.enumsortorder
        FROM pg_type t JOIN pg_enum e ON e.enumtypid = t.oid
    """,
}


async def _catalog(engine: AsyncEngine) -> dict[str, set[tuple[Any, ...]]]:
    """What PostgreSQL itself says the schema is (columns, constraints, indexes, enums)."""
    snapshot: dict[str, set[tuple[Any, ...]]] = {}
    async with engine.connect() as conn:
        for name, query in _CATALOG_QUERIES.items():
            snapshot[name] = {tuple(r) for r in await conn.execute(sa.text(query))}
    return snapshot


# --- the repository API ------------------------------------------------------------------------


async def test_current_revision_is_none_without_a_schema(engine: AsyncEngine) -> None:
    assert await current_revision(engine) is None


async def test_oneshot_creates_every_table_and_stamps_head(engine: AsyncEngine) -> None:
    revision = await schema_oneshot(engine)

    assert revision == head_revision()
    assert await current_revision(engine) == revision
    tables = await _table_names(engine)
    assert tables >= EXPECTED_TABLES
    assert tables == {*metadata.tables, "alembic_version"}
    assert await _enum_types(engine) >= EXPECTED_ENUM_TYPES


async def test_oneshot_schema_equals_metadata(engine: AsyncEngine) -> None:
    await schema_oneshot(engine)
    async with engine.connect() as conn:
        assert await conn.run_sync(_diff_against_metadata) == []


async def test_migrations_from_empty_equal_metadata(engine: AsyncEngine) -> None:
    await upgrade(engine)

    assert await current_revision(engine) == head_revision()
    async with engine.connect() as conn:
        assert await conn.run_sync(_diff_against_metadata) == []


async def test_migrations_and_oneshot_build_identical_catalogs(
    engine: AsyncEngine, second_database: DatabaseConfig
) -> None:
    migrated = create_engine(second_database)
    try:
        await schema_oneshot(engine)
        await upgrade(migrated)
        assert await _catalog(engine) == await _catalog(migrated)
    finally:
        await migrated.dispose()


async def test_second_oneshot_refuses_and_changes_nothing(engine: AsyncEngine) -> None:
    head = await schema_oneshot(engine)
    async with engine.begin() as conn:
        await conn.execute(
            sa.text(
                "INSERT INTO domains (name, total_resource_slots, allowed_vfolder_hosts) "
                "VALUES ('kept', '{}', '{}')"
            )
        )
    before = await _catalog(engine)

    with pytest.raises(SchemaAlreadyExists) as exc_info:
        await schema_oneshot(engine)

    assert exc_info.value.revision == head
    assert head in str(exc_info.value)
    assert await _catalog(engine) == before
    async with engine.connect() as conn:
        assert await conn.scalar(sa.text("SELECT count(*) FROM domains")) == 1


async def test_oneshot_refuses_when_some_table_exists_without_revision(
    engine: AsyncEngine,
) -> None:
    async with engine.begin() as conn:
        await conn.execute(sa.text("CREATE TABLE users (x int)"))

    with pytest.raises(SchemaAlreadyExists) as exc_info:
        await schema_oneshot(engine)

    assert exc_info.value.revision is None
    assert exc_info.value.tables == ["users"]
    assert await _table_names(engine) == {"users"}


async def test_upgrade_is_a_no_op_at_head(engine: AsyncEngine) -> None:
    await schema_oneshot(engine)
    before = await _catalog(engine)

    await upgrade(engine)

    assert await current_revision(engine) == head_revision()
    assert await _catalog(engine) == before


async def test_downgrade_to_base_removes_tables_and_enum_types(engine: AsyncEngine) -> None:
    await upgrade(engine)

    await downgrade(engine, "base")

    assert await current_revision(engine) is None
    assert await _table_names(engine) <= {"alembic_version"}
    assert not (await _enum_types(engine) & EXPECTED_ENUM_TYPES)


async def test_missing_database_is_reported_as_such(empty_database: DatabaseConfig) -> None:
    missing = empty_database.model_copy(update={"name": f"{empty_database.name}_missing"})
    engine = create_engine(missing)
    try:
        with pytest.raises(DatabaseNotFound) as exc_info:
            await current_revision(engine)
    finally:
        await engine.dispose()
    assert missing.name in str(exc_info.value)


async def test_unreachable_server_is_one_clear_error(empty_database: DatabaseConfig) -> None:
    closed = empty_database.model_copy(update={"addr": HostPort(host="127.0.0.1", port=1)})
    engine = create_engine(closed)
    try:
        with pytest.raises(DatabaseUnreachable) as exc_info:
            await current_revision(engine)
    finally:
        await engine.dispose()
    message = str(exc_info.value)
    assert message.startswith(f"cannot connect to PostgreSQL at 127.0.0.1:1/{closed.name}: ")
    assert "\n" not in message


# --- the CLI -----------------------------------------------------------------------------------


def write_db_toml(path: Path, db: DatabaseConfig) -> Path:
    path.write_text(
        f"""
[etcd]
namespace = "unused"

[db]
addr = {{ host = "{db.addr.host}", port = {db.addr.port} }}
name = "{db.name}"
user = "{db.user}"
password = "{db.password}"
"""
    )
    return path


def run_cli(toml: Path, *args: str) -> Result:
    return CliRunner().invoke(mgr_cli, ["-f", str(toml), *args], catch_exceptions=False)


def _error_line(result: Result) -> str:
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("Error: ")
    return lines[0]


def test_cli_oneshot_current_show_upgrade(empty_database: DatabaseConfig, tmp_path: Path) -> None:
    toml = write_db_toml(tmp_path / "manager.toml", empty_database)
    head = head_revision()

    result = run_cli(toml, "schema", "current")
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == "(none)"

    result = run_cli(toml, "schema", "oneshot")
    assert result.exit_code == 0, result.output
    assert head in result.stdout

    result = run_cli(toml, "schema", "current")
    assert result.exit_code == 0
    assert result.stdout.strip() == head

    result = run_cli(toml, "schema", "show")
    assert result.exit_code == 0
    assert f"current:  {head}" in result.stdout
    assert f"head:     {head}" in result.stdout
    assert "up to date" in result.stdout

    result = run_cli(toml, "schema", "upgrade")
    assert result.exit_code == 0
    assert "nothing to do" in result.stdout


def test_cli_second_oneshot_fails_with_one_line(
    empty_database: DatabaseConfig, tmp_path: Path
) -> None:
    toml = write_db_toml(tmp_path / "manager.toml", empty_database)
    assert run_cli(toml, "schema", "oneshot").exit_code == 0

    result = run_cli(toml, "schema", "oneshot")

    assert result.exit_code == 1
    line = _error_line(result)
    assert empty_database.name in line
    assert head_revision() in line
    assert "schema upgrade" in line
    assert "Traceback" not in result.output


def test_cli_upgrade_builds_the_schema_on_an_empty_database(
    empty_database: DatabaseConfig, tmp_path: Path
) -> None:
    toml = write_db_toml(tmp_path / "manager.toml", empty_database)

    result = run_cli(toml, "schema", "upgrade")

    assert result.exit_code == 0, result.output
    assert f"from (none) to {head_revision()}" in result.stdout
    assert run_cli(toml, "schema", "current").stdout.strip() == head_revision()


def test_cli_upgrade_to_an_unknown_revision_fails_cleanly(
    empty_database: DatabaseConfig, tmp_path: Path
) -> None:
    toml = write_db_toml(tmp_path / "manager.toml", empty_database)
    result = run_cli(toml, "schema", "upgrade", "deadbeef0000")
    assert result.exit_code == 1
    assert "deadbeef0000" in _error_line(result)


def test_cli_unreachable_database(empty_database: DatabaseConfig, tmp_path: Path) -> None:
    closed = empty_database.model_copy(update={"addr": HostPort(host="127.0.0.1", port=1)})
    toml = write_db_toml(tmp_path / "manager.toml", closed)

    for command in (["schema", "current"], ["schema", "oneshot"], ["schema", "show"]):
        result = run_cli(toml, *command)
        assert result.exit_code == 1, command
        line = _error_line(result)
        assert line.startswith(f"Error: cannot connect to PostgreSQL at 127.0.0.1:1/{closed.name}")


def test_cli_missing_database_and_create_db(
    empty_database: DatabaseConfig, pg_admin_dsn: str, tmp_path: Path
) -> None:
    missing = empty_database.model_copy(update={"name": f"{empty_database.name}_new"})
    toml = write_db_toml(tmp_path / "manager.toml", missing)
    try:
        result = run_cli(toml, "schema", "oneshot")
        assert result.exit_code == 1
        line = _error_line(result)
        assert "does not exist" in line and "--create-db" in line

        result = run_cli(toml, "schema", "oneshot", "--create-db")
        assert result.exit_code == 0, result.output
        assert f"Created the database {missing.name}" in result.stdout
        assert run_cli(toml, "schema", "current").stdout.strip() == head_revision()
    finally:
        import asyncio

        async def _drop() -> None:
            conn = await asyncpg.connect(pg_admin_dsn)
            try:
                await conn.execute(f'DROP DATABASE IF EXISTS "{missing.name}" WITH (FORCE)')
            finally:
                await conn.close()

        asyncio.run(_drop())


def test_cli_explicit_alembic_config(empty_database: DatabaseConfig, tmp_path: Path) -> None:
    from ai.backend.manager.repositories.schema import ALEMBIC_SCRIPT_DIR

    ini = tmp_path / "alembic.ini"
    ini.write_text(
        f"[alembic]\nscript_location = {ALEMBIC_SCRIPT_DIR}\n"
        "sqlalchemy.url = postgresql://ignored@127.0.0.1:1/ignored\n"
    )
    toml = write_db_toml(tmp_path / "manager.toml", empty_database)

    result = run_cli(toml, "schema", "oneshot", "-f", str(ini))
    assert result.exit_code == 0, result.output
    result = run_cli(toml, "schema", "show", "--alembic-config", str(ini))
    assert "up to date" in result.stdout

    result = run_cli(toml, "schema", "show", "-f", str(tmp_path / "nope.ini"))
    assert result.exit_code == 1
    assert "nope.ini" in _error_line(result)
