"""GraphQL root fields of groups (projects), merged into the schema.

Expected failures of a mutation (no such project, name taken, dependants left) come back as
`ok: false` with a message; refusals for lack of privilege are GraphQL errors.
"""

import uuid

import strawberry
from strawberry.types import Info

from ai.backend.manager.actions.group import (
    CreateGroupAction,
    DeleteGroupAction,
    GetGroupAction,
    ListGroupsAction,
    ListGroupsByNameAction,
    MembershipChange,
    ModifyGroupAction,
    PurgeGroupAction,
)
from ai.backend.manager.api.gql.context import GQLContext
from ai.backend.manager.api.gql.types.domain import parse_slots, parse_vfolder_hosts
from ai.backend.manager.api.gql.types.group import (
    CreateGroupPayload,
    DeleteGroupPayload,
    Group,
    GroupInput,
    ModifyGroupInput,
    ModifyGroupPayload,
    PurgeGroupPayload,
)
from ai.backend.manager.data.group import GroupSpec, GroupUpdate
from ai.backend.manager.errors.base import InvalidAPIParameters, ObjectNotFound
from ai.backend.manager.errors.group import GroupConflict

_EXPECTED = (ObjectNotFound, GroupConflict)


def _membership(mode: str | None) -> MembershipChange | None:
    if mode is None:
        return None
    try:
        return MembershipChange(mode.lower())
    except ValueError:
        raise InvalidAPIParameters("`user_update_mode` must be `add` or `remove`") from None


def _user_ids(values: list[str] | None) -> list[uuid.UUID]:
    try:
        return [uuid.UUID(v) for v in values or []]
    except ValueError:
        raise InvalidAPIParameters("`user_uuids` must be a list of user UUIDs") from None


@strawberry.type
class GroupQuery:
    @strawberry.field(
        description="Projects of a domain (every domain for superadmins when omitted; domain"
        " admins see their own)."
    )
    async def groups(
        self,
        info: Info[GQLContext, None],
        domain_name: str | None = None,
        is_active: bool | None = None,
    ) -> list[Group]:
        ctx = info.context
        records = await ctx.processors.group.search.run(
            ListGroupsAction(requester=ctx.user, domain_name=domain_name, is_active=is_active)
        )
        return [Group.from_record(r) for r in records]

    @strawberry.field(description="Projects with this name (across domains when none is given).")
    async def groups_by_name(
        self, info: Info[GQLContext, None], name: str, domain_name: str | None = None
    ) -> list[Group]:
        ctx = info.context
        records = await ctx.processors.group.list_by_name.run(
            ListGroupsByNameAction(requester=ctx.user, name=name, domain_name=domain_name)
        )
        return [Group.from_record(r) for r in records]

    @strawberry.field(description="A project by id; null if there is none.")
    async def group(self, info: Info[GQLContext, None], id: uuid.UUID) -> Group | None:
        ctx = info.context
        record = await ctx.processors.group.get.run(GetGroupAction(requester=ctx.user, group_id=id))
        return Group.from_record(record) if record is not None else None


@strawberry.type
class GroupMutation:
    @strawberry.mutation
    async def create_group(
        self, info: Info[GQLContext, None], name: str, props: GroupInput
    ) -> CreateGroupPayload:
        ctx = info.context
        spec = GroupSpec(
            name=name,
            domain_name=props.domain_name,
            description=props.description or "",
            is_active=props.is_active if props.is_active is not None else True,
            total_resource_slots=parse_slots(props.total_resource_slots) or {},
            allowed_vfolder_hosts=parse_vfolder_hosts(props.allowed_vfolder_hosts) or {},
            integration_id=props.integration_id,
        )
        try:
            record = await ctx.processors.group.create.run(
                CreateGroupAction(requester=ctx.user, spec=spec)
            )
        except _EXPECTED as e:
            return CreateGroupPayload(ok=False, msg=str(e))
        return CreateGroupPayload(ok=True, msg="success", group=Group.from_record(record))

    @strawberry.mutation(
        description="Change a project; `user_update_mode` (add|remove) with `user_uuids` changes"
        " its members."
    )
    async def modify_group(
        self, info: Info[GQLContext, None], gid: uuid.UUID, props: ModifyGroupInput
    ) -> ModifyGroupPayload:
        ctx = info.context
        update = GroupUpdate(
            name=props.name,
            description=props.description,
            is_active=props.is_active,
            total_resource_slots=parse_slots(props.total_resource_slots),
            allowed_vfolder_hosts=parse_vfolder_hosts(props.allowed_vfolder_hosts),
            integration_id=props.integration_id,
        )
        action = ModifyGroupAction(
            requester=ctx.user,
            group_id=gid,
            update=update,
            membership=_membership(props.user_update_mode),
            user_ids=_user_ids(props.user_uuids),
        )
        try:
            record = await ctx.processors.group.modify.run(action)
        except _EXPECTED as e:
            return ModifyGroupPayload(ok=False, msg=str(e))
        return ModifyGroupPayload(ok=True, msg="success", group=Group.from_record(record))

    @strawberry.mutation(description="Deactivate a project (is_active: false).")
    async def delete_group(
        self, info: Info[GQLContext, None], gid: uuid.UUID
    ) -> DeleteGroupPayload:
        ctx = info.context
        try:
            await ctx.processors.group.delete.run(
                DeleteGroupAction(requester=ctx.user, group_id=gid)
            )
        except _EXPECTED as e:
            return DeleteGroupPayload(ok=False, msg=str(e))
        return DeleteGroupPayload(ok=True, msg=f"project {gid} deactivated")

    @strawberry.mutation(
        description="Remove a project for good with its memberships and scaling group"
        " associations; refused while it has live sessions or folders."
    )
    async def purge_group(self, info: Info[GQLContext, None], gid: uuid.UUID) -> PurgeGroupPayload:
        ctx = info.context
        try:
            await ctx.processors.group.purge.run(PurgeGroupAction(requester=ctx.user, group_id=gid))
        except _EXPECTED as e:
            return PurgeGroupPayload(ok=False, msg=str(e))
        return PurgeGroupPayload(ok=True, msg=f"project {gid} purged")
