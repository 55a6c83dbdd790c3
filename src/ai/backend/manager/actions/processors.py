"""The processors of every operation, grouped by what they act on; built once in server.py."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ai.backend.manager.actions.announcement import (
    GetAnnouncementAction,
    UpdateAnnouncementAction,
)
from ai.backend.manager.actions.base import ActionProcessor
from ai.backend.manager.actions.session import (
    CompleteCodeAction,
    CreateSessionAction,
    CreateSessionResult,
    DestroySessionAction,
    DownloadSessionFileAction,
    DownloadSessionFilesAction,
    ExecuteCodeAction,
    GetSessionByIdAction,
    GetSessionInfoAction,
    GetSessionLogsAction,
    GetSessionsByIdsAction,
    InterruptSessionAction,
    ListSessionFilesAction,
    ListSessionsAction,
    RenameSessionAction,
    RestartSessionAction,
    UploadSessionFilesAction,
)
from ai.backend.manager.data.session import SessionRecord
from ai.backend.manager.metrics.registry import ManagerMetrics
from ai.backend.manager.services.agent.processors import AgentProcessors
from ai.backend.manager.services.announcement.service import Announcement, AnnouncementService
from ai.backend.manager.services.container_registry.processors import (
    ContainerRegistryProcessors,
    build_container_registry_processors,
)
from ai.backend.manager.services.deps import AdminDeps
from ai.backend.manager.services.domain.processors import (
    DomainProcessors,
    build_domain_processors,
)
from ai.backend.manager.services.group.processors import GroupProcessors, build_group_processors
from ai.backend.manager.services.image.processors import ImageProcessors, build_image_processors
from ai.backend.manager.services.keypair.processors import (
    KeypairProcessors,
    build_keypair_processors,
)
from ai.backend.manager.services.resource_policy.processors import (
    ResourcePolicyProcessors,
    build_resource_policy_processors,
)
from ai.backend.manager.services.resource_preset.processors import (
    ResourcePresetProcessors,
    build_resource_preset_processors,
)
from ai.backend.manager.services.scaling_group.processors import (
    ScalingGroupProcessors,
    build_scaling_group_processors,
)
from ai.backend.manager.services.session.service import SessionService
from ai.backend.manager.services.storage.processors import (
    StorageProcessors,
    build_storage_processors,
)
from ai.backend.manager.services.usage.processors import UsageProcessors, build_usage_processors
from ai.backend.manager.services.user.processors import UserProcessors, build_user_processors
from ai.backend.manager.services.vfolder.processors import (
    VFolderProcessors,
    build_vfolder_processors,
)
from ai.backend.manager.services.vfolder.service import VFolderService
from ai.backend.manager.services.vfolder_sharing.processors import (
    VFolderSharingProcessors,
    build_vfolder_sharing_processors,
)
from ai.backend.manager.services.vfolder_sharing.service import VFolderSharingService


@dataclass(frozen=True)
class AnnouncementProcessors:
    get: ActionProcessor[GetAnnouncementAction, Announcement]
    update: ActionProcessor[UpdateAnnouncementAction, Announcement]


@dataclass(frozen=True)
class SessionProcessors:
    create: ActionProcessor[CreateSessionAction, CreateSessionResult]
    get_info: ActionProcessor[GetSessionInfoAction, SessionRecord]
    get_by_id: ActionProcessor[GetSessionByIdAction, SessionRecord | None]
    get_many_by_ids: ActionProcessor[GetSessionsByIdsAction, list[SessionRecord | None]]
    list: ActionProcessor[ListSessionsAction, tuple[list[SessionRecord], int]]
    destroy: ActionProcessor[DestroySessionAction, SessionRecord]
    rename: ActionProcessor[RenameSessionAction, None]
    restart: ActionProcessor[RestartSessionAction, None]
    interrupt: ActionProcessor[InterruptSessionAction, dict[str, Any]]
    complete: ActionProcessor[CompleteCodeAction, Any]
    execute: ActionProcessor[ExecuteCodeAction, dict[str, Any]]
    get_logs: ActionProcessor[GetSessionLogsAction, str]
    list_files: ActionProcessor[ListSessionFilesAction, dict[str, Any]]
    upload_files: ActionProcessor[UploadSessionFilesAction, None]
    download_files: ActionProcessor[DownloadSessionFilesAction, Sequence[bytes]]
    download_single: ActionProcessor[DownloadSessionFileAction, bytes]


@dataclass(frozen=True)
class Processors:
    announcement: AnnouncementProcessors
    session: SessionProcessors
    agent: AgentProcessors
    # the administration areas: each builds its own repositories and service from AdminDeps
    domain: DomainProcessors
    group: GroupProcessors
    scaling_group: ScalingGroupProcessors
    user: UserProcessors
    keypair: KeypairProcessors
    resource_policy: ResourcePolicyProcessors
    image: ImageProcessors
    container_registry: ContainerRegistryProcessors
    storage: StorageProcessors
    resource_preset: ResourcePresetProcessors
    usage: UsageProcessors
    vfolder: VFolderProcessors
    vfolder_sharing: VFolderSharingProcessors


@dataclass(frozen=True)
class Services:
    announcement: AnnouncementService
    session: SessionService
    vfolder: VFolderService
    vfolder_sharing: VFolderSharingService


def build_processors(
    services: Services, agent: AgentProcessors, deps: AdminDeps, metrics: ManagerMetrics
) -> Processors:
    session = services.session
    return Processors(
        agent=agent,
        domain=build_domain_processors(deps, metrics),
        group=build_group_processors(deps, metrics),
        scaling_group=build_scaling_group_processors(deps, metrics),
        user=build_user_processors(deps, metrics),
        keypair=build_keypair_processors(deps, metrics),
        resource_policy=build_resource_policy_processors(deps, metrics),
        image=build_image_processors(deps, metrics),
        container_registry=build_container_registry_processors(deps, metrics),
        storage=build_storage_processors(deps, metrics),
        resource_preset=build_resource_preset_processors(deps, metrics),
        usage=build_usage_processors(deps, metrics),
        vfolder=build_vfolder_processors(services.vfolder, metrics),
        vfolder_sharing=build_vfolder_sharing_processors(services.vfolder_sharing, metrics),
        announcement=AnnouncementProcessors(
            get=ActionProcessor(services.announcement.get, metrics=metrics),
            update=ActionProcessor(services.announcement.update, metrics=metrics),
        ),
        session=SessionProcessors(
            create=ActionProcessor(session.create, metrics=metrics),
            get_info=ActionProcessor(session.get_info, metrics=metrics),
            get_by_id=ActionProcessor(session.get_by_id, metrics=metrics),
            get_many_by_ids=ActionProcessor(session.get_many_by_ids, metrics=metrics),
            list=ActionProcessor(session.list_sessions, metrics=metrics),
            destroy=ActionProcessor(session.destroy, metrics=metrics),
            rename=ActionProcessor(session.rename, metrics=metrics),
            restart=ActionProcessor(session.restart, metrics=metrics),
            interrupt=ActionProcessor(session.interrupt, metrics=metrics),
            complete=ActionProcessor(session.complete, metrics=metrics),
            execute=ActionProcessor(session.execute, metrics=metrics),
            get_logs=ActionProcessor(session.get_logs, metrics=metrics),
            list_files=ActionProcessor(session.list_files, metrics=metrics),
            upload_files=ActionProcessor(session.upload_files, metrics=metrics),
            download_files=ActionProcessor(session.download_files, metrics=metrics),
            download_single=ActionProcessor(session.download_single, metrics=metrics),
        ),
    )
