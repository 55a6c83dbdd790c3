"""Storage volumes and folder hosts with the unmodified `backend.ai` CLI against a manager
that asks the real storage proxy (checklist steps 28-29, live)."""

from __future__ import annotations

import json
from typing import Any

from tests.conformance.conftest import ClientRunner
from tests.signing import USER_ACCESS_KEY, USER_SECRET_KEY
from tests.storage_proxy_harness import StorageProxy

USER_KEYS = {"access_key": USER_ACCESS_KEY, "secret_key": USER_SECRET_KEY}


def _ok(client: ClientRunner, *args: str, **keys: str) -> str:
    result = client.run(*args, **keys)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "Traceback" not in output, output
    return output


def test_storage_list_from_the_proxy(client: ClientRunner, storage_proxy: StorageProxy) -> None:
    result = client.run("--output", "json", "admin", "storage", "list")
    assert result.returncode == 0, result.stdout + result.stderr
    items: list[dict[str, Any]] = json.loads(result.stdout)["items"]
    assert items == [{"id": storage_proxy.host, "backend": "vfs", "capabilities": ["vfolder"]}]
    console = _ok(client, "admin", "storage", "list")
    assert storage_proxy.host in console and "vfs" in console


def test_storage_info_from_the_proxy(client: ClientRunner, storage_proxy: StorageProxy) -> None:
    console = _ok(client, "admin", "storage", "info", storage_proxy.host)
    assert storage_proxy.host in console and "vfs" in console
    assert str(storage_proxy.volume_path) in console
    result = client.run("admin", "storage", "info", "local:nosuch")
    assert result.returncode == 1
    assert "No storage volume" in result.stdout + result.stderr


def test_list_hosts_with_the_proxy(client: ClientRunner, storage_proxy: StorageProxy) -> None:
    for keys in ({}, USER_KEYS):
        console = _ok(client, "vfolder", "list-hosts", **keys)
        assert f"Default vfolder host: {storage_proxy.host}" in console
        assert f"Usable hosts: {storage_proxy.host}" in console
