"""The manager's storage proxies, as etcd's `volumes` subtree declares them.

Built once in server.py and closed on shutdown:

    pool = StorageProxyPool(etcd, StorageProxySettings())
    proxy, volume = await pool.resolve("local:volume1")
    await proxy.create_folder(volume, vfid)
    ...
    await pool.close()

The configuration is read from etcd on demand and reused for `config_ttl` seconds, so a proxy
an operator adds (or a changed address or secret) is picked up without restarting the manager.
All proxies share one aiohttp session; each has its own small client object.
"""

from __future__ import annotations

import asyncio
import time

import aiohttp

from ai.backend.manager.clients.etcd import EtcdClient, EtcdUnavailable
from ai.backend.manager.clients.storage_proxy.client import StorageProxyClient
from ai.backend.manager.clients.storage_proxy.config import parse_proxies_config
from ai.backend.manager.clients.storage_proxy.settings import StorageProxySettings
from ai.backend.manager.data.storage import StorageProxiesConfig
from ai.backend.manager.errors.base import ServiceUnavailable
from ai.backend.manager.errors.storage import InvalidFolderHost

VOLUMES_PREFIX = "volumes"


def split_host(host: str) -> tuple[str, str]:
    """`proxy:volume` -> `(proxy, volume)`; anything else is an InvalidFolderHost."""
    proxy, sep, volume = host.partition(":")
    if not sep or not proxy or not volume:
        raise InvalidFolderHost(f"a folder host is `<proxy>:<volume>`, not {host!r}")
    return proxy, volume


class StorageProxyPool:
    def __init__(self, etcd: EtcdClient, settings: StorageProxySettings | None = None) -> None:
        self._etcd = etcd
        self.settings = settings or StorageProxySettings()
        self._config: StorageProxiesConfig | None = None
        self._config_read_at = 0.0
        self._config_lock = asyncio.Lock()
        self._session: aiohttp.ClientSession | None = None
        self._clients: dict[str, StorageProxyClient] = {}
        self._closed = False

    # --- configuration -----------------------------------------------------------------------

    async def config(self, *, refresh: bool = False) -> StorageProxiesConfig:
        """The `volumes` configuration, read again when older than `config_ttl` seconds."""
        fresh = time.monotonic() - self._config_read_at < self.settings.config_ttl
        if self._config is not None and fresh and not refresh:
            return self._config
        async with self._config_lock:
            fresh = time.monotonic() - self._config_read_at < self.settings.config_ttl
            if self._config is not None and fresh and not refresh:
                return self._config
            try:
                tree = await self._etcd.get_prefix(VOLUMES_PREFIX)
            except EtcdUnavailable as e:
                raise ServiceUnavailable(
                    f"cannot read the storage proxy configuration from etcd: {e}"
                ) from e
            self._config = parse_proxies_config(tree)
            self._config_read_at = time.monotonic()
            return self._config

    def invalidate(self) -> None:
        """Read etcd again at the next call (e.g. after writing `volumes/...`)."""
        self._config_read_at = 0.0

    # --- clients -----------------------------------------------------------------------------

    def _http(self) -> aiohttp.ClientSession:
        if self._closed:
            raise ServiceUnavailable("the storage proxy pool is closed")
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=64, limit_per_host=16),
                raise_for_status=False,
            )
        return self._session

    async def clients(self) -> list[StorageProxyClient]:
        """A client for every configured proxy, in name order."""
        config = await self.config()
        return [self._client_for(name, config) for name in sorted(config.proxies)]

    async def client(self, proxy: str) -> StorageProxyClient:
        """The client of a configured proxy; a proxy missing from the cached configuration
        makes it read etcd again first (one an operator just added is found at once)."""
        config = await self.config()
        if proxy not in config.proxies:
            config = await self.config(refresh=True)
        return self._client_for(proxy, config)

    def _client_for(self, proxy: str, config: StorageProxiesConfig) -> StorageProxyClient:
        info = config.proxies.get(proxy)
        if info is None:
            raise InvalidFolderHost(f"no storage proxy {proxy!r} is configured (etcd volumes/)")
        current = self._clients.get(proxy)
        session = self._http()
        if current is None or current.info != info or current._session is not session:
            current = StorageProxyClient(info, session, self.settings)
            self._clients[proxy] = current
        return current

    async def resolve(self, host: str) -> tuple[StorageProxyClient, str]:
        """A folder host `proxy:volume` -> (the proxy's client, the volume's name)."""
        proxy, volume = split_host(host)
        return await self.client(proxy), volume

    async def client_api_url(self, proxy_or_host: str) -> str:
        """The proxy's client-facing URL (for upload/download); takes a proxy or a host."""
        proxy = proxy_or_host.partition(":")[0]
        client = await self.client(proxy)
        if not client.client_api:
            raise ServiceUnavailable(f"storage proxy {proxy!r} has no client_api in etcd")
        return client.client_api

    async def close(self) -> None:
        self._closed = True
        self._clients.clear()
        if self._session is not None and not self._session.closed:
            await self._session.close()
        self._session = None
