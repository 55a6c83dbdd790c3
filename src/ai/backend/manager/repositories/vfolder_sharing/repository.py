"""Sharing rows: `vfolder_invitations` (offers) and `vfolder_permissions` (grants).

Changes that must not race each other (two invitations to the same address, an accept and a
folder of the same name appearing, an ownership change) hold the folder's row lock.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql as pg
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from ai.backend.manager.data.vfolder_sharing import InvitationRecord, SharedEntry, UserBrief
from ai.backend.manager.errors.vfolder import (
    VFolderAlreadyExists,
    VFolderBadStatus,
    VFolderNotFound,
)
from ai.backend.manager.errors.vfolder_sharing import VFolderInvitationNotFound
from ai.backend.manager.models.group import association_groups_users
from ai.backend.manager.models.keypair import keypairs
from ai.backend.manager.models.user import users
from ai.backend.manager.models.vfolder import (
    vfolder_invitations,
    vfolder_permissions,
    vfolders,
)
from ai.backend.manager.repositories.db import begin, begin_readonly
from ai.backend.manager.repositories.vfolder.repository import _owner_lock_key
from ai.backend.manager.types import (
    VFOLDER_DELETED_STATUSES,
    UserStatus,
    VFolderInvitationState,
    VFolderOperationStatus,
    VFolderOwnershipType,
    VFolderPermission,
)

_GONE = [*VFOLDER_DELETED_STATUSES]
_LIVE = vfolders.c.status.not_in(_GONE)
_PENDING = VFolderInvitationState.PENDING
# where a copy's row keeps the id of the storage proxy task filling it
CLONE_TASK_KEY = "clone_task"


def _user(row: Any) -> UserBrief:
    m = row._mapping
    return UserBrief(
        uuid=m["uuid"],
        email=m["email"],
        domain_name=m["domain_name"],
        role=str(getattr(m["role"], "value", m["role"])),
        is_active=m["status"] == UserStatus.ACTIVE,
    )


_USER_COLUMNS = (users.c.uuid, users.c.email, users.c.domain_name, users.c.role, users.c.status)


def _invitation(row: Any) -> InvitationRecord:
    m = row._mapping
    return InvitationRecord(
        id=m["id"],
        vfolder_id=m["vfolder"],
        vfolder_name=m["vfolder_name"],
        inviter=m["inviter"],
        invitee=m["invitee"],
        permission=VFolderPermission(m["permission"]),
        state=VFolderInvitationState(m["state"]),
        created_at=m["created_at"],
        modified_at=m["modified_at"],
    )


_INVITATION_QUERY = sa.select(
    vfolder_invitations, vfolders.c.name.label("vfolder_name")
).select_from(vfolder_invitations.join(vfolders, vfolders.c.id == vfolder_invitations.c.vfolder))


async def _lock_folder(conn: AsyncConnection, folder_id: uuid.UUID) -> Any:
    row = (
        await conn.execute(
            sa.select(
                vfolders.c.id,
                vfolders.c.name,
                vfolders.c.status,
                vfolders.c.ownership_type,
                vfolders.c.user,
            )
            .where(vfolders.c.id == folder_id)
            .with_for_update()
        )
    ).first()
    if row is None:
        raise VFolderNotFound(f"No virtual folder {folder_id.hex}")
    return row


async def _lock_owner(conn: AsyncConnection, owner: uuid.UUID) -> None:
    """The lock folder creation and renaming take for one owner's names."""
    await conn.execute(sa.select(sa.func.pg_advisory_xact_lock(_owner_lock_key(owner))))


def _usable_by(user_uuid: uuid.UUID) -> sa.ColumnElement[bool]:
    """Live folders the user owns or holds a share of (where their folder names must differ)."""
    held = sa.select(vfolder_permissions.c.vfolder).where(vfolder_permissions.c.user == user_uuid)
    return sa.and_(
        _LIVE,
        sa.or_(
            sa.and_(
                vfolders.c.ownership_type == VFolderOwnershipType.USER,
                vfolders.c.user == user_uuid,
            ),
            vfolders.c.id.in_(held),
        ),
    )


