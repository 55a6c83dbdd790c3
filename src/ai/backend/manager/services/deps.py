"""What the administration services are built from: wired once, in server.py."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncEngine

from ai.backend.manager.bgtask import BackgroundTaskRegistry
from ai.backend.manager.clients.etcd import EtcdClient
from ai.backend.manager.clients.storage_proxy import StorageProxyPool
from ai.backend.manager.config.local import ManagerLocalConfig
from ai.backend.manager.repositories.keypair import KeypairCache
from ai.backend.manager.repositories.resource_preset.cache import CheckPresetsCache


@dataclass(frozen=True)
class AdminDeps:
    config: ManagerLocalConfig
    db: AsyncEngine
    etcd: EtcdClient
    # verified keypairs cached for authentication: drop entries when keypairs or users change
    keypair_cache: KeypairCache
    # `check-presets` answers: dropped when allocations, agents or presets change
    check_presets_cache: CheckPresetsCache
    # the storage proxies of etcd's `volumes/proxies/...` (folders, volumes, files)
    storage_proxies: StorageProxyPool
    # runs long operations (image rescans) as tasks clients follow; None: not available
    bgtasks: BackgroundTaskRegistry | None = None
