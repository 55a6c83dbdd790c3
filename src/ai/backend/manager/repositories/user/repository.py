"""Users in PostgreSQL: paged lists with their projects, creation with the main keypair."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import aggregate_order_by
from sqlalchemy.engine import Row
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from ai.backend.manager.data.user import (
    GroupRef,
    UserCreateSpec,
    UserListFilter,
    UserModifySpec,
    UserRecord,
    UserRemoval,
)
from ai.backend.manager.errors.user import InvalidUserInput, UserConflict, UserHasDependants
from ai.backend.manager.models.domain import domains
from ai.backend.manager.models.group import association_groups_users, groups
from ai.backend.manager.models.image import images
from ai.backend.manager.models.keypair import keypairs
from ai.backend.manager.models.resource_policy import (
    keypair_resource_policies,
    user_resource_policies,
)
from ai.backend.manager.models.session import sessions
from ai.backend.manager.models.user import users
from ai.backend.manager.models.vfolder import vfolders
from ai.backend.manager.repositories.db import begin, begin_readonly
from ai.backend.manager.repositories.querying import (
    Condition,
    Predicate,
    QueryFields,
    any_text,
    boolean,
    enum_field,
    text,
    text_array,
    timestamp,
    uuid_field,
)
from ai.backend.manager.types import SESSION_TERMINAL_STATUSES, UserRole, UserStatus


def _text(value: object) -> str:
    return str(getattr(value, "value", value))


def _where(flt: UserListFilter) -> list[sa.ColumnElement[bool]]:
    conds: list[sa.ColumnElement[bool]] = []
    if flt.domain_name is not None:
        conds.append(users.c.domain_name == flt.domain_name)
    if flt.status is not None:
        conds.append(users.c.status == UserStatus(flt.status))
    if flt.is_active is not None:
        active = users.c.status == UserStatus.ACTIVE
        conds.append(active if flt.is_active else sa.not_(active))
    if flt.email is not None:
        conds.append(users.c.email == flt.email)
    if flt.user_uuid is not None:
        conds.append(users.c.uuid == flt.user_uuid)
    if flt.group_id is not None:
        conds.append(
            users.c.uuid.in_(
                sa.select(association_groups_users.c.user_id).where(
                    association_groups_users.c.group_id == flt.group_id
                )
            )
        )
    conds.extend(USER_FIELDS.where(flt.expression))
    return conds


def _record(row: Row[Any]) -> UserRecord:
    """A user row read with its `project_refs` (JSON) and `main_access_key` columns."""
    return UserRecord(
        uuid=row.uuid,
        username=row.username,
        email=row.email,
        need_password_change=row.need_password_change,
        full_name=row.full_name,
        description=row.description,
        status=_text(row.status),
        status_info=row.status_info,
        role=_text(row.role),
        domain_name=row.domain_name,
        resource_policy=row.resource_policy,
        allowed_client_ip=[str(ip) for ip in row.allowed_client_ip]
        if row.allowed_client_ip is not None
        else None,
        totp_activated=row.totp_activated,
        sudo_session_enabled=row.sudo_session_enabled,
        container_uid=row.container_uid,
        container_main_gid=row.container_main_gid,
        container_gids=list(row.container_gids) if row.container_gids is not None else None,
        created_at=row.created_at,
        modified_at=row.updated_at,
        main_access_key=row.main_access_key,
        groups=tuple(
            GroupRef(id=uuid.UUID(ref["id"]), name=ref["name"]) for ref in row.project_refs or ()
        ),
    )


def _project_refs() -> sa.ScalarSelect[Any]:
    """The user's projects as a JSON list of `{id, name}`, by name (correlated to `users`)."""
    ref = sa.func.json_build_object("id", groups.c.id, "name", groups.c.name)
    return (
        sa.select(sa.func.json_agg(aggregate_order_by(ref, groups.c.name)))
        .select_from(
            association_groups_users.join(
                groups, association_groups_users.c.group_id == groups.c.id
            )
        )
        .where(association_groups_users.c.user_id == users.c.uuid)
        .scalar_subquery()
    )


def _main_access_key() -> sa.ScalarSelect[Any]:
    """The user's main keypair: the default one, else the oldest (correlated to `users`)."""
    return (
        sa.select(keypairs.c.access_key)
        .where(keypairs.c.user == users.c.uuid)
        .order_by(keypairs.c.is_default.desc(), keypairs.c.created_at.asc())
        .limit(1)
        .scalar_subquery()
    )


