"""Checklist steps 24-29 with the unmodified `backend.ai` CLI: agents, images, resource slots,
storage volumes and vfolder hosts, plus the refusals a plain user gets."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from typing import Any

import pytest

from ai.backend.manager.clients.etcd import EtcdClient
from tests.agent_harness import DummyAgent
from tests.conformance.conftest import ClientRunner
from tests.conftest import ETCD_ADDR
from tests.signing import USER_ACCESS_KEY, USER_SECRET_KEY

USER_KEYS = {"access_key": USER_ACCESS_KEY, "secret_key": USER_SECRET_KEY}


def _ok(client: ClientRunner, *args: str, **keys: str) -> str:
    result = client.run(*args, **keys)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "Traceback" not in output, output
    return output


def _json_items(client: ClientRunner, *args: str, **keys: str) -> list[dict[str, Any]]:
    result = client.run("--output", "json", *args, **keys)
    assert result.returncode == 0, result.stdout + result.stderr
    items: list[dict[str, Any]] = json.loads(result.stdout)["items"]
    return items


def _etcd(namespace: str) -> EtcdClient:
    return EtcdClient(host=ETCD_ADDR.host, port=ETCD_ADDR.port, namespace=namespace)


@pytest.fixture
def no_volumes(etcd_namespace: str) -> Iterator[EtcdClient]:
    """No `volumes/...` during the test; what was there (e.g. the package's storage proxy,
    tests/conformance/conftest.py) is put back afterwards."""
    etcd = _etcd(etcd_namespace)
    saved = asyncio.run(etcd.get_prefix("volumes"))
    asyncio.run(etcd.delete_prefix("volumes"))
    try:
        yield etcd
    finally:
        asyncio.run(etcd.delete_prefix("volumes"))
        if saved:
            asyncio.run(etcd.put_prefix("volumes", saved))


@pytest.fixture
def declared_volumes(no_volumes: EtcdClient) -> Iterator[None]:
    """`local:volume1` declared in etcd as the default host (a vfs volume of a proxy
    without a manager API: the manager takes etcd's word for it)."""
    tree = {
        "default_host": "local:volume1",
        "proxies": {
            "local": {"volumes": {"volume1": {"backend": "vfs", "capabilities": "vfolder,quota"}}}
        },
    }
    asyncio.run(no_volumes.put_prefix("volumes", tree))
    yield


# --- 24, 25: agents -----------------------------------------------------------------------------


def test_step24_admin_agent_list_shows_the_dummy_agent(
    client: ClientRunner, dummy_agent: DummyAgent
) -> None:
    console = _ok(client, "admin", "agent", "list")
    assert dummy_agent.id in console
    assert "ALIVE" in console
    items = _json_items(client, "admin", "agent", "list")
    agent = next(item for item in items if item["id"] == dummy_agent.id)
    assert agent["status"] == "ALIVE"
    assert agent["scaling_group"] == "default"
    assert float(agent["available_slots"]["cpu"]) > 0
    assert int(agent["available_slots"]["mem"]) > 0
    assert isinstance(agent["occupied_slots"], dict)


def test_step25_admin_agent_info(client: ClientRunner, dummy_agent: DummyAgent) -> None:
    console = _ok(client, "admin", "agent", "info", dummy_agent.id)
    assert dummy_agent.id in console
    assert "ALIVE" in console
    item = _json_items(client, "admin", "agent", "info", dummy_agent.id)[0]
    assert item["id"] == dummy_agent.id
    assert float(item["available_slots"]["cpu"]) > 0
    missing = client.run("admin", "agent", "info", "i-no-such-agent")
    assert "Traceback" not in missing.stdout + missing.stderr


def test_agents_are_refused_to_users(client: ClientRunner) -> None:
    result = client.run("admin", "agent", "list", **USER_KEYS)
    output = result.stdout + result.stderr
    assert result.returncode == 1, output
    assert "superadmin privilege required" in output
    assert "Traceback" not in output


# --- 26: images ---------------------------------------------------------------------------------


@pytest.mark.parametrize("command", [("image", "list"), ("admin", "image", "list")])
def test_step26_image_list(client: ClientRunner, command: tuple[str, ...]) -> None:
    console = _ok(client, *command)
    assert "stable/python" in console
    assert "3.9-ubuntu20.04" in console
    assert "cr.backend.ai" in console
    items = _json_items(client, *command)
    python39 = [i for i in items if i["tag"] == "3.9-ubuntu20.04" and i["architecture"] == "x86_64"]
    assert len(python39) == 1
    assert python39[0]["name"] == "stable/python"
    assert "python:3.9" in python39[0]["aliases"]
    assert python39[0]["size_bytes"] == "1.0G"  # humanised by the CLI from a number


def test_step26_image_list_as_a_user(client: ClientRunner) -> None:
    console = _ok(client, "image", "list", **USER_KEYS)
    assert "stable/python" in console


def test_image_alias_and_dealias(client: ClientRunner) -> None:
    canonical = "cr.backend.ai/stable/python:3.11-ubuntu22.04"
    added = _ok(client, "admin", "image", "alias", "cf-py311", canonical, "--arch", "x86_64")
    assert "An alias has created: cf-py311" in added
    items = _json_items(client, "image", "list")
    assert any("cf-py311" in i["aliases"] for i in items)
    removed = _ok(client, "admin", "image", "dealias", "cf-py311")
    assert "The alias has been removed: cf-py311" in removed
    again = client.run("admin", "image", "dealias", "cf-py311")
    assert "Dealiasing has failed" in again.stdout + again.stderr
    refused = client.run("admin", "image", "alias", "x", canonical, **USER_KEYS)
    assert "superadmin" in (refused.stdout + refused.stderr).lower()
    assert "Traceback" not in refused.stdout + refused.stderr


# --- 27: resource slots -------------------------------------------------------------------------


def test_step27_query_slots(client: ClientRunner) -> None:
    console = _ok(client, "admin", "resource", "query-slots")
    lines = console.splitlines()
    assert "cpu (count)" in lines
    assert "mem (bytes)" in lines
    as_user = _ok(client, "admin", "resource", "query-slots", **USER_KEYS)
    assert "cpu (count)" in as_user.splitlines()


def test_vfolder_types(client: ClientRunner, no_volumes: EtcdClient) -> None:
    console = _ok(client, "admin", "resource", "vfolder-types")
    assert console.split() == ["user"]


# --- 28: storage volumes ------------------------------------------------------------------------


def test_step28_storage_list_without_volumes(client: ClientRunner, no_volumes: EtcdClient) -> None:
    console = _ok(client, "admin", "storage", "list")
    # the CLI prints the bare table header for an empty unpaged list
    assert console.split() == ["ID", "Backend", "Capabilities", "----", "---------", "-" * 14]
    assert _json_items(client, "admin", "storage", "list") == []


def test_step28_storage_list_and_info(client: ClientRunner, declared_volumes: None) -> None:
    console = _ok(client, "admin", "storage", "list")
    assert "local:volume1" in console
    assert "vfs" in console
    items = _json_items(client, "admin", "storage", "list")
    assert items == [
        {"id": "local:volume1", "backend": "vfs", "capabilities": ["vfolder", "quota"]}
    ]
    info = _ok(client, "admin", "storage", "info", "local:volume1")
    assert "local:volume1" in info and "vfs" in info


def test_storage_is_refused_to_users(client: ClientRunner) -> None:
    result = client.run("admin", "storage", "list", **USER_KEYS)
    output = result.stdout + result.stderr
    assert result.returncode == 1, output
    assert "superadmin privilege required" in output


# --- 29: vfolder hosts --------------------------------------------------------------------------


def test_step29_list_hosts_without_volume_configuration(
    client: ClientRunner, no_volumes: EtcdClient
) -> None:
    console = _ok(client, "vfolder", "list-hosts")
    assert "Default vfolder host: None" in console
    assert "Usable hosts: local:volume1" in console


def test_step29_list_hosts_with_declared_volumes(
    client: ClientRunner, declared_volumes: None
) -> None:
    for keys in ({}, USER_KEYS):
        console = _ok(client, "vfolder", "list-hosts", **keys)
        assert "Default vfolder host: local:volume1" in console
        assert "Usable hosts: local:volume1" in console
