"""Checklist steps 3, 10-18, 43, 57, 58, 61, 64 and 65 with the unmodified `backend.ai` CLI.

The accounts live in the fixture's `default` domain (the domain and project mutations belong to
another area). Steps run in file order and share what they create through `state`.
"""

from __future__ import annotations

import asyncio
import json
import re
import subprocess
from typing import Any

import pytest
import sqlalchemy as sa

from ai.backend.manager.config.local import ManagerLocalConfig
from ai.backend.manager.models.domain import domains
from ai.backend.manager.models.user import users
from ai.backend.manager.repositories.db import create_engine
from tests.conformance.conftest import CLIENT_VENV, ClientRunner
from tests.signing import ADMIN_ACCESS_KEY, ADMIN_SECRET_KEY

USER1 = "user1@test.local"
POLICY = "testpolicy"
# The fixture's `default` project, by id: resolving a name needs `groups_by_name` (another area).
DEFAULT_PROJECT = "2de2b969-1d04-48a6-af16-0bc8adb3c831"


@pytest.fixture(scope="module")
def state() -> dict[str, Any]:
    return {}


def _ok(result: subprocess.CompletedProcess[str]) -> str:
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "Traceback" not in output
    return result.stdout


def _succeeded(out: str) -> None:
    """The CLI's Field/Value table of a successful mutation."""
    assert re.search(r"^ok\s+True$", out, re.MULTILINE), out
    assert re.search(r"^msg\s+success$", out, re.MULTILINE), out


def _confirmed(client: ClientRunner, *args: str) -> subprocess.CompletedProcess[str]:
    """Run a command that asks for confirmation, answering yes."""
    return subprocess.run(
        [str(CLIENT_VENV / "bin" / "backend.ai"), *args],
        cwd=client.workdir,
        env=client.environment(),
        capture_output=True,
        text=True,
        timeout=60,
        input="y\n",
    )


def _json_items(client: ClientRunner, *args: str, **kw: str) -> list[dict[str, Any]]:
    result = client.run("--output", "json", *args, **kw)
    items: list[dict[str, Any]] = json.loads(_ok(result))["items"]
    return items


def _add_users(config: ManagerLocalConfig, emails: list[str]) -> None:
    """Insert plain users of the `default` domain directly (no password, no keypair)."""

    async def run() -> None:
        engine = create_engine(config.db)
        try:
            async with engine.begin() as conn:
                domain_id = (
                    await conn.execute(sa.select(domains.c.id).where(domains.c.name == "default"))
                ).scalar_one()
                rows = [
                    {
                        "username": email,
                        "email": email,
                        "full_name": "Pager",
                        "status": "active",
                        "domain_name": "default",
                        "domain_id": domain_id,
                        "role": "user",
                        "resource_policy": "default",
                    }
                    for email in emails
                ]
                await conn.execute(sa.insert(users), rows)
        finally:
            await engine.dispose()

    asyncio.run(run())


# --- A. basics ----------------------------------------------------------------------------------


def test_step03_keypair_info_shows_the_callers_keypair(client: ClientRunner) -> None:
    out = _ok(client.run("admin", "keypair", "info"))
    assert ADMIN_ACCESS_KEY in out
    assert ADMIN_SECRET_KEY in out
    assert "Admin Lablup" in out
    assert re.search(r"Admin\?\s+True", out), out


# --- B. provisioning ----------------------------------------------------------------------------


def test_step10_keypair_resource_policy_add(client: ClientRunner) -> None:
    out = _ok(client.run("admin", "keypair-resource-policy", "add", POLICY))
    _succeeded(out)


def test_step11_keypair_resource_policy_list(client: ClientRunner) -> None:
    out = _ok(client.run("admin", "keypair-resource-policy", "list"))
    assert POLICY in out and "default" in out
    items = _json_items(client, "admin", "keypair-resource-policy", "list")
    mine = next(p for p in items if p["name"] == POLICY)
    assert mine["max_concurrent_sessions"] == 30
    assert mine["idle_timeout"] == 1800
    assert mine["max_containers_per_session"] == 1
    assert mine["total_resource_slots"] in ({}, "{}")


def test_step12_keypair_resource_policy_info(client: ClientRunner) -> None:
    out = _ok(client.run("admin", "keypair-resource-policy", "info", POLICY))
    assert POLICY in out
    assert "1800" in out


