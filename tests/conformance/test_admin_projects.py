"""Checklist steps 4-9, 19-23 and teardown 59, 60, 62 with the unmodified `backend.ai` CLI:
domains, projects (groups) and scaling groups, plus refusals and unknown names.

The steps run in file order and share what they create (`created`). Names carry a suffix of
their own so that other modules of the package, which share the manager, never collide.
"""

from __future__ import annotations

import json
import re
import subprocess
import uuid
from typing import Any, TypedDict

import pytest

from tests.conformance.conftest import CLIENT_VENV, ClientRunner

DOMAIN = "cf-projdom"
PROJECT = "cf-projproj"
SCALING_GROUP = "sg-cf-proj"


class Account(TypedDict):
    access_key: str
    secret_key: str


USER: Account = {
    "access_key": "AKIANABBDUSEREXAMPLE",
    "secret_key": "C8qnIo29EZvXkPK_MXcuAakYTy4NYrxwmCEyNPlf",
}
USER2_UUID = "009fb1a4-487c-4f6e-9b1b-228b94b1d040"
DOMAIN_ADMIN: Account = {
    "access_key": "AKIAHUKCHDEZGEXAMPLE",
    "secret_key": "cWbsM_vBB4CzTW7JdORRMx8SjGI3-wEXAMPLEKEY",
}

created: dict[str, str] = {}


def _answering(client: ClientRunner, answer: str, *args: str) -> subprocess.CompletedProcess[str]:
    """Run the CLI with `answer` on its stdin (`echo y | backend.ai ...`)."""
    return subprocess.run(
        [str(CLIENT_VENV / "bin" / "backend.ai"), *args],
        cwd=client.workdir,
        env=client.environment(),
        input=answer,
        capture_output=True,
        text=True,
        timeout=60,
    )


def _ok(result: subprocess.CompletedProcess[str]) -> str:
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "Traceback" not in output, output
    return result.stdout


def _failed(result: subprocess.CompletedProcess[str]) -> str:
    output = result.stdout + result.stderr
    assert result.returncode != 0, output
    assert "Traceback" not in output, output
    return output


def _table(stdout: str) -> dict[str, str]:
    """The `Field  Value` table the console prints for one item or mutation result."""
    rows: dict[str, str] = {}
    for line in stdout.splitlines():
        parts = re.split(r"\s{2,}", line.strip(), maxsplit=1)
        if len(parts) == 2 and not set(parts[0]) <= {"-"}:
            rows[parts[0]] = parts[1]
    return rows


def _json_items(client: ClientRunner, *args: str) -> list[dict[str, Any]]:
    stdout = _ok(client.run("--output", "json", *args))
    items: list[dict[str, Any]] = json.loads(stdout)["items"]
    return items


# --- B. provisioning ------------------------------------------------------------------------------


def test_step04_domain_add(client: ClientRunner) -> None:
    stdout = _ok(client.run("admin", "domain", "add", DOMAIN, "--total-resource-slots", "{}"))
    table = _table(stdout)
    assert table["ok"] == "True"
    assert table["name"] == DOMAIN


def test_step04_domain_add_twice_fails_with_the_reason(client: ClientRunner) -> None:
    output = _failed(client.run("admin", "domain", "add", DOMAIN))
    assert "already exists" in output


def test_step05_domain_list(client: ClientRunner) -> None:
    stdout = _ok(client.run("admin", "domain", "list"))
    assert DOMAIN in stdout
    assert "default" in stdout
    items = _json_items(client, "admin", "domain", "list")
    mine = next(item for item in items if item["name"] == DOMAIN)
    assert mine["is_active"] is True
    assert mine["total_resource_slots"] == {}


def test_step06_domain_info(client: ClientRunner) -> None:
    table = _table(_ok(client.run("admin", "domain", "info", DOMAIN)))
    assert table["Name"] == DOMAIN
    (item,) = _json_items(client, "admin", "domain", "info", DOMAIN)
    assert item["name"] == DOMAIN
    assert item["is_active"] is True
    assert item["allowed_docker_registries"] == []


