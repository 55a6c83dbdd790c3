"""The processors of folder sharing and cloning (REST handlers run them)."""

from __future__ import annotations

from dataclasses import dataclass

from ai.backend.manager.actions.base import ActionProcessor
from ai.backend.manager.actions.vfolder_sharing import (
    AcceptInvitationAction,
    ChangeVFolderOwnershipAction,
    CloneVFolderAction,
    DeleteInvitationAction,
    InviteVFolderAction,
    LeaveVFolderAction,
    ListInvitationsAction,
    ListSentInvitationsAction,
    ListSharedVFoldersAction,
    SettleCloneAction,
    ShareVFolderAction,
    UnshareVFolderAction,
    UpdateInvitationAction,
    UpdateSharedVFolderAction,
    UpdateSharingStatusAction,
)
from ai.backend.manager.bgtask import BackgroundTaskRegistry, TaskEvents
from ai.backend.manager.data.vfolder_sharing import CloneStarted, InvitationRecord, SharedEntry
from ai.backend.manager.metrics.registry import ManagerMetrics
from ai.backend.manager.repositories.storage import StorageRepository
from ai.backend.manager.repositories.vfolder import VFolderRepository
from ai.backend.manager.repositories.vfolder_sharing import VFolderSharingRepository
from ai.backend.manager.services.deps import AdminDeps
from ai.backend.manager.services.vfolder_sharing.service import VFolderSharingService


@dataclass(frozen=True)
class VFolderSharingProcessors:
    invite: ActionProcessor[InviteVFolderAction, list[str]]
    list_invitations: ActionProcessor[ListInvitationsAction, list[InvitationRecord]]
    list_sent_invitations: ActionProcessor[ListSentInvitationsAction, list[InvitationRecord]]
    update_invitation: ActionProcessor[UpdateInvitationAction, None]
    accept_invitation: ActionProcessor[AcceptInvitationAction, None]
    delete_invitation: ActionProcessor[DeleteInvitationAction, None]
    share: ActionProcessor[ShareVFolderAction, list[str]]
    unshare: ActionProcessor[UnshareVFolderAction, list[str]]
    leave: ActionProcessor[LeaveVFolderAction, None]
    list_shared: ActionProcessor[ListSharedVFoldersAction, list[SharedEntry]]
    update_shared: ActionProcessor[UpdateSharedVFolderAction, None]
    update_sharing_status: ActionProcessor[UpdateSharingStatusAction, None]
    change_ownership: ActionProcessor[ChangeVFolderOwnershipAction, None]
    clone: ActionProcessor[CloneVFolderAction, CloneStarted]
    settle_clone: ActionProcessor[SettleCloneAction, None]


def build_vfolder_sharing_service(
    deps: AdminDeps, bgtasks: BackgroundTaskRegistry, task_events: TaskEvents
) -> VFolderSharingService:
    return VFolderSharingService(
        VFolderSharingRepository(deps.db),
        VFolderRepository(deps.db),
        StorageRepository(deps.db, deps.etcd),
        deps.storage_proxies,
        bgtasks,
        task_events,
    )


def build_vfolder_sharing_processors(
    service: VFolderSharingService, metrics: ManagerMetrics
) -> VFolderSharingProcessors:
    s = service
    return VFolderSharingProcessors(
        invite=ActionProcessor(s.invite, metrics=metrics),
        list_invitations=ActionProcessor(s.list_invitations, metrics=metrics),
        list_sent_invitations=ActionProcessor(s.list_sent_invitations, metrics=metrics),
        update_invitation=ActionProcessor(s.update_invitation, metrics=metrics),
        accept_invitation=ActionProcessor(s.accept_invitation, metrics=metrics),
        delete_invitation=ActionProcessor(s.delete_invitation, metrics=metrics),
        share=ActionProcessor(s.share, metrics=metrics),
        unshare=ActionProcessor(s.unshare, metrics=metrics),
        leave=ActionProcessor(s.leave, metrics=metrics),
        list_shared=ActionProcessor(s.list_shared, metrics=metrics),
        update_shared=ActionProcessor(s.update_shared, metrics=metrics),
        update_sharing_status=ActionProcessor(s.update_sharing_status, metrics=metrics),
        change_ownership=ActionProcessor(s.change_ownership, metrics=metrics),
        clone=ActionProcessor(s.clone, metrics=metrics),
        settle_clone=ActionProcessor(s.settle_clone, metrics=metrics),
    )