class VFolderSharingRepository:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    # --- users ----------------------------------------------------------------------------------

    async def users_by_emails(self, emails: Iterable[str]) -> list[UserBrief]:
        wanted = sorted(set(emails))
        if not wanted:
            return []
        query = sa.select(*_USER_COLUMNS).where(users.c.email.in_(wanted))
        async with begin_readonly(self._engine) as conn:
            return [_user(row) for row in await conn.execute(query)]

    async def user_by_uuid(self, user_uuid: uuid.UUID) -> UserBrief | None:
        query = sa.select(*_USER_COLUMNS).where(users.c.uuid == user_uuid)
        async with begin_readonly(self._engine) as conn:
            row = (await conn.execute(query)).first()
        return _user(row) if row is not None else None

    async def keypair_policy_of(self, user_uuid: uuid.UUID) -> str | None:
        """The resource policy of the user's default keypair (else of an active one)."""
        query = (
            sa.select(keypairs.c.resource_policy)
            .where(keypairs.c.user == user_uuid)
            .order_by(keypairs.c.is_default.desc(), keypairs.c.is_active.desc())
            .limit(1)
        )
        async with begin_readonly(self._engine) as conn:
            policy = await conn.scalar(query)
        return str(policy) if policy is not None else None

    async def project_members(self, group_id: uuid.UUID, emails: Iterable[str]) -> list[UserBrief]:
        """The users among `emails` who belong to the project."""
        wanted = sorted(set(emails))
        if not wanted:
            return []
        query = (
            sa.select(*_USER_COLUMNS)
            .select_from(
                users.join(
                    association_groups_users,
                    sa.and_(
                        association_groups_users.c.user_id == users.c.uuid,
                        association_groups_users.c.group_id == group_id,
                    ),
                )
            )
            .where(users.c.email.in_(wanted))
        )
        async with begin_readonly(self._engine) as conn:
            return [_user(row) for row in await conn.execute(query)]

    # --- invitations ----------------------------------------------------------------------------

    async def holders(self, folder_id: uuid.UUID, user_ids: Sequence[uuid.UUID]) -> set[uuid.UUID]:
        """Which of `user_ids` hold a share of the folder."""
        if not user_ids:
            return set()
        query = sa.select(vfolder_permissions.c.user).where(
            vfolder_permissions.c.vfolder == folder_id,
            vfolder_permissions.c.user.in_(list(user_ids)),
        )
        async with begin_readonly(self._engine) as conn:
            return {row[0] for row in await conn.execute(query)}

    async def create_invitations(
        self,
        folder_id: uuid.UUID,
        *,
        inviter: str,
        invitees: Sequence[str],
        permission: VFolderPermission,
    ) -> list[str]:
        """Invite each address that has no pending invitation to the folder yet; returns the
        addresses newly invited."""
        async with begin(self._engine) as conn:
            folder = await _lock_folder(conn, folder_id)
            if folder.status in _GONE:
                raise VFolderNotFound(f"No virtual folder {folder_id.hex}")
            pending = {
                row[0]
                for row in await conn.execute(
                    sa.select(vfolder_invitations.c.invitee).where(
                        vfolder_invitations.c.vfolder == folder_id,
                        vfolder_invitations.c.state == _PENDING,
                        vfolder_invitations.c.invitee.in_(list(invitees)),
                    )
                )
            }
            fresh = [email for email in dict.fromkeys(invitees) if email not in pending]
            if fresh:
                await conn.execute(
                    sa.insert(vfolder_invitations),
                    [
                        {
                            "id": uuid.uuid4(),
                            "vfolder": folder_id,
                            "inviter": inviter,
                            "invitee": email,
                            "permission": permission,
                            "state": _PENDING,
                        }
                        for email in fresh
                    ],
                )
        return fresh

    async def pending_invitations(
        self, *, invitee: str | None = None, inviter: str | None = None
    ) -> list[InvitationRecord]:
        """Pending invitations to `invitee` (or from `inviter`) for folders not deleted,
        oldest first."""
        party = (
            vfolder_invitations.c.invitee == invitee
            if invitee is not None
            else vfolder_invitations.c.inviter == inviter
        )
        query = _INVITATION_QUERY.where(
            party,
            vfolder_invitations.c.state == _PENDING,
            vfolders.c.status.not_in(
                [
                    *_GONE,
                    VFolderOperationStatus.DELETE_PENDING,
                    VFolderOperationStatus.DELETE_ONGOING,
                ]
            ),
        ).order_by(vfolder_invitations.c.created_at, vfolder_invitations.c.id)
        async with begin_readonly(self._engine) as conn:
            return [_invitation(row) for row in await conn.execute(query)]

    async def get_invitation(self, invitation_id: uuid.UUID) -> InvitationRecord:
        query = _INVITATION_QUERY.where(vfolder_invitations.c.id == invitation_id)
        async with begin_readonly(self._engine) as conn:
            row = (await conn.execute(query)).first()
        if row is None:
            raise VFolderInvitationNotFound(f"No invitation {invitation_id}")
        return _invitation(row)

    async def _settle(
        self, conn: AsyncConnection, invitation_id: uuid.UUID, state: VFolderInvitationState
    ) -> None:
        done = await conn.execute(
            sa.update(vfolder_invitations)
            .where(
                vfolder_invitations.c.id == invitation_id,
                vfolder_invitations.c.state == _PENDING,
            )
            .values(state=state, modified_at=sa.func.now())
        )
        if done.rowcount != 1:
            raise VFolderInvitationNotFound(f"No pending invitation {invitation_id}")

    async def accept_invitation(self, invitation: InvitationRecord, invitee: UserBrief) -> None:
        """Grant the invitee the offered permission and settle the invitation (with any other
        pending invitation of theirs to the same folder), unless a live folder they own or
        hold already has the folder's name (409)."""
        async with begin(self._engine) as conn:
            # the invitee's lock: no folder of theirs gets this name meanwhile
            await _lock_owner(conn, invitee.uuid)
            folder = await _lock_folder(conn, invitation.vfolder_id)
            if folder.status in _GONE or folder.status in (
                VFolderOperationStatus.DELETE_PENDING,
                VFolderOperationStatus.DELETE_ONGOING,
            ):
                raise VFolderBadStatus(f"The folder {folder.name!r} is being deleted")
            clash = await conn.scalar(
                sa.select(sa.func.count())
                .select_from(vfolders)
                .where(
                    _usable_by(invitee.uuid),
                    vfolders.c.name == folder.name,
                    vfolders.c.id != folder.id,
                )
            )
            if clash:
                raise VFolderAlreadyExists(
                    f"You already have a folder named {folder.name!r}; rename it first"
                )
            await self._settle(conn, invitation.id, VFolderInvitationState.ACCEPTED)
            await conn.execute(
                pg.insert(vfolder_permissions)
                .values(
                    id=uuid.uuid4(),
                    vfolder=folder.id,
                    user=invitee.uuid,
                    permission=invitation.permission,
                )
                .on_conflict_do_update(
                    constraint="uq_vfolder_permissions_vfolder_user",
                    set_={"permission": invitation.permission},
                )
            )
            await conn.execute(
                sa.update(vfolder_invitations)
                .where(
                    vfolder_invitations.c.vfolder == folder.id,
                    vfolder_invitations.c.invitee == invitation.invitee,
                    vfolder_invitations.c.state == _PENDING,
                )
                .values(state=VFolderInvitationState.ACCEPTED, modified_at=sa.func.now())
            )

    async def set_invitation_permission(
        self, invitation_id: uuid.UUID, permission: VFolderPermission
    ) -> None:
        async with begin(self._engine) as conn:
            done = await conn.execute(
                sa.update(vfolder_invitations)
                .where(
                    vfolder_invitations.c.id == invitation_id,
                    vfolder_invitations.c.state == _PENDING,
                )
                .values(permission=permission, modified_at=sa.func.now())
            )
            if done.rowcount != 1:
                raise VFolderInvitationNotFound(f"No pending invitation {invitation_id}")

    async def settle_invitation(
        self, invitation_id: uuid.UUID, state: VFolderInvitationState
    ) -> None:
        """Reject or cancel a pending invitation (404 if it is no longer pending)."""
        async with begin(self._engine) as conn:
            await self._settle(conn, invitation_id, state)

    # --- grants ---------------------------------------------------------------------------------

    async def grant(
        self, folder_id: uuid.UUID, user_ids: Sequence[uuid.UUID], permission: VFolderPermission
    ) -> None:
        """Give each user `permission` on the folder (replacing what they held)."""
        if not user_ids:
            return
        async with begin(self._engine) as conn:
            folder = await _lock_folder(conn, folder_id)
            if folder.status in _GONE:
                raise VFolderNotFound(f"No virtual folder {folder_id.hex}")
            statement = pg.insert(vfolder_permissions).values(
                [
                    {
                        "id": uuid.uuid4(),
                        "vfolder": folder_id,
                        "user": user,
                        "permission": permission,
                    }
                    for user in dict.fromkeys(user_ids)
                ]
            )
            await conn.execute(
                statement.on_conflict_do_update(
                    constraint="uq_vfolder_permissions_vfolder_user",
                    set_={"permission": statement.excluded.permission},
                )
            )

    async def revoke(self, folder_id: uuid.UUID, user_ids: Sequence[uuid.UUID]) -> set[uuid.UUID]:
        """Remove the users' shares of the folder; returns whose were removed."""
        if not user_ids:
            return set()
        async with begin(self._engine) as conn:
            removed = await conn.execute(
                sa.delete(vfolder_permissions)
                .where(
                    vfolder_permissions.c.vfolder == folder_id,
                    vfolder_permissions.c.user.in_(list(user_ids)),
                )
                .returning(vfolder_permissions.c.user)
            )
            return {row[0] for row in removed}

    async def list_shared(
        self,
        *,
        folder_id: uuid.UUID | None = None,
        party: uuid.UUID | None = None,
        domain_name: str | None = None,
    ) -> list[SharedEntry]:
        """Shares of live folders; `party` keeps the ones that user holds, or that stand on a
        folder they own, created or reach through their project; `domain_name` one domain's."""
        joined = vfolder_permissions.join(
            vfolders, vfolders.c.id == vfolder_permissions.c.vfolder
        ).join(users, users.c.uuid == vfolder_permissions.c.user)
        query = (
            sa.select(
                vfolders.c.id,
                vfolders.c.name,
                vfolders.c.status,
                vfolders.c.ownership_type,
                vfolders.c.user.label("owner_user"),
                vfolders.c.group.label("owner_group"),
                vfolder_permissions.c.user,
                vfolder_permissions.c.permission,
                users.c.email,
            )
            .select_from(joined)
            .where(_LIVE)
            .order_by(vfolders.c.name, vfolders.c.id, users.c.email)
        )
        if folder_id is not None:
            query = query.where(vfolders.c.id == folder_id)
        if domain_name is not None:
            query = query.where(vfolders.c.domain_name == domain_name)
        if party is not None:
            member_of = sa.select(association_groups_users.c.group_id).where(
                association_groups_users.c.user_id == party
            )
            query = query.where(
                sa.or_(
                    vfolder_permissions.c.user == party,
                    vfolders.c.user == party,
                    vfolders.c.creator_id == party,
                    vfolders.c.group.in_(member_of),
                )
            )
        async with begin_readonly(self._engine) as conn:
            rows = (await conn.execute(query)).all()
        entries: list[SharedEntry] = []
        for row in rows:
            m = row._mapping
            ownership = VFolderOwnershipType(m["ownership_type"])
            entries.append(
                SharedEntry(
                    vfolder_id=m["id"],
                    vfolder_name=m["name"],
                    status=VFolderOperationStatus(m["status"]),
                    ownership_type=ownership,
                    owner=(
                        m["owner_group"]
                        if ownership == VFolderOwnershipType.GROUP
                        else m["owner_user"]
                    ),
                    user_uuid=m["user"],
                    user_email=m["email"],
                    permission=VFolderPermission(m["permission"]),
                )
            )
        return entries

    # --- ownership ------------------------------------------------------------------------------

    async def change_owner(self, folder_id: uuid.UUID, new_owner: UserBrief) -> None:
        """Hand a user folder to `new_owner`: refused (409) if they have a live folder of the
        same name; their share of it and pending invitations to it are dropped. The folder
        keeps its quota scope, which is where its bytes are on the storage host."""
        async with begin(self._engine) as conn:
            await _lock_owner(conn, new_owner.uuid)
            folder = await _lock_folder(conn, folder_id)
            if folder.status in _GONE:
                raise VFolderNotFound(f"No virtual folder {folder_id.hex}")
            if folder.ownership_type != VFolderOwnershipType.USER:
                raise VFolderBadStatus("Only a user folder changes hands; this is a project's")
            if folder.user == new_owner.uuid:
                return
            clash = await conn.scalar(
                sa.select(sa.func.count())
                .select_from(vfolders)
                .where(
                    _LIVE,
                    vfolders.c.ownership_type == VFolderOwnershipType.USER,
                    vfolders.c.user == new_owner.uuid,
                    vfolders.c.name == folder.name,
                )
            )
            if clash:
                raise VFolderAlreadyExists(
                    f"{new_owner.email} already has a folder named {folder.name!r}"
                )
            await conn.execute(
                sa.update(vfolders).where(vfolders.c.id == folder_id).values(user=new_owner.uuid)
            )
            await conn.execute(
                sa.delete(vfolder_permissions).where(
                    vfolder_permissions.c.vfolder == folder_id,
                    vfolder_permissions.c.user == new_owner.uuid,
                )
            )
            await conn.execute(
                sa.update(vfolder_invitations)
                .where(
                    vfolder_invitations.c.vfolder == folder_id,
                    vfolder_invitations.c.invitee == new_owner.email,
                    vfolder_invitations.c.state == _PENDING,
                )
                .values(state=VFolderInvitationState.CANCELED, modified_at=sa.func.now())
            )

    # --- clones ---------------------------------------------------------------------------------

    async def note_clone_task(self, folder_id: uuid.UUID, task_id: str) -> None:
        """Remember which storage proxy task fills the copy (in its status history)."""
        async with begin(self._engine) as conn:
            await conn.execute(
                sa.update(vfolders)
                .where(vfolders.c.id == folder_id)
                .values(
                    status_history=sa.func.coalesce(
                        vfolders.c.status_history, sa.text("'{}'::jsonb")
                    ).op("||")(sa.func.jsonb_build_object(CLONE_TASK_KEY, task_id))
                )
            )

    async def clone_tasks(self, folder_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, str]:
        """The proxy task noted for each of the folders that has one."""
        if not folder_ids:
            return {}
        task = vfolders.c.status_history[CLONE_TASK_KEY].astext
        query = sa.select(vfolders.c.id, task).where(
            vfolders.c.id.in_(list(folder_ids)), task.is_not(None)
        )
        async with begin_readonly(self._engine) as conn:
            return {row[0]: str(row[1]) for row in await conn.execute(query)}
