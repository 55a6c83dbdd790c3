"""Read the storage proxies and folder settings from etcd's `volumes` subtree.

    volumes/proxies/<name>/{client_api,manager_api,secret,ssl_verify,sftp_scaling_groups}
    volumes/default_host          = <proxy>:<volume>
    volumes/_types/{user,group}   (present = that kind of folder may be created)
    volumes/exposed_volume_info   = percentage[,used_bytes,capacity_bytes]

A proxy without `manager_api` or `secret` is skipped (and logged), never fatal.
"""

from __future__ import annotations

import logging

from ai.backend.manager.clients.etcd.client import NestedStr
from ai.backend.manager.data.storage import StorageProxiesConfig, StorageProxyInfo

log = logging.getLogger(__name__)

EXPOSABLE_VOLUME_INFO = ("percentage", "used_bytes", "capacity_bytes")


def _text(value: str | NestedStr | None) -> str | None:
    if isinstance(value, dict):
        value = value.get("")
    if not isinstance(value, str):
        return None
    return value.strip() or None


def _flag(value: str | None, default: bool) -> bool:
    if value is None:
        return default
    return value.lower() not in ("false", "0", "no", "off")


def _csv(value: str | None) -> tuple[str, ...]:
    return tuple(item.strip() for item in (value or "").split(",") if item.strip())


def parse_proxies_config(tree: NestedStr) -> StorageProxiesConfig:
    proxies: dict[str, StorageProxyInfo] = {}
    declared = tree.get("proxies")
    if isinstance(declared, dict):
        for name, spec in sorted(declared.items()):
            if not name or not isinstance(spec, dict):
                continue
            manager_api = _text(spec.get("manager_api"))
            secret = _text(spec.get("secret"))
            if manager_api is None or secret is None:
                log.warning("etcd volumes/proxies/%s lacks manager_api or secret; skipped", name)
                continue
            proxies[name] = StorageProxyInfo(
                name=name,
                client_api=(_text(spec.get("client_api")) or "").rstrip("/"),
                manager_api=manager_api.rstrip("/"),
                secret=secret,
                ssl_verify=_flag(_text(spec.get("ssl_verify")), True),
                sftp_scaling_groups=_csv(_text(spec.get("sftp_scaling_groups"))),
            )
    types = tree.get("_types")
    vfolder_types = tuple(sorted(types)) if isinstance(types, dict) and types else ("user",)
    exposed = tuple(
        item
        for item in _csv(_text(tree.get("exposed_volume_info")))
        if item in EXPOSABLE_VOLUME_INFO
    )
    return StorageProxiesConfig(
        proxies=proxies,
        default_host=_text(tree.get("default_host")),
        vfolder_types=vfolder_types,
        exposed_volume_info=exposed,
    )
