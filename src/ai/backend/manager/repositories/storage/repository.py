"""Storage volumes from the shared configuration (etcd) and vfolder host permissions (SQL).

Until the manager talks to storage proxies, the volumes it knows are those etcd declares:

* `volumes/default_host` = `proxy:volume` (the default host; a volume by itself), and
* `volumes/proxies/{proxy}/volumes/{volume}/{backend,path,fsprefix,capabilities}`, an
  extension of the reference layout (`capabilities` comma-joined) for setups without proxies.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from ai.backend.manager.clients.etcd import EtcdClient, EtcdUnavailable
from ai.backend.manager.clients.etcd.client import NestedStr
from ai.backend.manager.data.storage import VolumeConfig, VolumeRecord
from ai.backend.manager.errors.base import ServiceUnavailable
from ai.backend.manager.models.domain import domains
from ai.backend.manager.models.group import association_groups_users, groups
from ai.backend.manager.models.resource_policy import keypair_resource_policies
from ai.backend.manager.repositories.db import begin_readonly

VOLUMES_PREFIX = "volumes"


def _text(value: str | NestedStr | None) -> str | None:
    if isinstance(value, dict):
        value = value.get("")
    if not isinstance(value, str):
        return None
    text = value.strip()
    return text or None


def _volumes_of_proxy(proxy: str, spec: str | NestedStr) -> list[VolumeRecord]:
    if not isinstance(spec, dict):
        return []
    declared = spec.get("volumes")
    if not isinstance(declared, dict):
        return []
    found: list[VolumeRecord] = []
    for name, volume in sorted(declared.items()):
        if not name:
            continue
        fields: NestedStr = volume if isinstance(volume, dict) else {}
        capabilities = _text(fields.get("capabilities")) or ""
        found.append(
            VolumeRecord(
                proxy=proxy,
                name=name,
                backend=_text(fields.get("backend")),
                path=_text(fields.get("path")),
                fsprefix=_text(fields.get("fsprefix")),
                capabilities=tuple(c.strip() for c in capabilities.split(",") if c.strip()),
            )
        )
    return found


def parse_volume_config(tree: NestedStr) -> VolumeConfig:
    """Read the `volumes` subtree; whatever is malformed is skipped, not fatal."""
    volumes: dict[str, VolumeRecord] = {}
    proxies = tree.get("proxies")
    if isinstance(proxies, dict):
        for proxy, spec in sorted(proxies.items()):
            for volume in _volumes_of_proxy(proxy, spec):
                volumes[volume.id] = volume
    default_host = _text(tree.get("default_host"))
    if default_host is not None and default_host not in volumes:
        proxy, sep, name = default_host.partition(":")
        if sep and proxy and name:
            volumes[default_host] = VolumeRecord(proxy=proxy, name=name)
    types = tree.get("_types")
    vfolder_types = tuple(sorted(types)) if isinstance(types, dict) and types else ("user",)
    return VolumeConfig(
        volumes=tuple(volumes[key] for key in sorted(volumes)),
        default_host=default_host,
        vfolder_types=vfolder_types,
    )


def _merge(target: dict[str, set[str]], hosts: Mapping[str, Any] | None) -> None:
    for host, permissions in (hosts or {}).items():
        granted = target.setdefault(str(host), set())
        if isinstance(permissions, list | tuple | set):
            granted.update(str(p) for p in permissions)


class StorageRepository:
    def __init__(self, engine: AsyncEngine, etcd: EtcdClient) -> None:
        self._engine = engine
        self._etcd = etcd

    async def volume_config(self) -> VolumeConfig:
        try:
            tree = await self._etcd.get_prefix(VOLUMES_PREFIX)
        except EtcdUnavailable as e:
            raise ServiceUnavailable(f"cannot read the volume configuration from etcd: {e}") from e
        return parse_volume_config(tree)

    async def allowed_folder_hosts(
        self,
        *,
        user_uuid: uuid.UUID,
        domain_name: str,
        resource_policy: str,
        group_id: uuid.UUID | None,
        include_user_hosts: bool,
        include_group_hosts: bool,
    ) -> dict[str, set[str]]:
        """The union of `allowed_vfolder_hosts` of the domain (if active), the user's active
        projects in it (or the one `group_id` names) and the keypair resource policy."""
        hosts: dict[str, set[str]] = {}
        async with begin_readonly(self._engine) as conn:
            _merge(
                hosts,
                await conn.scalar(
                    sa.select(domains.c.allowed_vfolder_hosts).where(
                        domains.c.name == domain_name, domains.c.is_active
                    )
                ),
            )
            project_conditions: list[sa.ColumnElement[bool]] = [
                groups.c.domain_name == domain_name,
                groups.c.is_active.is_not(False),
            ]
            if group_id is not None:
                project_conditions.append(groups.c.id == group_id)
            if include_user_hosts:
                member = sa.select(association_groups_users.c.group_id).where(
                    association_groups_users.c.user_id == user_uuid
                )
                query = sa.select(groups.c.allowed_vfolder_hosts).where(
                    *project_conditions, groups.c.id.in_(member)
                )
                for (value,) in (await conn.execute(query)).all():
                    _merge(hosts, value)
            if include_group_hosts and group_id is not None:
                query = sa.select(groups.c.allowed_vfolder_hosts).where(*project_conditions)
                for (value,) in (await conn.execute(query)).all():
                    _merge(hosts, value)
            _merge(
                hosts,
                await conn.scalar(
                    sa.select(keypair_resource_policies.c.allowed_vfolder_hosts).where(
                        keypair_resource_policies.c.name == resource_policy
                    )
                ),
            )
        return hosts