def _in_project_named(match: Predicate) -> Condition:
    """Some project of the user (correlated to `users`) has a name that `match`es."""
    return sa.exists().where(
        association_groups_users.c.user_id == users.c.uuid,
        association_groups_users.c.group_id == groups.c.id,
        match(groups.c.name),
    )


# What `filter` and `order` may name in user lists (the names the reference manager accepts).
USER_FIELDS = QueryFields(
    {
        "uuid": uuid_field(users.c.uuid),
        "username": text(users.c.username),
        "email": text(users.c.email),
        "need_password_change": boolean(users.c.need_password_change),
        "full_name": text(users.c.full_name),
        "description": text(users.c.description, sortable=False),
        "is_active": boolean(users.c.status == UserStatus.ACTIVE),
        "status": enum_field(users.c.status, UserStatus),
        "status_info": text(users.c.status_info),
        "created_at": timestamp(users.c.created_at),
        "modified_at": timestamp(users.c.updated_at),
        "domain_name": text(users.c.domain_name),
        "role": enum_field(users.c.role, UserRole),
        "resource_policy": text(users.c.resource_policy),
        "allowed_client_ip": text_array(users.c.allowed_client_ip, as_text=True, sortable=False),
        "totp_activated": boolean(users.c.totp_activated),
        "totp_activated_at": timestamp(users.c.totp_activated_at),
        "sudo_session_enabled": boolean(users.c.sudo_session_enabled),
        "main_access_key": text(_main_access_key()),
        "project_name": any_text(_in_project_named),
    }
)


# The wide rows of a page, by id: built once (its SQL is compiled and cached once too).
_USERS_BY_ID = sa.select(
    users,
    _project_refs().label("project_refs"),
    _main_access_key().label("main_access_key"),
).where(users.c.uuid.in_(sa.bindparam("ids", expanding=True)))


