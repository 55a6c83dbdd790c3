"""Records of folder sharing: invitations, grants to users, and a clone in progress."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from ai.backend.manager.data.vfolder import VFolderRecord
from ai.backend.manager.types import (
    VFolderInvitationState,
    VFolderOperationStatus,
    VFolderOwnershipType,
    VFolderPermission,
)


@dataclass(frozen=True, slots=True)
class InvitationRecord:
    """An offer to share a folder, from one user (email) to another."""

    id: uuid.UUID
    vfolder_id: uuid.UUID
    vfolder_name: str
    inviter: str
    invitee: str
    permission: VFolderPermission
    state: VFolderInvitationState
    created_at: datetime
    modified_at: datetime | None


@dataclass(frozen=True, slots=True)
class UserBrief:
    """What sharing needs to know of a user."""

    uuid: uuid.UUID
    email: str
    domain_name: str
    role: str
    is_active: bool


@dataclass(frozen=True, slots=True)
class SharedEntry:
    """One user's share of one folder (a `vfolder_permissions` row) with the folder's facts."""

    vfolder_id: uuid.UUID
    vfolder_name: str
    status: VFolderOperationStatus
    ownership_type: VFolderOwnershipType
    # the owning user (user folders) or project (project folders)
    owner: uuid.UUID | None
    user_uuid: uuid.UUID
    user_email: str
    permission: VFolderPermission


@dataclass(frozen=True, slots=True)
class CloneStarted:
    """A clone under way: the new folder (status CLONING) and the task that fills it."""

    folder: VFolderRecord
    permission: VFolderPermission
    bgtask_id: uuid.UUID
