"""Sharing folders with other users, and cloning them (one action per operation)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import ClassVar

from ai.backend.manager.actions.base import Action
from ai.backend.manager.services.auth.types import AuthenticatedUser
from ai.backend.manager.types import VFolderPermission, VFolderUsageMode


@dataclass(frozen=True, kw_only=True)
class _SharingAction(Action):
    entity_type: ClassVar[str] = "vfolder_sharing"

    requester: AuthenticatedUser


@dataclass(frozen=True, kw_only=True)
class InviteVFolderAction(_SharingAction):
    """Offer the requester's own folder to users (by email); they accept or reject."""

    operation_type: ClassVar[str] = "invite"

    folder: str  # id or name
    permission: VFolderPermission
    emails: tuple[str, ...]


@dataclass(frozen=True, kw_only=True)
class ListInvitationsAction(_SharingAction):
    """The pending invitations the requester received."""

    operation_type: ClassVar[str] = "search"


@dataclass(frozen=True, kw_only=True)
class ListSentInvitationsAction(_SharingAction):
    """The pending invitations the requester sent."""

    operation_type: ClassVar[str] = "search"


@dataclass(frozen=True, kw_only=True)
class UpdateInvitationAction(_SharingAction):
    """The inviter changes the permission a pending invitation offers."""

    operation_type: ClassVar[str] = "update"

    invitation_id: uuid.UUID
    permission: VFolderPermission


@dataclass(frozen=True, kw_only=True)
class AcceptInvitationAction(_SharingAction):
    operation_type: ClassVar[str] = "accept"

    invitation_id: uuid.UUID


@dataclass(frozen=True, kw_only=True)
class DeleteInvitationAction(_SharingAction):
    """The invitee rejects the invitation, or the inviter withdraws it."""

    operation_type: ClassVar[str] = "reject"

    invitation_id: uuid.UUID


@dataclass(frozen=True, kw_only=True)
class ShareVFolderAction(_SharingAction):
    """An administrator grants members of a project folder's project a permission on it."""

    operation_type: ClassVar[str] = "share"

    folder: str
    permission: VFolderPermission
    emails: tuple[str, ...]


@dataclass(frozen=True, kw_only=True)
class UnshareVFolderAction(_SharingAction):
    operation_type: ClassVar[str] = "unshare"

    folder: str
    emails: tuple[str, ...]


@dataclass(frozen=True, kw_only=True)
class LeaveVFolderAction(_SharingAction):
    """Give up a share; a superadmin may make another user (`shared_user`) give theirs up."""

    operation_type: ClassVar[str] = "leave"

    folder: str
    shared_user: uuid.UUID | None = None


@dataclass(frozen=True, kw_only=True)
class ListSharedVFoldersAction(_SharingAction):
    """Who holds which share: all of them for a superadmin, the domain's for an admin, the
    ones a user is party to otherwise; optionally of one folder."""

    operation_type: ClassVar[str] = "search"

    folder_id: uuid.UUID | None = None


@dataclass(frozen=True, kw_only=True)
class UpdateSharedVFolderAction(_SharingAction):
    """Set (or, with `permission` None, remove) one user's share of a folder."""

    operation_type: ClassVar[str] = "update"

    folder_id: uuid.UUID
    user_id: uuid.UUID
    permission: VFolderPermission | None


@dataclass(frozen=True, kw_only=True)
class UpdateSharingStatusAction(_SharingAction):
    """Several users' shares of one folder at once (`None`: remove that user's share)."""

    operation_type: ClassVar[str] = "update"

    folder_id: uuid.UUID
    changes: tuple[tuple[uuid.UUID, VFolderPermission | None], ...]


@dataclass(frozen=True, kw_only=True)
class ChangeVFolderOwnershipAction(_SharingAction):
    """An administrator hands a user folder to another user of the same domain."""

    operation_type: ClassVar[str] = "change_ownership"

    folder_id: uuid.UUID
    user_email: str


@dataclass(frozen=True, kw_only=True)
class CloneVFolderAction(_SharingAction):
    """Copy a cloneable folder into a new folder of the requester's, as a background task."""

    entity_type: ClassVar[str] = "vfolder"
    operation_type: ClassVar[str] = "clone"

    folder: str
    target_name: str
    target_host: str | None = None
    usage_mode: VFolderUsageMode = VFolderUsageMode.GENERAL
    permission: VFolderPermission = VFolderPermission.READ_WRITE
    cloneable: bool = False


@dataclass(frozen=True, kw_only=True)
class SettleCloneAction(Action):
    """A storage proxy reported the end of a copy: the copy becomes READY, or is removed."""

    entity_type: ClassVar[str] = "vfolder"
    operation_type: ClassVar[str] = "settle_clone"

    target_id: uuid.UUID
    succeeded: bool
    message: str = ""