def test_step06_domain_update(client: ClientRunner) -> None:
    table = _table(
        _ok(client.run("admin", "domain", "update", DOMAIN, "--description", "for the CLI tests"))
    )
    assert table["ok"] == "True"
    assert table["name"] == DOMAIN
    (item,) = _json_items(client, "admin", "domain", "info", DOMAIN)
    assert item["description"] == "for the CLI tests"


def test_step06_unknown_domain_info_says_so(client: ClientRunner) -> None:
    result = client.run("admin", "domain", "info", "cf-no-such-domain")
    output = result.stdout + result.stderr
    assert "No matching entry found." in output
    assert "Traceback" not in output


def test_step07_group_add(client: ClientRunner) -> None:
    table = _table(_ok(client.run("admin", "group", "add", DOMAIN, PROJECT)))
    assert table["ok"] == "True"
    assert table["name"] == PROJECT
    assert table["domain_name"] == DOMAIN
    created["group_id"] = str(uuid.UUID(table["id"]))


def test_step08_group_list(client: ClientRunner) -> None:
    stdout = _ok(client.run("admin", "group", "list", "-d", DOMAIN))
    assert PROJECT in stdout
    assert created["group_id"] in stdout
    items = _json_items(client, "admin", "group", "list", "-d", DOMAIN)
    assert [(i["id"], i["name"]) for i in items] == [(created["group_id"], PROJECT)]


def test_step09_group_info_by_name_and_id(client: ClientRunner) -> None:
    by_name = _ok(client.run("admin", "group", "info", PROJECT))
    assert created["group_id"] in by_name
    assert DOMAIN in by_name
    by_id = _ok(client.run("admin", "group", "info", created["group_id"]))
    assert _table(by_id) == _table(by_name)
    (item,) = _json_items(client, "admin", "group", "info", created["group_id"])
    assert item["name"] == PROJECT
    assert item["domain_name"] == DOMAIN
    assert item["total_resource_slots"] == {}


def test_step09_group_add_and_remove_users(client: ClientRunner) -> None:
    # the project lives in another domain than the fixture users: adding one is refused
    output = _failed(
        client.run(
            "admin",
            "group",
            "add-users",
            created["group_id"],
            "dfa9da54-4b28-432f-be29-c0d680c7a412",
        )
    )
    assert "another domain" in output
    _ok(client.run("admin", "group", "update", created["group_id"], "-d", "updated by the CLI"))
    (item,) = _json_items(client, "admin", "group", "info", created["group_id"])
    assert item["description"] == "updated by the CLI"


def test_step09_group_add_users_and_remove_users(client: ClientRunner) -> None:
    table = _table(_ok(client.run("admin", "group", "add", "default", PROJECT + "-members")))
    gid = table["id"]
    try:
        added = _table(_ok(client.run("admin", "group", "add-users", gid, USER2_UUID)))
        assert added["ok"] == "True" and added["gid"] == gid
        removed = _table(_ok(client.run("admin", "group", "remove-users", gid, USER2_UUID)))
        assert removed["ok"] == "True"
        output = _failed(client.run("admin", "group", "add-users", gid, str(uuid.uuid4())))
        assert "No user with id" in output
    finally:
        _ok(_answering(client, "y\n", "admin", "group", "purge", gid))


def test_step19_scaling_group_list(client: ClientRunner) -> None:
    stdout = _ok(client.run("admin", "scaling-group", "list"))
    assert "default" in stdout
    items = _json_items(client, "admin", "scaling-group", "list")
    default = next(item for item in items if item["name"] == "default")
    assert default["driver"] == "static"
    assert default["is_active"] is True


def test_step20_scaling_group_add(client: ClientRunner) -> None:
    table = _table(
        _ok(
            client.run(
                "admin",
                "scaling-group",
                "add",
                SCALING_GROUP,
                "--driver",
                "static",
                "--scheduler",
                "fifo",
            )
        )
    )
    assert table["ok"] == "True"
    assert table["name"] == SCALING_GROUP


