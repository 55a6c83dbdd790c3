"""Fixtures: the sample files load, reloading skips or updates, broken files load nothing."""

from __future__ import annotations

import copy
import json
from collections.abc import AsyncIterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
import sqlalchemy as sa
from click.testing import CliRunner
from sqlalchemy.ext.asyncio import AsyncEngine

from ai.backend.manager.cli.__main__ import main as mgr_cli
from ai.backend.manager.config.local import DatabaseConfig
from ai.backend.manager.models import (
    domains,
    keypair_resource_policies,
    keypairs,
    metadata,
    resource_presets,
    users,
)
from ai.backend.manager.repositories.db import create_engine
from ai.backend.manager.repositories.schema import schema_oneshot
from ai.backend.manager.services.auth.password import (
    DEFAULT_ROUNDS,
    hash_password,
    verify_password,
)
from ai.backend.manager.services.fixture import (
    FixtureError,
    FixtureMode,
    populate_fixture,
    populate_fixture_file,
)
from ai.backend.manager.types import DefaultForUnspecified, UserRole, UserStatus

pytestmark = pytest.mark.integration

SAMPLE_CONFIGS = Path(__file__).resolve().parents[2] / "sample-configs"
KEYPAIRS_FIXTURE = SAMPLE_CONFIGS / "example-keypairs.json"
PRESETS_FIXTURE = SAMPLE_CONFIGS / "example-resource-presets.json"

DOMAIN_ID = "b9e676dc-e23e-54c6-b350-e83fba4127e9"
USER_UUID = "dfa9da54-4b28-432f-be29-c0d680c7a412"
SAMPLE_PASSWORDS = {
    "admin@lablup.com": "wJalrXUt",
    "domain-admin@lablup.com": "cWbsM_vB",
    "user@lablup.com": "C8qnIo29",
    "user2@lablup.com": "P7oxTDdz",
    "monitor@lablup.com": "7tuEwF1J",
}


@pytest_asyncio.fixture
async def engine(empty_database: DatabaseConfig) -> AsyncIterator[AsyncEngine]:
    """A fresh database with the schema and nothing in it."""
    engine = create_engine(empty_database)
    try:
        await schema_oneshot(engine)
        yield engine
    finally:
        await engine.dispose()


@pytest.fixture(scope="module")
def prehashed_keypairs() -> dict[str, Any]:
    """The sample keypairs fixture with its passwords hashed once (hashing is slow on purpose;
    the stored hashes are kept verbatim, so loading this equals loading the file)."""
    document: dict[str, Any] = json.loads(KEYPAIRS_FIXTURE.read_text())
    for user in document["users"]:
        user["password"] = hash_password(user["password"])
    return document


@pytest_asyncio.fixture
async def loaded(engine: AsyncEngine, prehashed_keypairs: dict[str, Any]) -> AsyncEngine:
    """The fresh database with both sample fixtures loaded."""
    await populate_fixture(engine, copy.deepcopy(prehashed_keypairs))
    await populate_fixture_file(engine, PRESETS_FIXTURE)
    return engine


async def _counts(engine: AsyncEngine) -> dict[str, int]:
    async with engine.connect() as conn:
        return {
            table.name: int(await conn.scalar(sa.select(sa.func.count()).select_from(table)) or 0)
            for table in metadata.sorted_tables
        }


async def _rows(engine: AsyncEngine, query: sa.Select[Any]) -> list[sa.Row[Any]]:
    async with engine.connect() as conn:
        return list((await conn.execute(query)).all())


# --- loading the samples -----------------------------------------------------------------------


async def test_sample_fixtures_load(engine: AsyncEngine) -> None:
    report = await populate_fixture_file(engine, KEYPAIRS_FIXTURE)
    assert report.mode is FixtureMode.INSERT
    assert report.table("users").inserted == 5
    assert report.table("keypairs").inserted == 5
    presets_report = await populate_fixture_file(engine, PRESETS_FIXTURE)
    assert presets_report.table("resource_presets").inserted == 3

    counts = await _counts(engine)
    assert counts["domains"] == 1
    assert counts["groups"] == 1
    assert counts["scaling_groups"] == 1
    assert counts["sgroups_for_domains"] == 1
    assert counts["association_groups_users"] == 5
    assert counts["keypair_resource_policies"] == 1
    assert counts["user_resource_policies"] == 1
    assert counts["project_resource_policies"] == 1
    assert counts["resource_slot_types"] == 2
    assert counts["resource_presets"] == 3