class UserRepository:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    # --- reads --------------------------------------------------------------------------------

    async def list_users(
        self,
        flt: UserListFilter,
        *,
        limit: int | None = None,
        offset: int = 0,
        order: str | None = None,
        with_total: bool = False,
    ) -> tuple[list[UserRecord], int]:
        """A page of users with their projects and main keypair: two statements whatever the
        page size (the page is sorted and skipped on the narrow key, then only its wide rows
        are read)."""
        conds = _where(flt)
        page = (
            sa.select(users.c.uuid)
            .where(*conds)
            .order_by(*USER_FIELDS.order_by(order, default=[users.c.created_at, users.c.uuid]))
            .offset(offset)
        )
        if limit is not None:
            page = page.limit(limit)
        if with_total:
            # the total rides along with the page's ids (read apart only for an empty page)
            total_query = sa.select(sa.func.count()).select_from(users).where(*conds)
            page = page.add_columns(total_query.scalar_subquery().label("total"))
        async with begin_readonly(self._engine) as conn:
            page_rows = (await conn.execute(page)).all()
            page_ids = [row.uuid for row in page_rows]
            by_id = {}
            if page_ids:
                rows_by_id = await conn.execute(_USERS_BY_ID, {"ids": page_ids})
                by_id = {row.uuid: row for row in rows_by_id}
            rows = [by_id[uid] for uid in page_ids if uid in by_id]
            total = len(rows)
            if with_total:
                if page_rows:
                    total = page_rows[0].total
                else:
                    total = (await conn.execute(total_query)).scalar_one()
        return [_record(row) for row in rows], total

    async def get_user(self, flt: UserListFilter) -> UserRecord | None:
        found, _ = await self.list_users(flt, limit=1)
        return found[0] if found else None

    async def default_keypair_policy(self) -> str | None:
        query = sa.select(keypair_resource_policies.c.name).where(
            keypair_resource_policies.c.is_default
        )
        async with begin_readonly(self._engine) as conn:
            name: str | None = (await conn.execute(query)).scalar()
        return name

    # --- writes -------------------------------------------------------------------------------

    async def create_user(self, spec: UserCreateSpec, keypair_policy: str) -> uuid.UUID:
        values = dict(spec.values)
        async with begin(self._engine) as conn:
            await self._check_references(conn, values, spec.group_ids)
            clash = await conn.execute(
                sa.select(users.c.email, users.c.username).where(
                    (users.c.email == values["email"]) | (users.c.username == values["username"])
                )
            )
            if clash.first() is not None:
                raise UserConflict(
                    f"A user with email {values['email']} or username {values['username']}"
                    " already exists"
                )
            domain_id = (
                await conn.execute(
                    sa.select(domains.c.id).where(domains.c.name == values["domain_name"])
                )
            ).scalar_one()
            values["domain_id"] = domain_id
            try:
                user_uuid: uuid.UUID = (
                    await conn.execute(sa.insert(users).values(**values).returning(users.c.uuid))
                ).scalar_one()
            except IntegrityError as e:
                raise UserConflict(f"Cannot create the user: {e.orig}") from e
            kp = spec.keypair
            await conn.execute(
                sa.insert(keypairs).values(
                    access_key=kp.access_key,
                    secret_key=kp.secret_key,
                    ssh_public_key=kp.ssh_public_key,
                    ssh_private_key=kp.ssh_private_key,
                    user=user_uuid,
                    is_active=True,
                    is_admin=spec.keypair_is_admin,
                    is_default=True,
                    resource_policy=keypair_policy,
                )
            )
            if spec.group_ids:
                await conn.execute(
                    sa.insert(association_groups_users),
                    [{"user_id": user_uuid, "group_id": gid} for gid in spec.group_ids],
                )
        return user_uuid

    @staticmethod
    async def _check_references(
        conn: AsyncConnection, values: dict[str, Any], group_ids: Sequence[uuid.UUID] | None
    ) -> None:
        domain_name = values.get("domain_name")
        if domain_name is not None:
            found = await conn.execute(
                sa.select(domains.c.name).where(domains.c.name == domain_name)
            )
            if found.first() is None:
                raise InvalidUserInput(f"No domain named {domain_name}")
        policy = values.get("resource_policy")
        if policy is not None:
            found = await conn.execute(
                sa.select(user_resource_policies.c.name).where(
                    user_resource_policies.c.name == policy
                )
            )
            if found.first() is None:
                raise InvalidUserInput(f"No user resource policy named {policy}")
        if group_ids:
            query = sa.select(groups.c.id, groups.c.domain_name).where(groups.c.id.in_(group_ids))
            found_groups = {row.id: row.domain_name for row in await conn.execute(query)}
            missing = [str(g) for g in group_ids if g not in found_groups]
            if missing:
                raise InvalidUserInput(f"No project with id {', '.join(missing)}")
            if domain_name is not None:
                foreign = [str(g) for g, d in found_groups.items() if d != domain_name]
                if foreign:
                    raise InvalidUserInput(
                        f"Projects {', '.join(foreign)} are not in domain {domain_name}"
                    )

    async def modify_user(self, user_uuid: uuid.UUID, spec: UserModifySpec) -> tuple[str, ...]:
        """Apply `spec`; returns the user's access keys (their cached credentials go stale)."""
        async with begin(self._engine) as conn:
            current = (
                await conn.execute(sa.select(users.c.domain_name).where(users.c.uuid == user_uuid))
            ).first()
            if current is None:
                return ()
            domain_name = spec.values.get("domain_name", current.domain_name)
            await self._check_references(
                conn, {**spec.values, "domain_name": domain_name}, spec.group_ids
            )
            values = dict(spec.values)
            if "domain_name" in values:
                values["domain_id"] = (
                    await conn.execute(
                        sa.select(domains.c.id).where(domains.c.name == values["domain_name"])
                    )
                ).scalar_one()
            if values:
                if "username" in values or "email" in values:
                    clash = await conn.execute(
                        sa.select(users.c.uuid).where(
                            users.c.uuid != user_uuid,
                            (users.c.username == values.get("username"))
                            | (users.c.email == values.get("email")),
                        )
                    )
                    if clash.first() is not None:
                        raise UserConflict("Another user has that username or email")
                await conn.execute(sa.update(users).where(users.c.uuid == user_uuid).values(values))
            if spec.group_ids is not None:
                await conn.execute(
                    sa.delete(association_groups_users).where(
                        association_groups_users.c.user_id == user_uuid
                    )
                )
                if spec.group_ids:
                    await conn.execute(
                        sa.insert(association_groups_users),
                        [{"user_id": user_uuid, "group_id": gid} for gid in spec.group_ids],
                    )
            if spec.main_access_key is not None:
                owned = await conn.execute(
                    sa.select(keypairs.c.access_key).where(
                        keypairs.c.access_key == spec.main_access_key,
                        keypairs.c.user == user_uuid,
                    )
                )
                if owned.first() is None:
                    raise InvalidUserInput(
                        f"{spec.main_access_key} is not an access key of this user"
                    )
                await conn.execute(
                    sa.update(keypairs)
                    .where(keypairs.c.user == user_uuid, keypairs.c.is_default)
                    .values(is_default=False)
                )
                await conn.execute(
                    sa.update(keypairs)
                    .where(keypairs.c.access_key == spec.main_access_key)
                    .values(is_default=True)
                )
            if spec.sync_keypair_admin is not None:
                await conn.execute(
                    sa.update(keypairs)
                    .where(keypairs.c.user == user_uuid)
                    .values(is_admin=spec.sync_keypair_admin)
                )
            access_keys = await conn.execute(
                sa.select(keypairs.c.access_key).where(keypairs.c.user == user_uuid)
            )
            return tuple(row.access_key for row in access_keys)

    async def deactivate_user(self, user_uuid: uuid.UUID) -> UserRemoval:
        """Mark the user deleted and deactivate every keypair of theirs."""
        async with begin(self._engine) as conn:
            await conn.execute(
                sa.update(users)
                .where(users.c.uuid == user_uuid)
                .values(status=UserStatus.DELETED, status_info="admin-requested")
            )
            result = await conn.execute(
                sa.update(keypairs)
                .where(keypairs.c.user == user_uuid)
                .values(is_active=False)
                .returning(keypairs.c.access_key)
            )
            return UserRemoval(user_uuid, tuple(row.access_key for row in result))

    async def purge_user(self, user_uuid: uuid.UUID, *, purge_owned_folders: bool) -> UserRemoval:
        """Remove the user, their keypairs and memberships, refusing while they are in use."""
        async with begin(self._engine) as conn:
            live = (
                await conn.execute(
                    sa.select(sa.func.count())
                    .select_from(sessions)
                    .where(
                        sessions.c.user_uuid == user_uuid,
                        sessions.c.status.not_in(SESSION_TERMINAL_STATUSES),
                    )
                )
            ).scalar_one()
            if live:
                raise UserHasDependants(
                    f"The user still has {live} live session(s); terminate them first"
                )
            owned = (
                await conn.execute(
                    sa.select(sa.func.count())
                    .select_from(vfolders)
                    .where(vfolders.c.user == user_uuid)
                )
            ).scalar_one()
            if owned:
                hint = (
                    " (purging folders together with their owner is not supported)"
                    if purge_owned_folders
                    else ""
                )
                raise UserHasDependants(
                    f"The user still owns {owned} virtual folder(s); delete them first{hint}"
                )
            await conn.execute(
                sa.update(groups).where(groups.c.creator_id == user_uuid).values(creator_id=None)
            )
            await conn.execute(
                sa.update(images).where(images.c.creator_id == user_uuid).values(creator_id=None)
            )
            result = await conn.execute(
                sa.delete(keypairs)
                .where(keypairs.c.user == user_uuid)
                .returning(keypairs.c.access_key)
            )
            access_keys = tuple(row.access_key for row in result)
            await conn.execute(
                sa.delete(association_groups_users).where(
                    association_groups_users.c.user_id == user_uuid
                )
            )
            await conn.execute(sa.delete(users).where(users.c.uuid == user_uuid))
            return UserRemoval(user_uuid, access_keys)

    async def verify_target(self, email: str) -> tuple[uuid.UUID, str, str] | None:
        """The uuid, domain and role of the user with `email` (for permission checks)."""
        query = sa.select(users.c.uuid, users.c.domain_name, users.c.role).where(
            users.c.email == email
        )
        async with begin_readonly(self._engine) as conn:
            row = (await conn.execute(query)).first()
        if row is None:
            return None
        return row.uuid, row.domain_name, _text(row.role)

    async def get_password_hash(self, user_uuid: uuid.UUID) -> str | None:
        query = sa.select(users.c.password).where(users.c.uuid == user_uuid)
        async with begin_readonly(self._engine) as conn:
            value: str | None = (await conn.execute(query)).scalar()
        return value

    async def set_password_hash(self, user_uuid: uuid.UUID, hashed: str) -> None:
        stmt = (
            sa.update(users)
            .where(users.c.uuid == user_uuid)
            .values(password=hashed, need_password_change=False, password_changed_at=sa.func.now())
        )
        async with begin(self._engine) as conn:
            await conn.execute(stmt)
