"""The manager's client of storage proxies' manager API (backend.ai-storage-proxy 26.9.6)."""

from ai.backend.manager.clients.storage_proxy.client import AUTH_HEADER, StorageProxyClient
from ai.backend.manager.clients.storage_proxy.config import parse_proxies_config
from ai.backend.manager.clients.storage_proxy.pool import StorageProxyPool, split_host
from ai.backend.manager.clients.storage_proxy.settings import (
    StorageProxySettings,
    StorageProxyTimeouts,
)
from ai.backend.manager.data.storage import QuotaScopeID, VFolderID

__all__ = [
    "AUTH_HEADER",
    "QuotaScopeID",
    "StorageProxyClient",
    "StorageProxyPool",
    "StorageProxySettings",
    "StorageProxyTimeouts",
    "VFolderID",
    "parse_proxies_config",
    "split_host",
]