def test_step21_scaling_group_associate_with_domain(client: ClientRunner) -> None:
    stdout = _ok(client.run("admin", "scaling-group", "associate-scaling", SCALING_GROUP, DOMAIN))
    assert f"Scaling group {SCALING_GROUP} is associated with domain {DOMAIN}." in stdout
    assert _table(stdout)["ok"] == "True"


def test_step22_scaling_group_info(client: ClientRunner) -> None:
    stdout = _ok(client.run("admin", "scaling-group", "info", SCALING_GROUP))
    assert SCALING_GROUP in stdout
    assert "fifo" in stdout
    (item,) = _json_items(client, "admin", "scaling-group", "info", SCALING_GROUP)
    assert item["name"] == SCALING_GROUP
    assert item["driver_opts"] == {}
    assert item["scheduler_opts"] == {}
    assert item["is_public"] is True


def test_step22_scaling_group_update(client: ClientRunner) -> None:
    result = client.run(
        "admin",
        "scaling-group",
        "update",
        SCALING_GROUP,
        "--description",
        "CLI pool",
        "--scheduler-opts",
        '{"pending_timeout": 30}',
    )
    assert _table(_ok(result))["ok"] == "True"
    (item,) = _json_items(client, "admin", "scaling-group", "info", SCALING_GROUP)
    assert item["description"] == "CLI pool"
    assert item["scheduler_opts"] == {"pending_timeout": 30}
    output = _failed(
        client.run("admin", "scaling-group", "update", SCALING_GROUP, "--scheduler", "random")
    )
    assert "Unknown scheduler" in output


def test_step23_scaling_group_get_available(client: ClientRunner) -> None:
    stdout = _ok(client.run("admin", "scaling-group", "get-available", "default"))
    assert "default" in stdout
    assert SCALING_GROUP not in stdout  # opened to the other domain only
    items = _json_items(client, "admin", "scaling-group", "get-available", "default")
    assert {"name": "default"} in items


def test_step23_get_available_for_an_unknown_project_fails(client: ClientRunner) -> None:
    output = _failed(client.run("admin", "scaling-group", "get-available", "cf-no-such-project"))
    assert "cf-no-such-project" in output


# --- refusals -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "args",
    [
        ("admin", "domain", "list"),
        ("admin", "domain", "info", "default"),
        ("admin", "domain", "add", "cf-user-domain"),
        ("admin", "group", "add", "default", "cf-user-project"),
        ("admin", "scaling-group", "list"),
        ("admin", "scaling-group", "info", "default"),
        ("admin", "scaling-group", "add", "cf-user-sg"),
        ("admin", "scaling-group", "associate-scaling", "default", "default"),
    ],
    ids=lambda args: "-".join(args[1:3]),
)
def test_plain_users_are_refused(client: ClientRunner, args: tuple[str, ...]) -> None:
    output = _failed(client.run(*args, **USER))
    assert "GraphQL-generated error" in output, output
    assert re.search(r"Only (superadmins|administrators) can", output), output


def test_plain_users_read_only_their_own_projects(client: ClientRunner) -> None:
    listed = _ok(client.run("admin", "group", "list", **USER))
    assert "default" in listed
    assert "cf-" not in listed  # projects other tests made, which the user is not in
    info = _table(_ok(client.run("admin", "group", "info", "default", **USER)))
    assert info["Name"] == "default"


def test_domain_admin_is_refused_outside_projects_of_their_domain(client: ClientRunner) -> None:
    assert "Only superadmins" in _failed(client.run("admin", "domain", "list", **DOMAIN_ADMIN))
    assert "own domain" in _failed(client.run("admin", "domain", "info", DOMAIN, **DOMAIN_ADMIN))
    assert "own domain" in _failed(
        client.run("admin", "group", "list", "-d", DOMAIN, **DOMAIN_ADMIN)
    )
    assert "Only superadmins" in _failed(
        client.run("admin", "scaling-group", "list", **DOMAIN_ADMIN)
    )
    own = _ok(client.run("admin", "group", "list", "-d", "default", **DOMAIN_ADMIN))
    assert "default" in own


