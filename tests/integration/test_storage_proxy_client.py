"""The manager's storage proxy client against the real proxy (backend.ai-storage-proxy 26.9.6)."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import jwt
import pytest
import pytest_asyncio

from ai.backend.manager.clients.etcd import EtcdClient
from ai.backend.manager.clients.storage_proxy import (
    QuotaScopeID,
    StorageProxyPool,
    StorageProxySettings,
    StorageProxyTimeouts,
    VFolderID,
)
from ai.backend.manager.data.storage import StorageProxyInfo
from ai.backend.manager.errors.storage import (
    InvalidFolderHost,
    StorageProxyAuthFailed,
    StorageProxyBadRequest,
    StorageProxyUnavailable,
)
from tests.conftest import ETCD_ADDR, free_port
from tests.storage_proxy_harness import StorageProxy

pytestmark = pytest.mark.asyncio(loop_scope="session")


@pytest_asyncio.fixture(loop_scope="session")
async def pool(storage_proxy: StorageProxy, etcd_namespace: str) -> AsyncIterator[StorageProxyPool]:
    etcd = EtcdClient(host=ETCD_ADDR.host, port=ETCD_ADDR.port, namespace=etcd_namespace)
    pool = StorageProxyPool(etcd)
    try:
        yield pool
    finally:
        await pool.close()


def new_vfid() -> VFolderID:
    return VFolderID(QuotaScopeID.of_user(uuid.uuid4()), uuid.uuid4())


def folder_dir(proxy: StorageProxy, vfid: VFolderID) -> Path:
    """Where the vfs backend keeps a folder: <volume>/<quota scope uuid hex>/<2>/<2>/<rest>."""
    hexid = vfid.folder_id.hex
    return (
        proxy.volume_path / vfid.quota_scope_id.scope_id.hex / hexid[0:2] / hexid[2:4] / hexid[4:]
    )


async def test_config_from_etcd(pool: StorageProxyPool, storage_proxy: StorageProxy) -> None:
    config = await pool.config()
    assert config.default_host == storage_proxy.host
    assert set(config.vfolder_types) == {"user", "group"}
    assert config.exposed_volume_info == ("percentage",)
    info = config.proxies[storage_proxy.name]
    assert info.manager_api == storage_proxy.manager_api
    assert info.client_api == storage_proxy.client_api
    assert info.ssl_verify is False
    assert await pool.client_api_url(storage_proxy.host) == storage_proxy.client_api


async def test_volumes_and_fs_usage(pool: StorageProxyPool, storage_proxy: StorageProxy) -> None:
    proxy, volume = await pool.resolve(storage_proxy.host)
    assert volume == storage_proxy.volume
    volumes = await proxy.get_volumes()
    assert [(v.host, v.backend) for v in volumes] == [(storage_proxy.host, "vfs")]
    assert "vfolder" in volumes[0].capabilities
    usage = await proxy.get_fs_usage(volume)
    assert usage.capacity_bytes > 0
    assert 0 <= usage.used_bytes <= usage.capacity_bytes


async def test_folder_lifecycle(pool: StorageProxyPool, storage_proxy: StorageProxy) -> None:
    proxy, volume = await pool.resolve(storage_proxy.host)
    vfid = new_vfid()
    await proxy.create_folder(volume, vfid)
    assert folder_dir(storage_proxy, vfid).is_dir()

    mount = await proxy.get_mount_path(volume, vfid)
    assert Path(mount) == folder_dir(storage_proxy, vfid)
    # the vfs backend checks the subpath but answers the folder's root: callers append it
    assert Path(await proxy.get_mount_path(volume, vfid, "sub")) == Path(mount)
    with pytest.raises(StorageProxyBadRequest):
        await proxy.get_mount_path(volume, vfid, "../../escape")

    result = await proxy.mkdir(volume, vfid, ["a/b", "c"], parents=True, exist_ok=False)
    assert sorted(r.item for r in result.succeeded) == ["a/b", "c"]
    assert result.failed == ()
    again = await proxy.mkdir(volume, vfid, "c", parents=True, exist_ok=False)
    assert again.succeeded == () and [r.item for r in again.failed] == ["c"]

    (Path(mount) / "hello.txt").write_bytes(b"hello world")
    entries = {e.name: e for e in await proxy.list_files(volume, vfid, ".")}
    assert set(entries) == {"a", "c", "hello.txt"}
    assert entries["a"].type == "DIRECTORY"
    assert entries["hello.txt"].type == "FILE" and entries["hello.txt"].size == 11
    assert [e.name for e in await proxy.list_files(volume, vfid, "a")] == ["b"]

    await proxy.rename_file(volume, vfid, "hello.txt", "hi.txt")
    await proxy.move_file(volume, vfid, "hi.txt", "a/hi.txt")
    assert (Path(mount) / "a" / "hi.txt").read_bytes() == b"hello world"
    usage = await proxy.get_folder_usage(volume, vfid)
    assert usage.used_bytes >= 11 and usage.file_count >= 1
    assert await proxy.get_used_bytes(volume, vfid) >= 11

    token = await proxy.create_upload_session(volume, vfid, "up/file.bin", 1234)
    claims = jwt.decode(token, options={"verify_signature": False})
    assert claims["op"] == "upload" and claims["vfid"] == str(vfid)
    assert claims["relpath"] == "up/file.bin" and claims["size"] == 1234
    token = await proxy.create_download_session(volume, vfid, "a/hi.txt")
    claims = jwt.decode(token, options={"verify_signature": False})
    assert claims["op"] == "download" and claims["relpath"] == "a/hi.txt"

    await proxy.delete_files(volume, vfid, ["a"], recursive=True)
    # `.upload` holds the upload session prepared above
    assert {e.name for e in await proxy.list_files(volume, vfid, ".")} == {"c", ".upload"}

    await proxy.delete_folder(volume, vfid)
    # the proxy deletes in the background
    for _ in range(100):
        if not folder_dir(storage_proxy, vfid).exists():
            break
        await asyncio.sleep(0.1)
    assert not folder_dir(storage_proxy, vfid).exists()


async def test_quota_scope(pool: StorageProxyPool, storage_proxy: StorageProxy) -> None:
    proxy, volume = await pool.resolve(storage_proxy.host)
    qsid = QuotaScopeID.of_project(uuid.uuid4())
    await proxy.create_quota_scope(volume, qsid, None)
    usage = await proxy.get_quota_scope(volume, qsid)
    assert usage.limit_bytes is None or usage.limit_bytes >= 0


async def test_proxy_errors_are_typed(pool: StorageProxyPool, storage_proxy: StorageProxy) -> None:
    proxy, volume = await pool.resolve(storage_proxy.host)
    missing = new_vfid()
    with pytest.raises(StorageProxyBadRequest) as info:
        await proxy.get_mount_path(volume, missing)
    assert info.value.status_code == 400
    assert info.value.proxy_status == 400
    assert "not found" in info.value.proxy_title.lower()
    vfid = new_vfid()
    await proxy.create_folder(volume, vfid)
    with pytest.raises(StorageProxyBadRequest):
        await proxy.list_files(volume, vfid, "no/such/dir")
    with pytest.raises(StorageProxyBadRequest) as info:
        await proxy.list_files(volume, vfid, "../../etc")
    assert info.value.problem()["data"]["proxy_status"] == 400
    with pytest.raises(InvalidFolderHost):
        await pool.resolve("nosuchproxy:volume1")
    with pytest.raises(InvalidFolderHost):
        await pool.resolve("no-colon")


async def test_wrong_secret_is_a_gateway_error(storage_proxy: StorageProxy) -> None:
    import aiohttp

    from ai.backend.manager.clients.storage_proxy import StorageProxyClient

    info = StorageProxyInfo(
        name="local",
        client_api=storage_proxy.client_api,
        manager_api=storage_proxy.manager_api,
        secret="not-the-secret",
        ssl_verify=False,
    )
    async with aiohttp.ClientSession() as session:
        client = StorageProxyClient(info, session, StorageProxySettings())
        with pytest.raises(StorageProxyAuthFailed) as caught:
            await client.get_volumes()
    assert caught.value.status_code == 502
    assert caught.value.proxy_status == 403


async def test_proxy_down_is_unavailable() -> None:
    import aiohttp

    from ai.backend.manager.clients.storage_proxy import StorageProxyClient

    port = free_port()  # nothing listens there
    info = StorageProxyInfo(
        name="gone",
        client_api=f"http://127.0.0.1:{port}",
        manager_api=f"http://127.0.0.1:{port}",
        secret="x",
    )
    settings = StorageProxySettings(
        timeouts=StorageProxyTimeouts(connect=0.5, query=1.0),
        retry_attempts=2,
        retry_initial_wait=0.05,
    )
    async with aiohttp.ClientSession() as session:
        client = StorageProxyClient(info, session, settings)
        with pytest.raises(StorageProxyUnavailable) as caught:
            await client.get_volumes()
    error = caught.value
    assert error.status_code == 503
    problem = error.problem()
    assert problem["type"].endswith("/storage-proxy-unavailable")
    assert "gone" in problem["msg"] and str(port) in problem["msg"]