async def test_sample_values_are_typed(loaded: AsyncEngine) -> None:
    (domain,) = await _rows(loaded, sa.select(domains))
    assert str(domain.id) == DOMAIN_ID
    assert domain.allowed_docker_registries == ["cr.backend.ai"]
    assert domain.dotfiles == b"\x90"

    (policy,) = await _rows(loaded, sa.select(keypair_resource_policies))
    assert policy.default_for_unspecified is DefaultForUnspecified.UNLIMITED
    assert policy.total_resource_slots == {}
    assert policy.idle_timeout == 3600

    joined = await _rows(
        loaded,
        sa.select(keypairs, users.c.email, users.c.role, users.c.status, users.c.domain_name)
        .select_from(keypairs.join(users, keypairs.c.user == users.c.uuid))
        .order_by(keypairs.c.access_key),
    )
    by_key = {r.access_key: r for r in joined}
    admin = by_key["AKIAIOSFODNN7EXAMPLE"]
    assert admin.secret_key == "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
    assert admin.is_admin and admin.is_active and admin.is_default
    assert admin.role is UserRole.SUPERADMIN
    assert admin.status is UserStatus.ACTIVE
    assert admin.domain_name == "default"
    assert admin.rate_limit == 30000
    assert admin.num_queries == 0
    assert admin.created_at is not None
    assert by_key["AKIAHUKCHDEZGEXAMPLE"].role is UserRole.ADMIN
    assert not by_key["AKIANABBDUSEREXAMPLE"].is_admin
    assert by_key["AKIANAMONITOREXAMPLE"].role is UserRole.MONITOR

    presets = {r.name: r for r in await _rows(loaded, sa.select(resource_presets))}
    assert presets["cpu01-small"].resource_slots == {
        "cpu": Decimal(1),
        "mem": Decimal(1073741824),
    }
    assert presets["cpu01-small"].shared_memory is None
    assert presets["cpu02-medium"].shared_memory == 1073741824
    assert presets["cpu03-large"].resource_slots["mem"] == Decimal(17179869184)
    assert presets["cpu03-large"].shared_memory == 2147483648


async def test_user_passwords_are_stored_hashed_and_verify(engine: AsyncEngine) -> None:
    await populate_fixture_file(engine, KEYPAIRS_FIXTURE)
    rows = await _rows(engine, sa.select(users.c.email, users.c.password))
    assert {r.email for r in rows} == set(SAMPLE_PASSWORDS)
    for row in rows:
        plain = SAMPLE_PASSWORDS[row.email]
        assert row.password != plain
        algorithm, rounds, salt, digest = row.password.split("$")
        assert algorithm == "pbkdf2_sha256"
        assert int(rounds) == DEFAULT_ROUNDS
        assert len(bytes.fromhex(salt)) == 32
        assert len(bytes.fromhex(digest)) == 32
        assert verify_password(plain, row.password)
        assert not verify_password(plain + "x", row.password)


# --- reloading ---------------------------------------------------------------------------------


async def test_repopulating_in_insert_mode_skips_everything(loaded: AsyncEngine) -> None:
    before = await _counts(loaded)
    passwords_before = await _rows(loaded, sa.select(users.c.uuid, users.c.password))

    report = await populate_fixture_file(loaded, KEYPAIRS_FIXTURE)
    presets_report = await populate_fixture_file(loaded, PRESETS_FIXTURE)

    for table_report in [*report.tables, *presets_report.tables]:
        assert table_report.inserted == 0 and table_report.updated == 0, table_report
        assert table_report.skipped > 0
    assert await _counts(loaded) == before
    assert await _rows(loaded, sa.select(users.c.uuid, users.c.password)) == passwords_before


async def test_update_mode_updates_existing_rows_and_inserts_missing_ones(
    loaded: AsyncEngine,
) -> None:
    before = await _counts(loaded)
    report = await populate_fixture(
        loaded,
        {
            "__mode": "update",
            "keypairs": [{"access_key": "AKIANABBDUSEREXAMPLE", "rate_limit": 5}],
            "resource_presets": [
                {"name": "cpu01-small", "resource_slots": {"cpu": "2", "mem": "2147483648"}},
                {"name": "cpu04-huge", "resource_slots": {"cpu": 16, "mem": 34359738368}},
            ],
            "users": [{"uuid": USER_UUID, "full_name": "Renamed User", "password": "n3w-pw"}],
        },
    )

    assert report.mode is FixtureMode.UPDATE
    assert (report.table("keypairs").updated, report.table("keypairs").inserted) == (1, 0)
    assert report.table("resource_presets").updated == 1
    assert report.table("resource_presets").inserted == 1
    assert report.table("users").updated == 1
    after = await _counts(loaded)
    assert after["resource_presets"] == before["resource_presets"] + 1
    assert {k: v for k, v in after.items() if k != "resource_presets"} == {
        k: v for k, v in before.items() if k != "resource_presets"
    }

    (user_key,) = await _rows(
        loaded,
        sa.select(keypairs.c.rate_limit, keypairs.c.secret_key).where(
            keypairs.c.access_key == "AKIANABBDUSEREXAMPLE"
        ),
    )
    assert user_key.rate_limit == 5
    assert user_key.secret_key == "C8qnIo29EZvXkPK_MXcuAakYTy4NYrxwmCEyNPlf"
    presets = {r.name: r for r in await _rows(loaded, sa.select(resource_presets))}
    assert presets["cpu01-small"].resource_slots == {
        "cpu": Decimal(2),
        "mem": Decimal(2147483648),
    }
    assert presets["cpu04-huge"].resource_slots["cpu"] == Decimal(16)
    (user,) = await _rows(
        loaded, sa.select(users.c.full_name, users.c.password).where(users.c.uuid == USER_UUID)
    )
    assert user.full_name == "Renamed User"
    assert verify_password("n3w-pw", user.password)


