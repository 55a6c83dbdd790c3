"""Virtual folder rows: lookups with the caller's access, lists, and guarded status changes.

Access is decided from one row per folder carrying what matters for one caller: the folder,
the permission a share grants them (`vfolder_permissions`) and whether they belong to the
folder's project. Every list and lookup is a constant number of statements.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from ai.backend.manager.data.vfolder import (
    PERMISSION_RANK,
    ProjectForFolder,
    VFolderAccess,
    VFolderCaller,
    VFolderCreateSpec,
    VFolderListScope,
    VFolderRecord,
)
from ai.backend.manager.errors.vfolder import (
    VFolderAlreadyExists,
    VFolderBadStatus,
    VFolderCountLimitExceeded,
    VFolderInUse,
    VFolderNotFound,
)
from ai.backend.manager.models.group import association_groups_users, groups
from ai.backend.manager.models.kernel import kernels
from ai.backend.manager.models.resource_policy import (
    project_resource_policies,
    user_resource_policies,
)
from ai.backend.manager.models.session import sessions
from ai.backend.manager.models.user import users
from ai.backend.manager.models.vfolder import vfolder_permissions, vfolders
from ai.backend.manager.repositories.db import begin, begin_readonly
from ai.backend.manager.types import (
    KERNEL_TERMINAL_STATUSES,
    SESSION_TERMINAL_STATUSES,
    VFOLDER_DELETED_STATUSES,
    VFolderOperationStatus,
    VFolderOwnershipType,
    VFolderPermission,
)

_DELETED = tuple(VFOLDER_DELETED_STATUSES)
# Statuses in which a folder holds its name and counts against its owner's allowance.
_LIVE = sa.not_(vfolders.c.status.in_(_DELETED))


def _record(row: Any) -> VFolderRecord:
    m = row._mapping
    return VFolderRecord(
        id=m["id"],
        host=m["host"],
        domain_name=m["domain_name"],
        quota_scope_id=m["quota_scope_id"],
        name=m["name"],
        usage_mode=m["usage_mode"],
        default_mount_permission=m["default_mount_permission"],
        max_files=m["max_files"],
        max_size=m["max_size"],
        num_files=m["num_files"],
        cur_size=m["cur_size"],
        last_used=m["last_used"],
        creator=m["creator"],
        creator_id=m["creator_id"],
        unmanaged_path=m["unmanaged_path"],
        ownership_type=m["ownership_type"],
        user=m["user"],
        group=m["group"],
        cloneable=m["cloneable"],
        status=m["status"],
        status_changed=m["status_changed"],
        created_at=m["created_at"],
        user_email=m.get("owner_email"),
        group_name=m.get("project_name"),
    )


def decide_access(
    folder: VFolderRecord,
    caller: VFolderCaller,
    shared: VFolderPermission | None,
    is_member: bool,
) -> VFolderAccess | None:
    """What `caller` may do with `folder`, or None when they may not see it at all."""
    if caller.is_superadmin or (caller.is_admin and folder.domain_name == caller.domain_name):
        return VFolderAccess(folder, VFolderPermission.RW_DELETE, True)
    if folder.ownership_type == VFolderOwnershipType.USER and folder.user == caller.user_uuid:
        return VFolderAccess(folder, VFolderPermission.RW_DELETE, True)
    if folder.ownership_type == VFolderOwnershipType.GROUP and is_member:
        # whoever made a project folder may manage it; members use it as the project allows
        is_creator = folder.creator_id == caller.user_uuid
        permission = folder.default_mount_permission
        if shared is not None and PERMISSION_RANK[shared] > PERMISSION_RANK[permission]:
            permission = shared
        return VFolderAccess(folder, permission, is_creator)
    if shared is not None:
        return VFolderAccess(folder, shared, False)
    return None


def _owner_lock_key(owner: uuid.UUID) -> int:
    """A signed 64-bit advisory lock key for one owner's folders."""
    digest = hashlib.blake2b(b"vfolder-owner:" + owner.bytes, digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


# Built once: an alias copies every column of its table, which costs more than the query.
_SHARED = vfolder_permissions.alias("shared")
_MEMBER = association_groups_users.alias("member")
_OWNER = users.alias("owner")


class VFolderRepository:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    # --- reading with the caller's access -------------------------------------------------------

    def _select_for(self, caller_uuid: uuid.UUID) -> sa.Select[Any]:
        shared, member, owner = _SHARED, _MEMBER, _OWNER
        joined = (
            vfolders.outerjoin(
                shared,
                sa.and_(shared.c.vfolder == vfolders.c.id, shared.c.user == caller_uuid),
            )
            .outerjoin(
                member,
                sa.and_(member.c.group_id == vfolders.c.group, member.c.user_id == caller_uuid),
            )
            .outerjoin(owner, owner.c.uuid == vfolders.c.user)
            .outerjoin(groups, groups.c.id == vfolders.c.group)
        )
        return sa.select(
            vfolders,
            shared.c.permission.label("shared_permission"),
            (member.c.id.is_not(None)).label("is_member"),
            owner.c.email.label("owner_email"),
            groups.c.name.label("project_name"),
        ).select_from(joined)

    @staticmethod
    def _access_of(row: Any, caller: VFolderCaller) -> VFolderAccess | None:
        m = row._mapping
        shared = m["shared_permission"]
        return decide_access(
            _record(row),
            caller,
            VFolderPermission(shared) if shared is not None else None,
            bool(m["is_member"]),
        )

    async def get_access(self, folder_id: uuid.UUID, caller: VFolderCaller) -> VFolderAccess:
        """The folder with the caller's access; VFolderNotFound when it does not exist or the
        caller may not see it (no existence leak to outsiders)."""
        query = self._select_for(caller.user_uuid).where(vfolders.c.id == folder_id)
        async with begin_readonly(self._engine) as conn:
            row = (await conn.execute(query)).first()
        access = self._access_of(row, caller) if row is not None else None
        if access is None:
            raise VFolderNotFound(f"No virtual folder {folder_id.hex}")
        return access

    def _accessible_condition(self, caller_uuid: uuid.UUID) -> sa.ColumnElement[bool]:
        shared_ids = sa.select(vfolder_permissions.c.vfolder).where(
            vfolder_permissions.c.user == caller_uuid
        )
        member_groups = sa.select(association_groups_users.c.group_id).where(
            association_groups_users.c.user_id == caller_uuid
        )
        return sa.or_(
            sa.and_(
                vfolders.c.ownership_type == VFolderOwnershipType.USER,
                vfolders.c.user == caller_uuid,
            ),
            vfolders.c.id.in_(shared_ids),
            sa.and_(
                vfolders.c.ownership_type == VFolderOwnershipType.GROUP,
                vfolders.c.group.in_(member_groups),
            ),
        )

    async def find_by_name(self, name: str, caller: VFolderCaller) -> VFolderAccess:
        """The folder called `name` the caller can use: their own first, then their projects',
        then those shared with them; live folders before trashed, trashed before deleted."""
        query = (
            self._select_for(caller.user_uuid)
            .where(vfolders.c.name == name, self._accessible_condition(caller.user_uuid))
            .order_by(
                sa.case((vfolders.c.status.in_(_DELETED), 2), else_=0)
                + sa.case((vfolders.c.status == VFolderOperationStatus.DELETE_PENDING, 1), else_=0),
                sa.case(
                    (vfolders.c.user == caller.user_uuid, 0),
                    (vfolders.c.ownership_type == VFolderOwnershipType.GROUP, 1),
                    else_=2,
                ),
                vfolders.c.created_at.desc(),
            )
            .limit(1)
        )
        async with begin_readonly(self._engine) as conn:
            row = (await conn.execute(query)).first()
        access = self._access_of(row, caller) if row is not None else None
        if access is None:
            raise VFolderNotFound(f"No virtual folder named {name!r}")
        return access

    def _scope_conditions(self, scope: VFolderListScope) -> list[sa.ColumnElement[bool]]:
        conditions: list[sa.ColumnElement[bool]] = []
        if scope.accessible_to is not None:
            if scope.only_owned:
                conditions.append(
                    sa.and_(
                        vfolders.c.ownership_type == VFolderOwnershipType.USER,
                        vfolders.c.user == scope.accessible_to,
                    )
                )
            elif scope.only_shared:
                conditions.append(
                    vfolders.c.id.in_(
                        sa.select(vfolder_permissions.c.vfolder).where(
                            vfolder_permissions.c.user == scope.accessible_to
                        )
                    )
                )
            else:
                conditions.append(self._accessible_condition(scope.accessible_to))
        if scope.domain_name is not None:
            conditions.append(vfolders.c.domain_name == scope.domain_name)
        if scope.group_id is not None:
            conditions.append(vfolders.c.group == scope.group_id)
        if scope.ownership_type is not None:
            conditions.append(vfolders.c.ownership_type == scope.ownership_type)
        if not scope.include_deleted:
            conditions.append(
                vfolders.c.status.not_in(
                    [
                        *_DELETED,
                        VFolderOperationStatus.DELETE_PENDING,
                        VFolderOperationStatus.CREATING,
                    ]
                )
            )
        return conditions

    async def list_accessible(
        self,
        caller: VFolderCaller,
        scope: VFolderListScope,
        *,
        limit: int | None = None,
        offset: int = 0,
        with_total: bool = False,
    ) -> tuple[list[VFolderAccess], int]:
        """One page of the folders in `scope`, newest first, each with the caller's access,
        and the total when asked: the page is chosen on the narrow key (walking the
        `created_at, id` index), then only its rows are joined with the caller's access. Two
        statements whatever the page size and offset."""
        conditions = self._scope_conditions(scope)
        page = (
            sa.select(vfolders.c.id)
            .where(*conditions)
            .order_by(vfolders.c.created_at.desc(), vfolders.c.id.desc())
            .offset(offset)
        )
        if limit is not None:
            page = page.limit(limit)
        count = sa.select(sa.func.count()).select_from(vfolders).where(*conditions)
        if with_total:
            page = page.add_columns(count.scalar_subquery().label("total"))
        async with begin_readonly(self._engine) as conn:
            if limit is None:
                # everything: one pass over the joined rows, in order
                everything = self._select_for(caller.user_uuid).where(*conditions)
                everything = everything.order_by(vfolders.c.created_at.desc(), vfolders.c.id.desc())
                rows = list((await conn.execute(everything)).all())
                ids = [row.id for row in rows]
                total = len(rows) if with_total else -1
            else:
                page_rows = (await conn.execute(page)).all()
                ids = [row.id for row in page_rows]
                total = -1
                if with_total:
                    total = int(
                        page_rows[0].total if page_rows else (await conn.scalar(count)) or 0
                    )
                rows = []
                if ids:
                    wide = self._select_for(caller.user_uuid).where(vfolders.c.id.in_(ids))
                    rows = list((await conn.execute(wide)).all())
        by_id = {row.id: row for row in rows}
        found: list[VFolderAccess] = []
        for folder_id in ids:
            row = by_id.get(folder_id)
            if row is None:
                continue  # deleted between the two statements
            access = self._access_of(row, caller)
            if access is None:
                # an administrator's scope row the rules still refuse (another domain)
                access = VFolderAccess(_record(row), VFolderPermission.READ_ONLY, False)
            found.append(access)
        return found, total

    async def get_many(
        self, ids: Sequence[uuid.UUID], caller: VFolderCaller
    ) -> dict[uuid.UUID, VFolderAccess]:
        if not ids:
            return {}
        query = self._select_for(caller.user_uuid).where(vfolders.c.id.in_(list(ids)))
        async with begin_readonly(self._engine) as conn:
            rows = (await conn.execute(query)).all()
        found: dict[uuid.UUID, VFolderAccess] = {}
        for row in rows:
            access = self._access_of(row, caller)
            if access is not None:
                found[access.folder.id] = access
        return found

    # --- creation -------------------------------------------------------------------------------

    async def project_for_folder(
        self, caller: VFolderCaller, group: str, domain_name: str
    ) -> ProjectForFolder | None:
        """The project named by id or name (in `domain_name` when by name), its policy limits,
        and whether the caller belongs to it."""
        try:
            by_id: uuid.UUID | None = uuid.UUID(group)
        except ValueError:
            by_id = None
        member = sa.exists().where(
            association_groups_users.c.group_id == groups.c.id,
            association_groups_users.c.user_id == caller.user_uuid,
        )
        query = (
            sa.select(
                groups.c.id,
                groups.c.name,
                groups.c.domain_name,
                groups.c.is_active,
                member.label("is_member"),
                project_resource_policies.c.max_vfolder_count,
                project_resource_policies.c.max_quota_scope_size,
            )
            .select_from(
                groups.outerjoin(
                    project_resource_policies,
                    project_resource_policies.c.name == groups.c.resource_policy,
                )
            )
            .where(
                groups.c.id == by_id
                if by_id is not None
                else sa.and_(groups.c.name == group, groups.c.domain_name == domain_name)
            )
        )
        async with begin_readonly(self._engine) as conn:
            row = (await conn.execute(query)).first()
        if row is None:
            return None
        m = row._mapping
        return ProjectForFolder(
            id=m["id"],
            name=m["name"],
            domain_name=m["domain_name"],
            is_active=bool(m["is_active"]) if m["is_active"] is not None else True,
            is_member=bool(m["is_member"]),
            max_vfolder_count=int(m["max_vfolder_count"] or 0),
            max_quota_scope_size=int(m["max_quota_scope_size"] or 0),
        )

    async def user_limits(self, user_uuid: uuid.UUID) -> tuple[int, int]:
        """`(max_vfolder_count, max_quota_scope_size)` of the user's resource policy (0 and
        -1 when it has none: no limit)."""
        query = (
            sa.select(
                user_resource_policies.c.max_vfolder_count,
                user_resource_policies.c.max_quota_scope_size,
            )
            .select_from(
                users.join(
                    user_resource_policies,
                    user_resource_policies.c.name == users.c.resource_policy,
                )
            )
            .where(users.c.uuid == user_uuid)
        )
        async with begin_readonly(self._engine) as conn:
            row = (await conn.execute(query)).first()
        if row is None:
            return 0, -1
        return int(row[0] or 0), int(row[1] if row[1] is not None else -1)

    async def insert_creating(self, spec: VFolderCreateSpec) -> VFolderRecord:
        """Insert the row as CREATING, after checking, under the owner's lock, that the name is
        free among the owner's live folders and that the allowance is not spent."""
        owner = spec.group if spec.ownership_type == VFolderOwnershipType.GROUP else spec.user
        assert owner is not None
        if spec.ownership_type == VFolderOwnershipType.GROUP:
            mine = sa.and_(
                vfolders.c.ownership_type == VFolderOwnershipType.GROUP,
                vfolders.c.group == owner,
            )
        else:
            mine = sa.and_(
                vfolders.c.ownership_type == VFolderOwnershipType.USER,
                vfolders.c.user == owner,
            )
        now = datetime.now(UTC)
        try:
            async with begin(self._engine) as conn:
                await conn.execute(sa.select(sa.func.pg_advisory_xact_lock(_owner_lock_key(owner))))
                taken = await conn.scalar(
                    sa.select(sa.func.count())
                    .select_from(vfolders)
                    .where(mine, _LIVE, vfolders.c.name == spec.name)
                )
                if taken:
                    raise VFolderAlreadyExists(
                        f"A virtual folder named {spec.name!r} already exists"
                    )
                if spec.max_vfolder_count > 0:
                    held = await conn.scalar(
                        sa.select(sa.func.count()).select_from(vfolders).where(mine, _LIVE)
                    )
                    if int(held or 0) >= spec.max_vfolder_count:
                        raise VFolderCountLimitExceeded(
                            f"The resource policy allows {spec.max_vfolder_count} folders"
                        )
                await conn.execute(
                    sa.insert(vfolders).values(
                        id=spec.id,
                        host=spec.host,
                        domain_name=spec.domain_name,
                        quota_scope_id=spec.quota_scope_id,
                        name=spec.name,
                        usage_mode=spec.usage_mode,
                        default_mount_permission=spec.default_mount_permission,
                        creator=spec.creator,
                        creator_id=spec.creator_id,
                        ownership_type=spec.ownership_type,
                        user=spec.user,
                        group=spec.group,
                        cloneable=spec.cloneable,
                        status=VFolderOperationStatus.CREATING,
                        status_changed=now,
                        status_history={VFolderOperationStatus.CREATING.value: now.isoformat()},
                    )
                )
        except IntegrityError as e:
            raise VFolderAlreadyExists(
                f"A virtual folder named {spec.name!r} already exists"
            ) from e
        return await self.get(spec.id)

    async def get(self, folder_id: uuid.UUID) -> VFolderRecord:
        query = self._select_for(uuid.UUID(int=0)).where(vfolders.c.id == folder_id)
        async with begin_readonly(self._engine) as conn:
            row = (await conn.execute(query)).first()
        if row is None:
            raise VFolderNotFound(f"No virtual folder {folder_id.hex}")
        return _record(row)

    async def delete_row(self, folder_id: uuid.UUID) -> None:
        async with begin(self._engine) as conn:
            await conn.execute(sa.delete(vfolders).where(vfolders.c.id == folder_id))

    # --- status changes -------------------------------------------------------------------------

    async def transition(
        self,
        folder_id: uuid.UUID,
        *,
        expect: Iterable[VFolderOperationStatus],
        to: VFolderOperationStatus,
        refuse_if_mounted: bool = False,
    ) -> VFolderRecord:
        """Move the folder to `to` if it is in one of `expect` (and, when asked, no live session
        mounts it), in one transaction; VFolderBadStatus / VFolderInUse otherwise."""
        expected = list(expect)
        now = datetime.now(UTC)
        async with begin(self._engine) as conn:
            current = (
                await conn.execute(
                    sa.select(vfolders.c.status, vfolders.c.quota_scope_id)
                    .where(vfolders.c.id == folder_id)
                    .with_for_update()
                )
            ).first()
            if current is None:
                raise VFolderNotFound(f"No virtual folder {folder_id.hex}")
            status = VFolderOperationStatus(current[0])
            if status not in expected:
                raise VFolderBadStatus(
                    f"The folder is {status.value}; this needs "
                    + " or ".join(s.value for s in expected)
                )
            if refuse_if_mounted and await self._is_mounted(conn, folder_id, str(current[1])):
                raise VFolderInUse("A running session mounts this folder")
            await conn.execute(
                sa.update(vfolders)
                .where(vfolders.c.id == folder_id)
                .values(
                    status=to,
                    status_changed=now,
                    status_history=sa.func.coalesce(
                        vfolders.c.status_history, sa.text("'{}'::jsonb")
                    ).op("||")(sa.func.jsonb_build_object(to.value, now.isoformat())),
                )
            )
        return await self.get(folder_id)

    async def purge_row(
        self,
        folder_id: uuid.UUID,
        *,
        expect: Iterable[VFolderOperationStatus],
        refuse_if_mounted: bool = True,
    ) -> None:
        expected = list(expect)
        async with begin(self._engine) as conn:
            current = (
                await conn.execute(
                    sa.select(vfolders.c.status, vfolders.c.quota_scope_id)
                    .where(vfolders.c.id == folder_id)
                    .with_for_update()
                )
            ).first()
            if current is None:
                raise VFolderNotFound(f"No virtual folder {folder_id.hex}")
            status = VFolderOperationStatus(current[0])
            if status not in expected:
                raise VFolderBadStatus(f"The folder is {status.value}; it cannot be purged")
            if refuse_if_mounted and await self._is_mounted(conn, folder_id, str(current[1])):
                raise VFolderInUse("A running session mounts this folder")
            await conn.execute(sa.delete(vfolders).where(vfolders.c.id == folder_id))

    async def _is_mounted(
        self, conn: AsyncConnection, folder_id: uuid.UUID, quota_scope_id: str
    ) -> bool:
        """Whether a session or kernel that is not finished lists the folder in its mounts
        (`vfid` is `<quota scope>/<hex>`; the bare hex is accepted too)."""
        candidates = [f"{quota_scope_id}/{folder_id.hex}", folder_id.hex, str(folder_id)]

        def mounts(column: Any) -> sa.ColumnElement[bool]:
            return sa.or_(*(column.contains([{"vfid": vfid}]) for vfid in candidates))

        in_session = sa.exists().where(
            sessions.c.status.not_in(list(SESSION_TERMINAL_STATUSES)),
            sessions.c.vfolder_mounts.is_not(None),
            mounts(sessions.c.vfolder_mounts),
        )
        in_kernel = sa.exists().where(
            kernels.c.status.not_in(list(KERNEL_TERMINAL_STATUSES)),
            kernels.c.vfolder_mounts.is_not(None),
            mounts(kernels.c.vfolder_mounts),
        )
        return bool(await conn.scalar(sa.select(sa.or_(in_session, in_kernel))))

    async def is_mounted(self, folder: VFolderRecord) -> bool:
        async with begin_readonly(self._engine) as conn:
            return await self._is_mounted(conn, folder.id, folder.quota_scope_id)

    # --- changes to a folder's own fields -------------------------------------------------------

    async def rename(self, folder: VFolderRecord, new_name: str) -> None:
        owner = folder.group if folder.ownership_type == VFolderOwnershipType.GROUP else folder.user
        assert owner is not None
        if folder.ownership_type == VFolderOwnershipType.GROUP:
            mine = sa.and_(
                vfolders.c.ownership_type == VFolderOwnershipType.GROUP,
                vfolders.c.group == owner,
            )
        else:
            mine = sa.and_(
                vfolders.c.ownership_type == VFolderOwnershipType.USER,
                vfolders.c.user == owner,
            )
        try:
            async with begin(self._engine) as conn:
                await conn.execute(sa.select(sa.func.pg_advisory_xact_lock(_owner_lock_key(owner))))
                taken = await conn.scalar(
                    sa.select(sa.func.count())
                    .select_from(vfolders)
                    .where(mine, _LIVE, vfolders.c.name == new_name, vfolders.c.id != folder.id)
                )
                if taken:
                    raise VFolderAlreadyExists(
                        f"A virtual folder named {new_name!r} already exists"
                    )
                await conn.execute(
                    sa.update(vfolders).where(vfolders.c.id == folder.id).values(name=new_name)
                )
        except IntegrityError as e:
            raise VFolderAlreadyExists(f"A virtual folder named {new_name!r} already exists") from e

    async def update_options(
        self,
        folder_id: uuid.UUID,
        *,
        cloneable: bool | None,
        permission: VFolderPermission | None,
    ) -> None:
        values: dict[str, Any] = {}
        if cloneable is not None:
            values["cloneable"] = cloneable
        if permission is not None:
            values["default_mount_permission"] = permission
        if not values:
            return
        async with begin(self._engine) as conn:
            await conn.execute(sa.update(vfolders).where(vfolders.c.id == folder_id).values(values))

    async def record_usage(self, folder_id: uuid.UUID, *, num_files: int, cur_size: int) -> None:
        async with begin(self._engine) as conn:
            await conn.execute(
                sa.update(vfolders)
                .where(vfolders.c.id == folder_id)
                .values(num_files=num_files, cur_size=cur_size)
            )

    # --- what a crash may leave -----------------------------------------------------------------

    async def stale(
        self, statuses: Iterable[VFolderOperationStatus], older_than: timedelta
    ) -> list[VFolderRecord]:
        cutoff = datetime.now(UTC) - older_than
        query = (
            self._select_for(uuid.UUID(int=0))
            .where(
                vfolders.c.status.in_(list(statuses)),
                sa.func.coalesce(vfolders.c.status_changed, vfolders.c.created_at) < cutoff,
            )
            .limit(500)
        )
        async with begin_readonly(self._engine) as conn:
            rows = (await conn.execute(query)).all()
        return [_record(row) for row in rows]
