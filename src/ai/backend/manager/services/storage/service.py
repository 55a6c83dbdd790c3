"""Storage volumes and the virtual folder hosts a caller may use.

Volumes are what the storage proxies of etcd's `volumes/proxies/...` report (`GET /volumes`),
asked live at each request. A proxy declared without a manager API keeps the volumes etcd
declares for it (`volumes/proxies/<p>/volumes/...`, for setups without proxies), and the
default host counts as a volume until its proxy says otherwise.

A proxy that does not answer does not fail the lists: its known volumes (the default host,
the hosts granted to the caller) are listed with unknown backend and usage, and a warning
is logged. Reading one volume of such a proxy (`storage_volume(id)`) fails with 503.

Only superadmins may list or read volumes and all hosts (as in the reference manager). Any
user may ask which folder hosts they may use: the hosts allowed to their domain, their
projects and their keypair resource policy, narrowed to the known volumes.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from collections.abc import Iterable

from ai.backend.manager.actions.storage import (
    GetStorageVolumeAction,
    ListAllFolderHostsAction,
    ListFolderHostsAction,
    ListStorageVolumesAction,
    ListVFolderTypesAction,
)
from ai.backend.manager.clients.storage_proxy import StorageProxyClient, StorageProxyPool
from ai.backend.manager.data.storage import (
    AllFolderHosts,
    FolderHosts,
    FSUsage,
    HostVolumeInfo,
    StorageProxiesConfig,
    VolumeConfig,
    VolumeRecord,
)
from ai.backend.manager.errors.base import InvalidAPIParameters, PermissionDenied
from ai.backend.manager.errors.storage import (
    StorageProxyError,
    StorageProxyUnavailable,
    StorageVolumeNotFound,
)
from ai.backend.manager.repositories.storage import StorageRepository
from ai.backend.manager.services.auth.types import AuthenticatedUser

log = logging.getLogger(__name__)


def _require_superadmin(requester: AuthenticatedUser, what: str = "read storage volumes") -> None:
    if not requester.is_superadmin:
        raise PermissionDenied(f"superadmin privilege required to {what}")


@dataclasses.dataclass(frozen=True)
class _Volumes:
    """Every known volume by id, and the proxies that did not answer (with why)."""

    volumes: dict[str, VolumeRecord]
    down: dict[str, StorageProxyUnavailable | StorageProxyError]
    static: VolumeConfig
    proxies: StorageProxiesConfig

    def sorted(self) -> list[VolumeRecord]:
        return [self.volumes[key] for key in sorted(self.volumes)]


class StorageService:
    def __init__(self, repository: StorageRepository, proxies: StorageProxyPool) -> None:
        self._repository = repository
        self._proxies = proxies

    # --- what the proxies report -------------------------------------------------------------

    async def _proxy_volumes(
        self, client: StorageProxyClient
    ) -> list[VolumeRecord] | StorageProxyUnavailable | StorageProxyError:
        try:
            reported = await client.get_volumes()
        except (StorageProxyUnavailable, StorageProxyError) as e:
            log.warning("storage proxy %s: cannot list its volumes: %s", client.name, e)
            return e
        sftp = client.info.sftp_scaling_groups
        return [
            VolumeRecord(
                proxy=v.proxy,
                name=v.name,
                backend=v.backend,
                path=v.path,
                fsprefix=v.fsprefix,
                capabilities=v.capabilities,
                live=True,
                sftp_scaling_groups=sftp,
            )
            for v in reported
        ]

    async def _volumes(self) -> _Volumes:
        static = await self._repository.volume_config()
        config = await self._proxies.config(refresh=True)
        clients = await self._proxies.clients()
        answers = await asyncio.gather(*(self._proxy_volumes(c) for c in clients))
        volumes: dict[str, VolumeRecord] = {}
        down: dict[str, StorageProxyUnavailable | StorageProxyError] = {}
        for client, answer in zip(clients, answers, strict=True):
            if isinstance(answer, StorageProxyUnavailable | StorageProxyError):
                down[client.name] = answer
            else:
                volumes.update((v.id, v) for v in answer)
        for declared in static.volumes:
            if declared.proxy in config.proxies and declared.proxy not in down:
                continue  # the proxy answered: what it reports is the truth
            if declared.proxy in down:
                declared = dataclasses.replace(
                    declared, backend=None, capabilities=(), unavailable=str(down[declared.proxy])
                )
            volumes.setdefault(declared.id, declared)
        return _Volumes(volumes=volumes, down=down, static=static, proxies=config)

    async def _fill(
        self,
        volume: VolumeRecord,
        *,
        usage: bool,
        hardware: bool,
        performance: bool,
    ) -> VolumeRecord:
        """Ask the volume's proxy for the figures asked for; what fails stays unknown."""
        if not volume.live or not (usage or hardware or performance):
            return volume
        client = await self._proxies.client(volume.proxy)
        fs_usage, hwinfo, metric = volume.usage, volume.hardware_metadata, volume.performance_metric
        try:
            if usage:
                fs_usage = await client.get_fs_usage(volume.name)
            if hardware:
                hwinfo = await client.get_hwinfo(volume.name)
        except (StorageProxyUnavailable, StorageProxyError) as e:
            log.warning("storage proxy %s: no figures for %s: %s", volume.proxy, volume.id, e)
        if performance:
            try:
                metric = await client.get_performance_metric(volume.name)
            except StorageProxyError:
                metric = {}  # the backend does not measure it
            except StorageProxyUnavailable as e:
                log.warning("storage proxy %s: no metric for %s: %s", volume.proxy, volume.id, e)
        return dataclasses.replace(
            volume, usage=fs_usage, hardware_metadata=hwinfo, performance_metric=metric
        )

    # --- operations --------------------------------------------------------------------------

    async def list_volumes(
        self, action: ListStorageVolumesAction
    ) -> tuple[list[VolumeRecord], int]:
        _require_superadmin(action.requester)
        if (action.limit is not None and action.limit < 0) or action.offset < 0:
            raise InvalidAPIParameters("`limit` and `offset` must not be negative")
        volumes = (await self._volumes()).sorted()
        end = None if action.limit is None else action.offset + action.limit
        page = volumes[action.offset : end]
        filled = await asyncio.gather(
            *(
                self._fill(
                    v,
                    usage=action.with_usage,
                    hardware=action.with_hardware_metadata,
                    performance=action.with_performance_metric,
                )
                for v in page
            )
        )
        return list(filled), len(volumes)

    async def get_volume(self, action: GetStorageVolumeAction) -> VolumeRecord:
        _require_superadmin(action.requester)
        known = await self._volumes()
        volume = known.volumes.get(action.volume_id)
        proxy = action.volume_id.partition(":")[0]
        if proxy in known.down:
            # its proxy did not answer: whether the volume exists is unknown
            raise known.down[proxy]
        if volume is None:
            raise StorageVolumeNotFound(f"No storage volume {action.volume_id!r}")
        return await self._fill(
            volume,
            usage=action.with_usage,
            hardware=action.with_hardware_metadata,
            performance=action.with_performance_metric,
        )

    async def list_folder_hosts(self, action: ListFolderHostsAction) -> FolderHosts:
        requester = action.requester
        known = await self._volumes()
        types = known.static.vfolder_types
        permitted = await self._repository.allowed_folder_hosts(
            user_uuid=requester.user_uuid,
            domain_name=requester.domain_name,
            resource_policy=requester.resource_policy,
            group_id=action.group_id,
            include_user_hosts="user" in types,
            include_group_hosts="group" in types,
        )
        if known.volumes or known.down:
            # a host of a proxy that did not answer may exist: keep it, with unknown usage
            permitted = {
                host: perms
                for host, perms in permitted.items()
                if host in known.volumes or host.partition(":")[0] in known.down
            }
        default = known.static.default_host if known.static.default_host in permitted else None
        allowed = sorted(permitted)
        infos = await asyncio.gather(
            *(self._host_info(host, known) for host in allowed if host in known.volumes)
        )
        volume_info = dict(infos)
        for host in allowed:
            if host not in volume_info and host.partition(":")[0] in known.down:
                volume_info[host] = HostVolumeInfo(backend=None, capabilities=(), usage={})
        return FolderHosts(
            default=default,
            allowed={host: sorted(permitted[host]) for host in allowed},
            volume_info=volume_info,
        )

    async def _host_info(self, host: str, known: _Volumes) -> tuple[str, HostVolumeInfo]:
        volume = known.volumes[host]
        exposed = known.proxies.exposed_volume_info
        usage: dict[str, float | int] = {}
        if volume.live and exposed:
            filled = await self._fill(volume, usage=True, hardware=False, performance=False)
            if filled.usage is not None:
                usage = _exposed_usage(filled.usage, exposed)
        return host, HostVolumeInfo(
            backend=volume.backend,
            capabilities=volume.capabilities,
            usage=usage,
            sftp_scaling_groups=volume.sftp_scaling_groups,
        )

    async def list_all_folder_hosts(self, action: ListAllFolderHostsAction) -> AllFolderHosts:
        _require_superadmin(action.requester, "list all folder hosts")
        known = await self._volumes()
        hosts = sorted(known.volumes)
        default = known.static.default_host if known.static.default_host in known.volumes else None
        return AllFolderHosts(default=default, allowed=hosts)

    async def list_vfolder_types(self, action: ListVFolderTypesAction) -> list[str]:
        """`volumes/_types/*` in etcd; `user` alone when none is configured."""
        return list((await self._repository.volume_config()).vfolder_types)


def _exposed_usage(usage: FSUsage, exposed: Iterable[str]) -> dict[str, float | int]:
    """The figures `volumes/exposed_volume_info` lets users see, named as the reference
    manager names them in `volume_info` (`percentage`, `used`, `total`)."""
    shown: dict[str, float | int] = {}
    exposed = set(exposed)
    if "used_bytes" in exposed:
        shown["used"] = usage.used_bytes
    if "capacity_bytes" in exposed:
        shown["total"] = usage.capacity_bytes
    if "percentage" in exposed:
        shown["percentage"] = usage.percentage
    return shown