async def test_tables_are_applied_in_dependency_order(engine: AsyncEngine) -> None:
    document = json.loads(KEYPAIRS_FIXTURE.read_text())
    reversed_document = {name: document[name] for name in reversed(list(document))}

    report = await populate_fixture(engine, reversed_document)

    assert [t.table for t in report.tables] == [
        t.name for t in metadata.sorted_tables if t.name in document
    ]
    assert (await _counts(engine))["keypairs"] == 5


async def test_existing_password_hash_is_kept_verbatim(loaded: AsyncEngine) -> None:
    stored = hash_password("s3cret", rounds=1000)
    await populate_fixture(
        loaded,
        {
            "users": [
                {
                    "uuid": "11111111-2222-4333-8444-555555555555",
                    "username": "hashed",
                    "email": "hashed@example.com",
                    "password": stored,
                    "domain_name": "default",
                    "domain_id": DOMAIN_ID,
                    "resource_policy": "default",
                }
            ]
        },
    )
    (row,) = await _rows(
        loaded,
        sa.select(users.c.password, users.c.status, users.c.role).where(
            users.c.email == "hashed@example.com"
        ),
    )
    assert row.password == stored
    assert verify_password("s3cret", row.password)
    # Server/client defaults fill what the row leaves out.
    assert row.status is UserStatus.BEFORE_VERIFICATION
    assert row.role is UserRole.USER


# --- broken fixtures ---------------------------------------------------------------------------

_NEW_DOMAIN = {"name": "would-be-rolled-back"}
_NEW_USER = {
    "uuid": "aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee",
    "username": "broken",
    "email": "broken@example.com",
    "password": "whatever",
    "domain_name": "default",
    "domain_id": DOMAIN_ID,
    "resource_policy": "default",
}


@pytest.mark.parametrize(
    ("document", "table", "row", "column", "reason"),
    [
        pytest.param(
            {"domains": [_NEW_DOMAIN], "users": [_NEW_USER, {**_NEW_USER, "nickname": "x"}]},
            "users",
            1,
            "nickname",
            "unknown column",
            id="unknown-column",
        ),
        pytest.param(
            {
                "domains": [_NEW_DOMAIN],
                "users": [{**_NEW_USER, "domain_name": "no-such-domain"}],
            },
            "users",
            0,
            "domain_name",
            "foreign key",
            id="foreign-key-violation",
        ),
        pytest.param(
            {
                "domains": [_NEW_DOMAIN],
                "keypairs": [
                    {
                        "access_key": "AKIABROKENEXAMPLE000",
                        "secret_key": "x",
                        "user": "00000000-0000-4000-8000-000000000000",
                        "resource_policy": "default",
                    }
                ],
            },
            "keypairs",
            0,
            "user",
            "foreign key",
            id="foreign-key-violation-late-table",
        ),
        pytest.param(
            {"domains": [_NEW_DOMAIN], "users": [{**_NEW_USER, "role": "emperor"}]},
            "users",
            0,
            "role",
            "expected one of",
            id="bad-enum",
        ),
        pytest.param(
            {"domains": [_NEW_DOMAIN], "keypairs": [{"access_key": "X", "rate_limit": "fast"}]},
            "keypairs",
            0,
            "rate_limit",
            "expected an integer",
            id="wrong-type",
        ),
        pytest.param(
            {"domains": [_NEW_DOMAIN], "users": [{**_NEW_USER, "uuid": "not-a-uuid"}]},
            "users",
            0,
            "uuid",
            "UUID",
            id="bad-uuid",
        ),
        pytest.param(
            {"domains": [_NEW_DOMAIN], "users": [{**_NEW_USER, "username": None}]},
            "users",
            0,
            "username",
            "null",
            id="null-in-not-null",
        ),
        pytest.param(
            {"domains": [_NEW_DOMAIN], "users": [{"uuid": _NEW_USER["uuid"]}]},
            "users",
            0,
            None,
            "not-null",
            id="missing-required-column",
        ),
        pytest.param(
            {"domains": [_NEW_DOMAIN], "resource_presets": [["cpu"]]},
            "resource_presets",
            0,
            None,
            "expected an object",
            id="row-not-an-object",
        ),
        pytest.param(
            {"domains": [_NEW_DOMAIN], "userz": []},
            "userz",
            None,
            None,
            'did you mean "users"',
            id="unknown-table",
        ),
        pytest.param(
            {"domains": _NEW_DOMAIN},
            "domains",
            None,
            None,
            "list",
            id="table-not-a-list",
        ),
        pytest.param(
            {"__mode": "merge", "domains": [_NEW_DOMAIN]},
            None,
            None,
            None,
            '"__mode"',
            id="bad-mode",
        ),
    ],
)
async def test_broken_fixture_names_the_place_and_loads_nothing(
    loaded: AsyncEngine,
    document: dict[str, Any],
    table: str | None,
    row: int | None,
    column: str | None,
    reason: str,
) -> None:
    before = await _counts(loaded)

    with pytest.raises(FixtureError) as exc_info:
        await populate_fixture(loaded, document)

    error = exc_info.value
    assert (error.table, error.row, error.column) == (table, row, column) or (
        column is None and (error.table, error.row) == (table, row)
    )
    assert reason in str(error)
    assert "\n" not in str(error)
    assert await _counts(loaded) == before


