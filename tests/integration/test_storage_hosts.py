"""Folder hosts and storage volumes with live figures from the real storage proxy, and what
callers get when the proxy does not answer."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

import aiohttp
import pytest
import pytest_asyncio

from ai.backend.manager.clients.etcd import EtcdClient
from tests.conftest import free_port
from tests.integration.conftest import RunningManager
from tests.integration.test_admin_catalog import (
    DOMAIN_ADMIN,
    USER,
    error_messages,
    gql,
    gql_data,
    rest_get,
)
from tests.storage_proxy_harness import StorageProxy

pytestmark = pytest.mark.asyncio(loop_scope="session")

VOLUME_FIELDS = "id backend path fsprefix capabilities proxy name usage hardware_metadata"
STORAGE_LIST = f"""query($limit: Int!, $offset: Int!) {{
  storage_volume_list(limit: $limit, offset: $offset) {{ items {{ {VOLUME_FIELDS} }} total_count }}
}}"""
STORAGE_ONE = f"""query($id: String!) {{
  storage_volume(id: $id) {{ {VOLUME_FIELDS} performance_metric }} }}"""


@pytest_asyncio.fixture(loop_scope="session")
async def live(
    storage_proxy: StorageProxy, manager: RunningManager, etcd: EtcdClient
) -> AsyncIterator[StorageProxy]:
    """The session's proxy, with `volumes/...` as the harness wrote it (restored afterwards,
    since tests here rewrite it)."""
    saved = await etcd.get_prefix("volumes")
    await etcd.delete_prefix("volumes")
    await etcd.put_prefix("volumes", storage_proxy.volumes_tree())
    manager.root.storage_proxies.invalidate()
    try:
        yield storage_proxy
    finally:
        await etcd.delete_prefix("volumes")
        if saved:
            await etcd.put_prefix("volumes", saved)
        manager.root.storage_proxies.invalidate()


async def test_hosts_carry_live_volume_info(
    http: aiohttp.ClientSession, manager: RunningManager, live: StorageProxy
) -> None:
    status, body = await rest_get(http, manager, "/folders/_/hosts", keys=USER)
    assert status == 200, body
    assert body["default"] == live.host
    assert body["allowed"] == [live.host]
    info = body["volume_info"][live.host]
    assert info["backend"] == "vfs"
    assert "vfolder" in info["capabilities"]
    assert info["sftp_scaling_groups"] == []
    # exposed_volume_info = percentage: only the percentage is shown
    assert set(info["usage"]) == {"percentage"}
    assert 0 <= info["usage"]["percentage"] <= 100


async def test_exposed_volume_info_is_read_on_demand(
    http: aiohttp.ClientSession, manager: RunningManager, live: StorageProxy, etcd: EtcdClient
) -> None:
    await etcd.put("volumes/exposed_volume_info", "percentage,used_bytes,capacity_bytes")
    status, body = await rest_get(http, manager, "/folders/_/hosts", keys=USER)
    assert status == 200, body
    usage = body["volume_info"][live.host]["usage"]
    assert set(usage) == {"percentage", "used", "total"}
    assert 0 < usage["used"] <= usage["total"]
    await etcd.put("volumes/exposed_volume_info", "")
    status, body = await rest_get(http, manager, "/folders/_/hosts", keys=USER)
    assert body["volume_info"][live.host]["usage"] == {}


@pytest.mark.parametrize("path", ["/folders/_/all_hosts", "/folders/_/all-hosts"])
async def test_all_hosts_for_superadmins(
    http: aiohttp.ClientSession, manager: RunningManager, live: StorageProxy, path: str
) -> None:
    status, body = await rest_get(http, manager, path)
    assert (status, body) == (200, {"default": live.host, "allowed": [live.host]})
    for keys in (USER, DOMAIN_ADMIN):
        status, body = await rest_get(http, manager, path, keys=keys)
        assert status == 403, body
        assert "superadmin" in body["msg"]


async def test_storage_volumes_live_from_the_proxy(
    http: aiohttp.ClientSession, manager: RunningManager, live: StorageProxy
) -> None:
    data = await gql_data(http, manager, STORAGE_LIST, {"limit": 10, "offset": 0})
    page = data["storage_volume_list"]
    assert page["total_count"] == 1
    (item,) = page["items"]
    assert item["id"] == live.host and item["proxy"] == "local" and item["name"] == "volume1"
    assert item["backend"] == "vfs" and "vfolder" in item["capabilities"]
    assert item["path"] == str(live.volume_path)
    usage = json.loads(item["usage"])
    assert usage["capacity_bytes"] > 0 and 0 <= usage["used_bytes"] <= usage["capacity_bytes"]
    assert isinstance(json.loads(item["hardware_metadata"]), dict)

    one = (await gql_data(http, manager, STORAGE_ONE, {"id": live.host}))["storage_volume"]
    assert one["backend"] == "vfs" and json.loads(one["usage"])["capacity_bytes"] > 0
    # the vfs backend measures no I/O figures
    assert json.loads(one["performance_metric"]) == {}

    missing = await gql(http, manager, STORAGE_ONE, {"id": "local:nosuch"})
    assert any("No storage volume" in m for m in error_messages(missing)), missing


async def test_a_new_proxy_is_found_without_restart(
    http: aiohttp.ClientSession, manager: RunningManager, live: StorageProxy, etcd: EtcdClient
) -> None:
    # a second name for the same proxy, added while the manager runs
    await etcd.put_prefix(
        "volumes/proxies/extra",
        {"client_api": live.client_api, "manager_api": live.manager_api, "secret": live.secret},
    )
    data = await gql_data(http, manager, STORAGE_LIST, {"limit": 10, "offset": 0})
    ids = [i["id"] for i in data["storage_volume_list"]["items"]]
    assert ids == ["extra:volume1", "local:volume1"]
    status, body = await rest_get(http, manager, "/folders/_/all_hosts")
    assert status == 200 and body["allowed"] == ["extra:volume1", "local:volume1"]
    proxy, volume = await manager.root.storage_proxies.resolve("extra:volume1")
    assert volume == "volume1" and proxy.client_api == live.client_api


async def test_a_proxy_that_does_not_answer(
    http: aiohttp.ClientSession, manager: RunningManager, live: StorageProxy, etcd: EtcdClient
) -> None:
    dead = f"http://127.0.0.1:{free_port()}"
    await etcd.put("volumes/proxies/local/manager_api", dead)
    manager.root.storage_proxies.invalidate()

    # lists go on: the host is still offered, with unknown backend and usage
    status, body = await rest_get(http, manager, "/folders/_/hosts", keys=USER)
    assert status == 200, body
    assert body["default"] == live.host and body["allowed"] == [live.host]
    assert body["volume_info"][live.host] == {
        "backend": None,
        "capabilities": [],
        "usage": {},
        "sftp_scaling_groups": [],
    }
    data = await gql_data(http, manager, STORAGE_LIST, {"limit": 10, "offset": 0})
    (item,) = data["storage_volume_list"]["items"]
    assert item["id"] == live.host and item["backend"] is None and item["usage"] is None

    # one volume: a clear error naming the proxy
    result = await gql(http, manager, STORAGE_ONE, {"id": live.host})
    messages = error_messages(result)
    assert any("storage proxy 'local' is not available" in m and dead in m for m in messages), (
        result
    )
    # once, naming the proxy, the operation, the cause and the address tried
    assert len(messages) == 1, result
    assert messages[0].startswith("storage proxy 'local' is not available (get_volumes): ")
    assert "Connect call failed" in messages[0] and messages[0].endswith(f"({dead})")
