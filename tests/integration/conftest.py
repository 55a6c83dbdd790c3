"""A manager running in-process on the test session's database and etcd namespace, and the
real storage proxy registered in that namespace (`storage_proxy`)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

import aiohttp
import pytest
import pytest_asyncio

from ai.backend.manager.config.local import ManagerLocalConfig
from ai.backend.manager.server import RootContext, running_manager
from tests.conftest import ETCD_ADDR
from tests.storage_proxy_harness import (
    StorageProxy,
    require_storage_proxy_venv,
    running_storage_proxy,
)


@dataclass(frozen=True)
class RunningManager:
    root: RootContext
    base_url: str
    metrics_url: str
    host: str


@pytest_asyncio.fixture(scope="session")
async def manager(manager_config: ManagerLocalConfig) -> AsyncIterator[RunningManager]:
    async with running_manager(manager_config) as root:
        svc = manager_config.manager.service_addr
        internal = manager_config.manager.internal_addr
        yield RunningManager(
            root=root,
            base_url=f"http://{svc.host}:{svc.port}",
            metrics_url=f"http://{internal.host}:{internal.port}/metrics",
            host=f"{svc.host}:{svc.port}",
        )


@pytest_asyncio.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


@pytest_asyncio.fixture(scope="session")
async def storage_proxy(
    etcd_namespace: str, redis_port: int, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[StorageProxy]:
    """The real storage proxy (vfs, volume `local:volume1` in a temp dir) on free ports, with
    `volumes/...` of the session's etcd namespace pointing at it (the `manager` reads it on
    demand: `manager.root.storage_proxies.invalidate()` skips its few-second cache)."""
    require_storage_proxy_venv()
    async with running_storage_proxy(
        workdir=tmp_path_factory.mktemp("storage-proxy"),
        etcd_addr=str(ETCD_ADDR),
        namespace=etcd_namespace,
        redis_port=redis_port,
    ) as proxy:
        yield proxy