def test_step13_user_add(client: ClientRunner, state: dict[str, Any]) -> None:
    out = _ok(
        client.run(
            "admin",
            "user",
            "add",
            "default",
            USER1,
            "Passw0rd!",
            "-u",
            "user1",
            "-n",
            "User One",
            "-g",
            DEFAULT_PROJECT,
        )
    )
    assert USER1 in out
    assert "user1" in out
    assert "default" in out  # the project joined
    uuid_match = re.search(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", out)
    assert uuid_match, out
    state["user1_uuid"] = uuid_match.group(0)
    again = client.run(
        "admin", "user", "add", "default", USER1, "Passw0rd!", "-u", "user1", "-g", DEFAULT_PROJECT
    )
    assert again.returncode == 1
    assert "already exists" in again.stdout + again.stderr


def test_step14_user_list(client: ClientRunner) -> None:
    out = _ok(client.run("admin", "user", "list"))
    assert USER1 in out and "admin@lablup.com" in out
    items = _json_items(client, "admin", "user", "list")
    emails = [u["email"] for u in items]
    assert len(emails) == len(set(emails))
    assert USER1 in emails


def test_step15_user_info(client: ClientRunner, state: dict[str, Any]) -> None:
    out = _ok(client.run("admin", "user", "info", "-e", USER1))
    assert USER1 in out and state["user1_uuid"] in out
    assert "User One" in out
    items = _json_items(client, "admin", "user", "info", "-e", USER1)
    assert items[0]["email"] == USER1
    assert items[0]["role"] == "user"
    assert items[0]["main_access_key"].startswith("AKIA")
    assert [g["id"] for g in items[0]["groups"]] == [DEFAULT_PROJECT]


def test_step16_keypair_add(client: ClientRunner, state: dict[str, Any]) -> None:
    out = _ok(client.run("admin", "keypair", "add", USER1, POLICY))
    access = re.search(r"^access_key\s+(\S+)", out, re.MULTILINE)
    secret = re.search(r"^secret_key\s+(\S+)", out, re.MULTILINE)
    assert access and secret, out
    state["access_key"], state["secret_key"] = access.group(1), secret.group(1)
    assert state["access_key"].startswith("AKIA")


def test_step17_keypair_list(client: ClientRunner, state: dict[str, Any]) -> None:
    out = _ok(client.run("admin", "keypair", "list"))
    assert state["access_key"] in out
    assert "User One" in out
    items = _json_items(client, "admin", "keypair", "list")
    mine = next(k for k in items if k["access_key"] == state["access_key"])
    assert mine["user_id"] == USER1
    assert mine["resource_policy"] == POLICY
    assert mine["rate_limit"] == 5000
    assert mine["is_admin"] is False


def test_step18_keypair_list_of_one_user(client: ClientRunner, state: dict[str, Any]) -> None:
    items = _json_items(client, "admin", "keypair", "list", "-u", USER1)
    assert {k["user_id"] for k in items} == {USER1}
    assert state["access_key"] in {k["access_key"] for k in items}
    out = _ok(client.run("admin", "keypair", "list", "-u", USER1))
    assert state["access_key"] in out and ADMIN_ACCESS_KEY not in out


def test_updates_of_user_keypair_and_policy(client: ClientRunner, state: dict[str, Any]) -> None:
    """`admin user update`, `admin keypair deactivate/activate/update`, policy `update`."""
    _succeeded(_ok(client.run("admin", "user", "update", USER1, "-n", "User Uno")))
    assert _json_items(client, "admin", "user", "info", "-e", USER1)[0]["full_name"] == "User Uno"
    me = {"access_key": state["access_key"], "secret_key": state["secret_key"]}
    _ok(client.run("admin", "keypair", "deactivate", state["access_key"]))
    assert client.run("admin", "keypair", "info", **me).returncode == 1
    _ok(client.run("admin", "keypair", "activate", state["access_key"]))
    assert client.run("admin", "keypair", "info", **me).returncode == 0
    _ok(client.run("admin", "keypair", "update", state["access_key"], "--rate-limit", "4000"))
    items = _json_items(client, "admin", "keypair", "list", "-u", USER1)
    assert {k["access_key"]: k["rate_limit"] for k in items}[state["access_key"]] == 4000
    _ok(client.run("admin", "keypair-resource-policy", "update", POLICY, "--idle-timeout", "900"))
    policy = _json_items(client, "admin", "keypair-resource-policy", "info", POLICY)[0]
    assert policy["idle_timeout"] == 900


# --- C. the new user's own view -----------------------------------------------------------------


def test_step43_user_sees_only_their_own(client: ClientRunner, state: dict[str, Any]) -> None:
    me = {"access_key": state["access_key"], "secret_key": state["secret_key"]}
    info = _ok(client.run("admin", "keypair", "info", **me))
    assert state["access_key"] in info and "False" in info
    ps = client.run("ps", **me)
    assert ps.returncode == 0, ps.stdout + ps.stderr
    own = _json_items(client, "admin", "user", "info", **me)
    assert own[0]["email"] == USER1
    for command in (
        ("admin", "user", "list"),
        ("admin", "keypair", "list"),
        ("admin", "user", "info", "-e", "admin@lablup.com"),
        ("admin", "domain", "list"),
    ):
        refused = client.run(*command, **me)
        output = refused.stdout + refused.stderr
        assert refused.returncode == 1, (command, output)
        assert "Traceback" not in output
        assert ADMIN_SECRET_KEY not in output
    listing = client.run("admin", "user", "list", **me)
    assert "administrators" in listing.stdout + listing.stderr
    # as in the reference, a user lists the resource policies of their own keypairs only
    # (the main keypair's default one and step 16's)
    policies = _json_items(client, "admin", "keypair-resource-policy", "list", **me)
    assert {p["name"] for p in policies} == {"default", POLICY}


# --- E. teardown --------------------------------------------------------------------------------


def test_step57_keypair_delete(client: ClientRunner, state: dict[str, Any]) -> None:
    out = _ok(client.run("admin", "keypair", "delete", state["access_key"]))
    _succeeded(out)
    assert state["access_key"] in out
    items = _json_items(client, "admin", "keypair", "list", "-u", USER1)
    assert state["access_key"] not in {k["access_key"] for k in items}
    gone = client.run(
        "admin",
        "keypair",
        "info",
        access_key=state["access_key"],
        secret_key=state["secret_key"],
    )
    assert gone.returncode == 1


def test_step58_user_delete_then_purge(client: ClientRunner) -> None:
    _succeeded(_ok(client.run("admin", "user", "delete", USER1)))
    items = _json_items(client, "admin", "user", "info", "-e", USER1)
    assert items[0]["status"] == "deleted"
    purge = _confirmed(client, "admin", "user", "purge", USER1)
    assert purge.returncode == 0, purge.stdout + purge.stderr
    _succeeded(purge.stdout)
    missing = client.run("admin", "user", "info", "-e", USER1)
    assert "No matching entry found." in missing.stdout + missing.stderr


def test_step61_keypair_resource_policy_delete(client: ClientRunner) -> None:
    result = _confirmed(client, "admin", "keypair-resource-policy", "delete", POLICY)
    assert result.returncode == 0, result.stdout + result.stderr
    _succeeded(result.stdout)
    out = _ok(client.run("admin", "keypair-resource-policy", "list"))
    assert POLICY not in out
    in_use = _confirmed(client, "admin", "keypair-resource-policy", "delete", "default")
    assert in_use.returncode == 1
    assert "still used" in in_use.stdout + in_use.stderr


# --- F. probes ----------------------------------------------------------------------------------


def test_step64_unknown_user_is_no_matching_entry(client: ClientRunner) -> None:
    result = client.run("admin", "user", "info", "-e", "nobody@x")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "No matching entry found." in result.stdout + result.stderr
    assert "Traceback" not in result.stdout + result.stderr


def test_step65_user_list_paging(client: ClientRunner, manager_config: ManagerLocalConfig) -> None:
    emails = [f"pager{i:02d}@test.local" for i in range(24)]
    _add_users(manager_config, emails)
    everyone = _json_items(client, "admin", "user", "list", "--order", "email", "--limit", "100")
    assert len(everyone) >= 25
    result = client.run(
        "--output",
        "json",
        "admin",
        "user",
        "list",
        "--limit",
        "5",
        "--offset",
        "3",
        "--order",
        "email",
    )
    page = json.loads(_ok(result))
    assert [u["email"] for u in page["items"]] == [u["email"] for u in everyone[3:8]]
    assert page["total_count"] == len(everyone)
    console = _ok(
        client.run("admin", "user", "list", "--limit", "5", "--offset", "3", "--order", "email")
    )
    shown = [u["email"] for u in everyone[3:8]]
    assert all(email in console for email in shown)
    assert everyone[8]["email"] not in console and everyone[2]["email"] not in console
