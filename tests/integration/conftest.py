"""A manager running in-process on the test session's database and etcd namespace."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

import aiohttp
import pytest_asyncio

from ai.backend.manager.config.local import ManagerLocalConfig
from ai.backend.manager.server import RootContext, running_manager


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
