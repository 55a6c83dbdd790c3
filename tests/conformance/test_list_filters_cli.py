"""`--filter` and `--order` of the unmodified `backend.ai` CLI's admin lists, and the live
figures of a real dummy agent."""

from __future__ import annotations

import json
import subprocess
from typing import Any

import pytest

from tests.agent_harness import DummyAgent
from tests.conformance.conftest import CLIENT_VENV, ClientRunner

DOMAIN_SUFFIX = "filter-cli.test"
EMAILS = [f"{name}@{DOMAIN_SUFFIX}" for name in ("ann", "bob", "cid")]


def _ok(result: subprocess.CompletedProcess[str]) -> str:
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "Traceback" not in output, output
    return result.stdout


def _json_items(client: ClientRunner, *args: str) -> list[dict[str, Any]]:
    result = client.run("--output", "json", *args)
    assert result.returncode == 0, result.stdout + result.stderr
    items: list[dict[str, Any]] = json.loads(result.stdout)["items"]
    return items


@pytest.fixture(scope="module")
def users(client: ClientRunner) -> list[str]:
    for email in EMAILS:
        _ok(client.run("admin", "user", "add", "default", email, "pw-Filter-123!"))
    _ok(client.run("admin", "user", "update", EMAILS[1], "-r", "admin"))
    return EMAILS


def test_admin_user_list_filter_and_order(client: ClientRunner, users: list[str]) -> None:
    mine = f'email ilike "%@{DOMAIN_SUFFIX.upper()}"'
    out = _ok(client.run("admin", "user", "list", "--filter", mine, "--order", "-email"))
    positions = [out.index(email) for email in reversed(users)]
    assert positions == sorted(positions), out
    assert "admin@lablup.com" not in out
    items = _json_items(client, "admin", "user", "list", "--filter", mine, "--order", "email")
    assert [u["email"] for u in items] == users
    # the CLI's own help examples
    admins = _json_items(
        client,
        "admin",
        "user",
        "list",
        "--filter",
        'status == "ACTIVE" & role in ["ADMIN", "SUPERADMIN"]',
    )
    emails = {u["email"] for u in admins}
    assert {"admin@lablup.com", users[1]} <= emails and users[0] not in emails
    recent = _json_items(
        client,
        "admin",
        "user",
        "list",
        "--filter",
        f'{mine} & created_at >= "2021-01-01" & created_at < "2999-01-01"',
    )
    assert sorted(u["email"] for u in recent) == users


def test_admin_user_list_bad_filter_is_a_clean_error(client: ClientRunner) -> None:
    result = client.run("admin", "user", "list", "--filter", 'emial == "x"')
    output = result.stdout + result.stderr
    assert result.returncode == 1, output
    assert "Traceback" not in output
    assert "Unknown field `emial`" in output
    result = client.run("admin", "user", "list", "--order", "-password")
    assert result.returncode == 1 and "Unknown field `password`" in result.stdout + result.stderr


def test_admin_keypair_list_filter(client: ClientRunner, users: list[str]) -> None:
    items = _json_items(
        client,
        "admin",
        "keypair",
        "list",
        "--filter",
        f'email like "%@{DOMAIN_SUFFIX}" & is_active == true',
        "--order",
        "-email",
    )
    assert [k["user_id"] for k in items] == list(reversed(users))


def test_admin_agent_list_filter_and_live_figures(
    client: ClientRunner, dummy_agent: DummyAgent
) -> None:
    items = _json_items(client, "admin", "agent", "list", "--filter", f'id == "{dummy_agent.id}"')
    assert [a["id"] for a in items] == [dummy_agent.id]
    assert items[0]["cpu_cur_pct"] == 0  # the dummy backend measures nothing
    none = _json_items(client, "admin", "agent", "list", "--filter", 'id == "i-nowhere"')
    assert none == []
    # the dummy agent writes its (empty) node statistics to Redis; they come back as live_stat
    # (asked through the official SDK, since the console renders them as a table)
    script = (
        "import asyncio, json, sys\n"
        "from ai.backend.client.session import AsyncSession\n"
        "async def main():\n"
        "    async with AsyncSession() as s:\n"
        "        q = 'query($a: String!) { agent(agent_id: $a) { live_stat cpu_cur_pct } }'\n"
        "        print(json.dumps(await s.Admin._query(q, {'a': sys.argv[1]})))\n"
        "asyncio.run(main())\n"
    )
    result = subprocess.run(
        [str(CLIENT_VENV / "bin" / "python"), "-c", script, dummy_agent.id],
        cwd=client.workdir,
        env=client.environment(),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    agent = json.loads(result.stdout)["agent"]
    assert json.loads(agent["live_stat"]) == {"node": {}, "devices": {}}
    assert agent["cpu_cur_pct"] == 0
    # and the console's agent info renders them without complaint
    _ok(client.run("admin", "agent", "info", dummy_agent.id))