# --- the CLI -----------------------------------------------------------------------------------


def _toml(tmp_path: Path, db: DatabaseConfig) -> Path:
    path = tmp_path / "manager.toml"
    path.write_text(
        f'[db]\naddr = {{ host = "{db.addr.host}", port = {db.addr.port} }}\n'
        f'name = "{db.name}"\nuser = "{db.user}"\npassword = "{db.password}"\n'
    )
    return path


def _populate(toml: Path, fixture: Path) -> Any:
    return CliRunner().invoke(
        mgr_cli, ["-f", str(toml), "fixture", "populate", str(fixture)], catch_exceptions=False
    )


def test_cli_populate_reports_per_table_and_fails_in_one_line(
    empty_database: DatabaseConfig, tmp_path: Path
) -> None:
    toml = _toml(tmp_path, empty_database)
    schema = CliRunner().invoke(mgr_cli, ["-f", str(toml), "schema", "oneshot"])
    assert schema.exit_code == 0, schema.output

    result = _populate(toml, KEYPAIRS_FIXTURE)
    assert result.exit_code == 0, result.output
    assert "users: 5 inserted, 0 updated, 0 skipped" in result.stdout
    assert "keypairs: 5 inserted, 0 updated, 0 skipped" in result.stdout

    result = _populate(toml, KEYPAIRS_FIXTURE)
    assert result.exit_code == 0
    assert "users: 0 inserted, 0 updated, 5 skipped" in result.stdout

    broken = tmp_path / "broken.json"
    broken.write_text(json.dumps({"domains": [_NEW_DOMAIN], "users": [{"emali": "x"}]}))
    result = _populate(toml, broken)
    assert result.exit_code == 1
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith(f"Error: {broken}: ")
    assert 'table "users", row 0, column "emali"' in line
    assert "nothing was loaded" in line

    not_json = tmp_path / "not-json.json"
    not_json.write_text("{'domains': []}")
    result = _populate(toml, not_json)
    assert result.exit_code == 1
    (line,) = result.stderr.strip().splitlines()
    assert "not valid JSON" in line

    result = _populate(toml, tmp_path / "missing.json")
    assert result.exit_code == 1
    assert "no such file" in result.stderr


# --- the password hash format ------------------------------------------------------------------


def test_password_hash_format_and_verification() -> None:
    hashed = hash_password("pässwörd", rounds=1000)
    algorithm, rounds, salt, digest = hashed.split("$")
    assert (algorithm, rounds) == ("pbkdf2_sha256", "1000")
    assert len(salt) == 64 and len(digest) == 64
    assert hash_password("pässwörd", rounds=1000) != hashed  # fresh salt each time
    assert verify_password("pässwörd", hashed)
    assert not verify_password("password", hashed)
    for malformed in ("", "pbkdf2_sha256$x$00$00", "md5$1$00$00", "plain", "a$b$c"):
        assert not verify_password("pässwörd", malformed)
    assert not verify_password("pässwörd", None)