def test_refused_user_changes_nothing(client: ClientRunner) -> None:
    stdout = _ok(client.run("admin", "domain", "list"))
    assert "cf-user-domain" not in stdout
    assert "cf-user-project" not in _ok(client.run("admin", "group", "list"))
    assert "cf-user-sg" not in _ok(client.run("admin", "scaling-group", "list"))


# --- E. teardown --------------------------------------------------------------------------------


def test_step62_domain_purge_is_refused_while_the_project_exists(client: ClientRunner) -> None:
    output = _failed(_answering(client, "y\n", "admin", "domain", "purge", DOMAIN))
    assert "project(s)" in output


def test_step59_group_delete_and_purge(client: ClientRunner) -> None:
    gid = created["group_id"]
    table = _table(_ok(client.run("admin", "group", "delete", gid)))
    assert table["ok"] == "True"
    assert table["gid"] == gid
    (item,) = _json_items(client, "admin", "group", "info", gid)
    assert item["is_active"] is False

    cancelled = _failed(_answering(client, "n\n", "admin", "group", "purge", gid))
    assert "Cancelled" in cancelled
    table = _table(_ok(_answering(client, "y\n", "admin", "group", "purge", gid)))
    assert table["ok"] == "True"
    gone = client.run("admin", "group", "info", gid)
    assert "No matching entry found." in gone.stdout + gone.stderr


def test_step59_purging_an_unknown_group_fails_with_the_reason(client: ClientRunner) -> None:
    gid = str(uuid.uuid4())
    output = _failed(_answering(client, "y\n", "admin", "group", "purge", gid))
    assert f"No project with id {gid}" in output


def test_step62_domain_purge_is_refused_while_a_scaling_group_is_associated(
    client: ClientRunner,
) -> None:
    output = _failed(_answering(client, "y\n", "admin", "domain", "purge", DOMAIN))
    assert "scaling group" in output


def test_step60_scaling_group_dissociate_and_delete(client: ClientRunner) -> None:
    result = client.run("admin", "scaling-group", "dissociate-scaling", SCALING_GROUP, DOMAIN)
    _ok(result)
    done = f"Scaling group {SCALING_GROUP} is dissociated from domain {DOMAIN}."
    assert done in result.stdout + result.stderr  # print_done writes to stderr
    table = _table(_ok(client.run("admin", "scaling-group", "delete", SCALING_GROUP)))
    assert table["ok"] == "True"
    assert table["name"] == SCALING_GROUP
    assert SCALING_GROUP not in _ok(client.run("admin", "scaling-group", "list"))


def test_step60_deleting_an_unknown_scaling_group_fails(client: ClientRunner) -> None:
    output = _failed(client.run("admin", "scaling-group", "delete", "sg-cf-no-such"))
    assert "sg-cf-no-such" in output


def test_step62_domain_delete_and_purge(client: ClientRunner) -> None:
    table = _table(_ok(client.run("admin", "domain", "delete", DOMAIN)))
    assert table["ok"] == "True"
    (item,) = _json_items(client, "admin", "domain", "info", DOMAIN)
    assert item["is_active"] is False

    table = _table(_ok(_answering(client, "y\n", "admin", "domain", "purge", DOMAIN)))
    assert table["ok"] == "True"
    assert table["name"] == DOMAIN
    assert DOMAIN not in _ok(client.run("admin", "domain", "list"))


def test_step62_purging_an_unknown_domain_fails(client: ClientRunner) -> None:
    output = _failed(_answering(client, "y\n", "admin", "domain", "purge", DOMAIN))
    assert f"No domain named '{DOMAIN}'" in output
