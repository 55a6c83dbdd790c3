"""Operations on storage volumes and the virtual folder hosts a caller may use."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import ClassVar

from ai.backend.manager.actions.base import Action
from ai.backend.manager.services.auth.types import AuthenticatedUser


@dataclass(frozen=True, kw_only=True)
class ListStorageVolumesAction(Action):
    entity_type: ClassVar[str] = "storage_volume"
    operation_type: ClassVar[str] = "search"

    requester: AuthenticatedUser
    limit: int | None = None
    offset: int = 0
    # ask the proxies for these figures of each volume of the page (only when selected)
    with_usage: bool = False
    with_hardware_metadata: bool = False
    with_performance_metric: bool = False


@dataclass(frozen=True, kw_only=True)
class GetStorageVolumeAction(Action):
    entity_type: ClassVar[str] = "storage_volume"
    operation_type: ClassVar[str] = "get"

    requester: AuthenticatedUser
    volume_id: str  # `proxy:volume`
    with_usage: bool = False
    with_hardware_metadata: bool = False
    with_performance_metric: bool = False


@dataclass(frozen=True, kw_only=True)
class ListFolderHostsAction(Action):
    """The vfolder hosts the requester may use (`GET /folders/_/hosts`); `group_id` narrows
    the projects considered to one."""

    entity_type: ClassVar[str] = "vfolder_host"
    operation_type: ClassVar[str] = "search"

    requester: AuthenticatedUser
    group_id: uuid.UUID | None = None


@dataclass(frozen=True, kw_only=True)
class ListAllFolderHostsAction(Action):
    """Every folder host the storage proxies offer (`GET /folders/_/all_hosts`; superadmin)."""

    entity_type: ClassVar[str] = "vfolder_host"
    operation_type: ClassVar[str] = "search"

    requester: AuthenticatedUser


@dataclass(frozen=True, kw_only=True)
class ListVFolderTypesAction(Action):
    """Which kinds of virtual folders may be created (`user`, `group`)."""

    entity_type: ClassVar[str] = "vfolder_type"
    operation_type: ClassVar[str] = "search"

    requester: AuthenticatedUser
