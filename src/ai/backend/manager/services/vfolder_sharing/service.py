"""Sharing folders and cloning them: who may do what.

* A user folder is shared by invitation: only its owner invites (not themselves, not someone
  who already has it, not twice while an invitation is pending), the invitee accepts (unless
  they already have a folder of that name) or rejects, the inviter may withdraw it. An
  accepted invitation is a `vfolder_permissions` row; its holder may leave it.
* A project folder is shared directly by administrators with members of its project.
* A superadmin, or an admin of the folder's domain, sets or removes any user's share and
  hands user folders over to another user of the same domain.
* Clone: a cloneable folder is copied into a new folder of the requester's. The new row is
  CLONING while the storage proxy copies (a background task the client follows), READY once
  the proxy reports success; removed (with whatever the proxy copied) if it reports failure,
  and marked ERROR if the proxy cannot be followed at all.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta

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
from ai.backend.manager.bgtask import BackgroundTaskRegistry, TaskEvents, TaskReporter
from ai.backend.manager.bgtask.hub import is_final
from ai.backend.manager.clients.storage_proxy import StorageProxyPool
from ai.backend.manager.data.storage import QuotaScopeID, VFolderID
from ai.backend.manager.data.vfolder import VFolderAccess, VFolderCreateSpec, VFolderRecord
from ai.backend.manager.data.vfolder_sharing import (
    CloneStarted,
    InvitationRecord,
    SharedEntry,
    UserBrief,
)
from ai.backend.manager.errors.base import InvalidAPIParameters
from ai.backend.manager.errors.bgtask import BackgroundTaskNotFound
from ai.backend.manager.errors.event import EventBusUnavailable
from ai.backend.manager.errors.storage import StorageProxyObjectNotFound
from ai.backend.manager.errors.user import UserNotFound
from ai.backend.manager.errors.vfolder import (
    VFolderBadStatus,
    VFolderInvalidParameter,
    VFolderNotFound,
    VFolderOperationFailed,
    VFolderPermissionDenied,
)
from ai.backend.manager.errors.vfolder_sharing import (
    VFolderGrantAlreadyExists,
    VFolderInvitationNotFound,
)
from ai.backend.manager.events.bgtask import BgtaskDoneEvent, BgtaskPartialSuccessEvent
from ai.backend.manager.repositories.storage import StorageRepository
from ai.backend.manager.repositories.vfolder import VFolderRepository
from ai.backend.manager.repositories.vfolder_sharing import VFolderSharingRepository
from ai.backend.manager.services.auth.types import AuthenticatedUser
from ai.backend.manager.services.vfolder.rules import check_folder_name
from ai.backend.manager.services.vfolder.service import UPDATABLE, caller_of
from ai.backend.manager.types import (
    VFolderHostPermission,
    VFolderInvitationState,
    VFolderOperationStatus,
    VFolderOwnershipType,
    VFolderPermission,
)

log = logging.getLogger(__name__)

S = VFolderOperationStatus
MAX_EMAILS = 100
# a copy CLONING this long is looked at by `reconcile_clones`
STALE_CLONE_AFTER = timedelta(minutes=10)


def _emails(raw: Sequence[str]) -> list[str]:
    emails = [e.strip() for e in raw if isinstance(e, str) and e.strip()]
    if not emails:
        raise InvalidAPIParameters("Name at least one user by email")
    if len(emails) > MAX_EMAILS:
        raise InvalidAPIParameters(f"At most {MAX_EMAILS} users at once")
    return list(dict.fromkeys(emails))


def _require_status(folder: VFolderRecord, allowed: frozenset[VFolderOperationStatus]) -> None:
    if folder.status not in allowed:
        raise VFolderBadStatus(f"The folder is {folder.status.value}")


def _vfid(folder: VFolderRecord) -> VFolderID:
    return VFolderID(QuotaScopeID.parse(folder.quota_scope_id), folder.id)


class VFolderSharingService:
    def __init__(
        self,
        repository: VFolderSharingRepository,
        folders: VFolderRepository,
        storage: StorageRepository,
        proxies: StorageProxyPool,
        bgtasks: BackgroundTaskRegistry,
        task_events: TaskEvents,
        *,
        clone_timeout: float = 24 * 3600.0,
        clone_silence_limit: float = 60.0,
        follow_interval: float = 2.0,
    ) -> None:
        self._repository = repository
        self._folders = folders
        self._storage = storage
        self._proxies = proxies
        self._bgtasks = bgtasks
        self._task_events = task_events
        # how long a clone may take, and how long the proxy may say nothing of it
        self._clone_timeout = clone_timeout
        self._clone_silence_limit = clone_silence_limit
        self._follow_interval = follow_interval
        # copies this process is following to their end
        self._cloning: set[uuid.UUID] = set()

    # --- helpers --------------------------------------------------------------------------------

    async def _access(self, requester: AuthenticatedUser, ref: str) -> VFolderAccess:
        caller = caller_of(requester)
        try:
            folder_id = uuid.UUID(ref)
        except ValueError:
            return await self._folders.find_by_name(ref, caller)
        return await self._folders.get_access(folder_id, caller)

    async def _host_permissions(
        self,
        *,
        user_uuid: uuid.UUID,
        domain_name: str,
        resource_policy: str,
        group_id: uuid.UUID | None,
    ) -> Mapping[str, set[str]]:
        return await self._storage.allowed_folder_hosts(
            user_uuid=user_uuid,
            domain_name=domain_name,
            resource_policy=resource_policy,
            group_id=group_id,
            include_user_hosts=group_id is None,
            include_group_hosts=group_id is not None,
        )

    async def _require_host_permission(
        self,
        requester: AuthenticatedUser,
        host: str,
        needed: VFolderHostPermission,
        *,
        group_id: uuid.UUID | None = None,
    ) -> None:
        hosts = await self._host_permissions(
            user_uuid=requester.user_uuid,
            domain_name=requester.domain_name,
            resource_policy=requester.resource_policy,
            group_id=group_id,
        )
        if needed.value not in hosts.get(host, set()):
            raise VFolderPermissionDenied(f"`{needed.value}` is not allowed on the host {host!r}")

    # --- invitations ----------------------------------------------------------------------------

    async def invite(self, action: InviteVFolderAction) -> list[str]:
        requester = action.requester
        emails = _emails(action.emails)
        folder = (await self._access(requester, action.folder)).folder
        if folder.ownership_type != VFolderOwnershipType.USER:
            raise VFolderInvalidParameter(
                "Project folders are not shared by invitation; an administrator shares them"
            )
        if folder.user != requester.user_uuid:
            raise VFolderPermissionDenied("Only the owner of a folder may invite others to it")
        _require_status(folder, UPDATABLE)
        if folder.name.startswith("."):
            raise VFolderPermissionDenied("Dot-folders are private and cannot be shared")
        if requester.email in emails:
            raise InvalidAPIParameters("You cannot invite yourself")
        await self._require_host_permission(
            requester, folder.host, VFolderHostPermission.INVITE_OTHERS
        )
        found = {u.email: u for u in await self._repository.users_by_emails(emails)}
        missing = [e for e in emails if e not in found or not found[e].is_active]
        if missing:
            raise UserNotFound(f"No active user with the email {', '.join(missing)}")
        holders = await self._repository.holders(folder.id, [found[e].uuid for e in emails])
        if holders:
            named = sorted(u.email for u in found.values() if u.uuid in holders)
            raise VFolderGrantAlreadyExists(
                f"Already shared with {', '.join(named)}; change their permission instead"
            )
        return await self._repository.create_invitations(
            folder.id, inviter=requester.email, invitees=emails, permission=action.permission
        )

    async def list_invitations(self, action: ListInvitationsAction) -> list[InvitationRecord]:
        return await self._repository.pending_invitations(invitee=action.requester.email)

    async def list_sent_invitations(
        self, action: ListSentInvitationsAction
    ) -> list[InvitationRecord]:
        return await self._repository.pending_invitations(inviter=action.requester.email)

    async def update_invitation(self, action: UpdateInvitationAction) -> None:
        invitation = await self._pending(action.invitation_id)
        if invitation.inviter != action.requester.email:
            raise VFolderPermissionDenied("Only the inviter changes an invitation")
        await self._repository.set_invitation_permission(invitation.id, action.permission)

    async def _pending(self, invitation_id: uuid.UUID) -> InvitationRecord:
        invitation = await self._repository.get_invitation(invitation_id)
        if invitation.state != VFolderInvitationState.PENDING:
            raise VFolderInvitationNotFound(f"The invitation {invitation_id} is not pending")
        return invitation

    async def accept_invitation(self, action: AcceptInvitationAction) -> None:
        requester = action.requester
        invitation = await self._pending(action.invitation_id)
        if invitation.invitee != requester.email:
            # someone else's invitation is none of the requester's business
            raise VFolderInvitationNotFound(f"No invitation {action.invitation_id} for you")
        await self._repository.accept_invitation(
            invitation,
            UserBrief(
                uuid=requester.user_uuid,
                email=requester.email,
                domain_name=requester.domain_name,
                role=requester.role,
                is_active=True,
            ),
        )

    async def delete_invitation(self, action: DeleteInvitationAction) -> None:
        email = action.requester.email
        invitation = await self._pending(action.invitation_id)
        if email == invitation.inviter:
            state = VFolderInvitationState.CANCELED
        elif email == invitation.invitee:
            state = VFolderInvitationState.REJECTED
        else:
            raise VFolderPermissionDenied("Only the inviter or the invitee may drop an invitation")
        await self._repository.settle_invitation(invitation.id, state)

    # --- direct shares --------------------------------------------------------------------------

    async def _project_folder_for_admin(
        self, requester: AuthenticatedUser, ref: str
    ) -> VFolderRecord:
        if requester.role not in ("superadmin", "admin"):
            raise VFolderPermissionDenied("Only administrators share project folders")
        folder = (await self._access(requester, ref)).folder
        if folder.ownership_type != VFolderOwnershipType.GROUP or folder.group is None:
            raise VFolderInvalidParameter(
                "Only project folders are shared directly; invite users to a user folder"
            )
        _require_status(folder, UPDATABLE)
        return folder

    async def share(self, action: ShareVFolderAction) -> list[str]:
        requester = action.requester
        emails = [e for e in _emails(action.emails) if e != requester.email]
        folder = await self._project_folder_for_admin(requester, action.folder)
        assert folder.group is not None
        await self._require_host_permission(
            requester, folder.host, VFolderHostPermission.SET_USER_PERM, group_id=folder.group
        )
        members = [
            u for u in await self._repository.project_members(folder.group, emails) if u.is_active
        ]
        outsiders = sorted(set(emails) - {u.email for u in members})
        if not members or outsiders:
            raise UserNotFound(
                "Not active members of the folder's project: " + ", ".join(outsiders or emails)
            )
        await self._repository.grant(folder.id, [u.uuid for u in members], action.permission)
        return [u.email for u in members]

    async def unshare(self, action: UnshareVFolderAction) -> list[str]:
        requester = action.requester
        emails = _emails(action.emails)
        folder = await self._project_folder_for_admin(requester, action.folder)
        await self._require_host_permission(
            requester, folder.host, VFolderHostPermission.SET_USER_PERM, group_id=folder.group
        )
        users = await self._repository.users_by_emails(emails)
        if not users:
            raise UserNotFound(f"No user with the email {', '.join(emails)}")
        removed = await self._repository.revoke(folder.id, [u.uuid for u in users])
        return sorted(u.email for u in users if u.uuid in removed)

    async def leave(self, action: LeaveVFolderAction) -> None:
        requester = action.requester
        folder = (await self._access(requester, action.folder)).folder
        if folder.ownership_type == VFolderOwnershipType.GROUP:
            raise VFolderInvalidParameter("You cannot leave a project folder")
        target = action.shared_user or requester.user_uuid
        if target != requester.user_uuid and requester.role != "superadmin":
            raise VFolderPermissionDenied("Only a superadmin makes another user leave a folder")
        if folder.user == target:
            raise VFolderInvalidParameter("The owner cannot leave their folder; delete it instead")
        if not await self._repository.revoke(folder.id, [target]):
            raise VFolderNotFound("No share of this folder to leave")

    async def list_shared(self, action: ListSharedVFoldersAction) -> list[SharedEntry]:
        requester = action.requester
        if requester.role in ("superadmin", "monitor"):
            return await self._repository.list_shared(folder_id=action.folder_id)
        if requester.role == "admin":
            return await self._repository.list_shared(
                folder_id=action.folder_id, domain_name=requester.domain_name
            )
        return await self._repository.list_shared(
            folder_id=action.folder_id, party=requester.user_uuid
        )

    async def update_shared(self, action: UpdateSharedVFolderAction) -> None:
        await self._update_shares(
            action.requester, action.folder_id, [(action.user_id, action.permission)]
        )

    async def update_sharing_status(self, action: UpdateSharingStatusAction) -> None:
        await self._update_shares(action.requester, action.folder_id, list(action.changes))

    async def _update_shares(
        self,
        requester: AuthenticatedUser,
        folder_id: uuid.UUID,
        changes: Sequence[tuple[uuid.UUID, VFolderPermission | None]],
    ) -> None:
        """Set or (with None) remove users' shares: administrators, or the folder's owner."""
        caller = caller_of(requester)
        folder = (await self._folders.get_access(folder_id, caller)).folder
        owns = (
            folder.ownership_type == VFolderOwnershipType.USER
            and folder.user == requester.user_uuid
        )
        if not (caller.is_admin or owns):
            raise VFolderPermissionDenied(
                "Only administrators or the folder's owner change who holds a share of it"
            )
        for user_id, _ in changes:
            if await self._repository.user_by_uuid(user_id) is None:
                raise UserNotFound(f"No user {user_id}")
        granted = [(u, p) for u, p in changes if p is not None]
        if granted:
            if folder.ownership_type == VFolderOwnershipType.USER and any(
                u == folder.user for u, _ in granted
            ):
                raise VFolderInvalidParameter("The owner already holds the folder")
            _require_status(folder, UPDATABLE)
        removed = [u for u, p in changes if p is None]
        if removed:
            await self._repository.revoke(folder.id, removed)
        for permission in {p for _, p in granted}:
            await self._repository.grant(
                folder.id, [u for u, p in granted if p == permission], permission
            )

    async def change_ownership(self, action: ChangeVFolderOwnershipAction) -> None:
        requester = action.requester
        caller = caller_of(requester)
        if not caller.is_admin:
            raise VFolderPermissionDenied("Only administrators change a folder's owner")
        folder = (await self._folders.get_access(action.folder_id, caller)).folder
        if folder.ownership_type != VFolderOwnershipType.USER:
            raise VFolderInvalidParameter("Only user folders change owners")
        _require_status(folder, UPDATABLE)
        found = await self._repository.users_by_emails([action.user_email.strip()])
        if not found or not found[0].is_active:
            raise UserNotFound(f"No active user with the email {action.user_email}")
        new_owner = found[0]
        if new_owner.domain_name != folder.domain_name:
            raise VFolderInvalidParameter(
                f"The new owner must belong to the folder's domain {folder.domain_name!r}"
            )
        policy = await self._repository.keypair_policy_of(new_owner.uuid)
        hosts = await self._host_permissions(
            user_uuid=new_owner.uuid,
            domain_name=new_owner.domain_name,
            resource_policy=policy or "",
            group_id=None,
        )
        if folder.host not in hosts:
            raise VFolderPermissionDenied(
                f"{new_owner.email} may not use the folder's host {folder.host!r}"
            )
        await self._repository.change_owner(folder.id, new_owner)

    # --- clone ----------------------------------------------------------------------------------

    async def clone(self, action: CloneVFolderAction) -> CloneStarted:
        requester = action.requester
        name = check_folder_name(action.target_name)
        source = (await self._access(requester, action.folder)).folder
        _require_status(source, UPDATABLE)
        if not source.cloneable:
            raise VFolderPermissionDenied(f"The folder {source.name!r} is not cloneable")
        config = await self._storage.volume_config()
        if "user" not in config.vfolder_types:
            raise VFolderInvalidParameter("User folders are not allowed in this cluster")
        target_host = action.target_host or source.host
        if target_host != source.host:
            # the storage proxy copies within one volume only
            raise VFolderInvalidParameter(
                f"A folder on {source.host!r} can only be cloned to the same host"
            )
        await self._require_host_permission(requester, target_host, VFolderHostPermission.CREATE)
        proxy, volume = await self._proxies.resolve(target_host)
        max_count, _ = await self._folders.user_limits(requester.user_uuid)
        record = await self._folders.insert_creating(
            VFolderCreateSpec(
                id=uuid.uuid4(),
                name=name,
                host=target_host,
                domain_name=requester.domain_name,
                quota_scope_id=str(QuotaScopeID.of_user(requester.user_uuid)),
                usage_mode=action.usage_mode,
                default_mount_permission=action.permission,
                creator=requester.email,
                creator_id=requester.user_uuid,
                ownership_type=VFolderOwnershipType.USER,
                user=requester.user_uuid,
                group=None,
                cloneable=action.cloneable,
                max_vfolder_count=max_count,
            )
        )
        try:
            record = await self._folders.transition(record.id, expect=[S.CREATING], to=S.CLONING)
            proxy_task = await proxy.clone_folder(volume, _vfid(source), volume, _vfid(record))
        except BaseException:
            # nothing was copied: the new folder never existed
            await self._folders.delete_row(record.id)
            raise
        self._cloning.add(record.id)
        target = record

        async def run(reporter: TaskReporter) -> str:
            try:
                return await self._finish_clone(reporter, source, target, proxy_task)
            finally:
                self._cloning.discard(target.id)

        try:
            if proxy_task is not None:
                await self._repository.note_clone_task(record.id, proxy_task)
            task_id = await self._bgtasks.start(run, name="clone-vfolder")
        except BaseException:
            self._cloning.discard(record.id)
            await self._discard_clone(record)
            raise
        return CloneStarted(folder=record, permission=action.permission, bgtask_id=task_id)

    async def _finish_clone(
        self,
        reporter: TaskReporter,
        source: VFolderRecord,
        target: VFolderRecord,
        proxy_task: str | None,
    ) -> str:
        what = f"{source.name!r} into {target.name!r}"
        await reporter.update(0, 1, f"Cloning {what}")
        if proxy_task is not None:
            try:
                ok, message = await self._follow_proxy_task(uuid.UUID(proxy_task))
            except Exception as e:
                await self._mark_clone_error(target)
                raise VFolderOperationFailed(f"Lost track of the clone of {what}: {e}") from e
            if ok is None:
                await self._mark_clone_error(target)
                raise VFolderOperationFailed(f"Lost track of the clone of {what}: {message}")
            if not ok:
                await self._discard_clone(target)
                raise VFolderOperationFailed(f"The storage proxy failed to clone {what}: {message}")
        try:
            await self._folders.transition(target.id, expect=[S.CLONING], to=S.READY)
        except VFolderBadStatus:
            # the proxy's own report (settle_clone) may have got there first
            if (await self._folders.get(target.id)).status != S.READY:
                raise
        await reporter.update(1, 1, f"Cloned {what}")
        return f"Cloned {what}"

    async def _follow_proxy_task(self, task_id: uuid.UUID) -> tuple[bool | None, str]:
        """Wait for the proxy's task to end: (True, msg) done, (False, msg) failed or
        cancelled, (None, why) when it cannot be followed (it never reported, or went quiet
        for good)."""
        started = time.monotonic()
        async with asyncio.timeout(self._clone_timeout):
            while True:
                try:
                    async with self._task_events.follow(
                        task_id, recheck_interval=self._follow_interval
                    ) as follower:
                        async for event in follower.events():
                            if event is None or event.name == "bgtask_updated":
                                continue
                            message = getattr(event, "message", None) or ""
                            if isinstance(event, BgtaskDoneEvent | BgtaskPartialSuccessEvent):
                                return True, message
                            return False, message or event.name
                    return None, "its state expired before it ended"
                except BackgroundTaskNotFound:
                    if time.monotonic() - started > self._clone_silence_limit:
                        return None, "the storage proxy reports nothing of its clone task"
                    await asyncio.sleep(self._follow_interval)

    async def settle_clone(self, action: SettleCloneAction) -> None:
        """The proxy's own report of a clone's end; a copy no longer CLONING is left alone."""
        try:
            target = await self._folders.get(action.target_id)
        except VFolderNotFound:
            return
        if target.status != S.CLONING:
            return
        if action.succeeded:
            with contextlib.suppress(VFolderBadStatus, VFolderNotFound):
                await self._folders.transition(target.id, expect=[S.CLONING], to=S.READY)
            log.info("clone %s settled as ready by its proxy's report", target.id)
        else:
            log.info("clone %s failed on its proxy: %s", target.id, action.message)
            await self._discard_clone(target)

    async def reconcile_clones(self, *, older_than: timedelta = STALE_CLONE_AFTER) -> int:
        """Settle copies left CLONING with nobody following them (their manager stopped and
        the proxy's own report never came): by the proxy task's stored state when there is
        one; marked ERROR once older than the clone timeout without any. Returns rows fixed."""
        stale = [
            f
            for f in await self._folders.stale([S.CLONING], older_than)
            if f.id not in self._cloning
        ]
        tasks = await self._repository.clone_tasks([f.id for f in stale])
        now = datetime.now(UTC)
        fixed = 0
        for folder in stale:
            state = None
            if folder.id in tasks:
                with contextlib.suppress(ValueError, EventBusUnavailable):
                    state = await self._task_events.state(uuid.UUID(tasks[folder.id]))
            if state is not None and is_final(state):
                succeeded = isinstance(state, BgtaskDoneEvent | BgtaskPartialSuccessEvent)
                message = getattr(state, "message", None) or ""
                await self.settle_clone(
                    SettleCloneAction(target_id=folder.id, succeeded=succeeded, message=message)
                )
            elif state is None:
                since = folder.status_changed or folder.created_at
                if (now - since).total_seconds() < self._clone_timeout:
                    continue
                await self._mark_clone_error(folder)
            else:
                continue  # the proxy is still at it
            log.info("reconciled the clone %s", folder.id)
            fixed += 1
        return fixed

    async def _discard_clone(self, target: VFolderRecord) -> None:
        """Remove what a failed clone left: the copy on the storage host, then the row."""
        try:
            proxy, volume = await self._proxies.resolve(target.host)
            with contextlib.suppress(StorageProxyObjectNotFound):
                await proxy.delete_folder(volume, _vfid(target))
        except Exception as e:
            log.warning("the partial clone %s stays on its host: %s", target.id, e)
            await self._mark_clone_error(target)
            return
        await self._folders.delete_row(target.id)

    async def _mark_clone_error(self, target: VFolderRecord) -> None:
        try:
            await self._folders.transition(target.id, expect=[S.CLONING], to=S.ERROR)
        except (VFolderBadStatus, VFolderNotFound) as e:
            log.info("clone %s not marked failed: %s", target.id, e)
