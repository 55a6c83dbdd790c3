"""GraphQL root fields of users (queries and mutations), merged into the schema."""

from __future__ import annotations

import uuid

import strawberry
from strawberry.types import Info

from ai.backend.manager.actions.user import (
    CreateUserAction,
    DeleteUserAction,
    GetUserAction,
    ListUsersAction,
    ModifyUserAction,
    PurgeUserAction,
)
from ai.backend.manager.api.gql.context import GQLContext
from ai.backend.manager.api.gql.types.user import (
    CreateUserPayload,
    DeleteUserPayload,
    ModifyUserInput,
    ModifyUserPayload,
    PurgeUserInput,
    PurgeUserPayload,
    User,
    UserInput,
    UserList,
    parse_group_ids,
    run_mutation,
    set_fields,
)
from ai.backend.manager.data.user import UserRecord
from ai.backend.manager.errors.base import InvalidAPIParameters


def _check_page(limit: int, offset: int) -> None:
    if limit < 0 or offset < 0:
        raise InvalidAPIParameters("`limit` and `offset` must not be negative")


@strawberry.type
class UserQuery:
    @strawberry.field(
        description="A page of users (administrators: their domain; superadmins: all)."
    )
    async def user_list(
        self,
        info: Info[GQLContext, None],
        limit: int,
        offset: int,
        status: str | None = None,
        is_active: bool | None = None,
        group_id: uuid.UUID | None = None,
        domain_name: str | None = None,
        order: str | None = None,
        filter: str | None = None,
    ) -> UserList:
        _check_page(limit, offset)
        ctx = info.context
        records, total = await ctx.processors.user.list.run(
            ListUsersAction(
                requester=ctx.user,
                status=status,
                is_active=is_active,
                group_id=group_id,
                domain_name=domain_name,
                filter=filter,
                order=order,
                limit=limit,
                offset=offset,
            )
        )
        return UserList(items=[User.from_record(r) for r in records], total_count=total)

    @strawberry.field(description="Every user visible to the caller (administrators only).")
    async def users(
        self,
        info: Info[GQLContext, None],
        domain_name: str | None = None,
        group_id: uuid.UUID | None = None,
        is_active: bool | None = None,
        status: str | None = None,
    ) -> list[User]:
        ctx = info.context
        records, _ = await ctx.processors.user.list.run(
            ListUsersAction(
                requester=ctx.user,
                status=status,
                is_active=is_active,
                group_id=group_id,
                domain_name=domain_name,
            )
        )
        return [User.from_record(r) for r in records]

    @strawberry.field(description="A user by email; the caller when `email` is null or omitted.")
    async def user(
        self,
        info: Info[GQLContext, None],
        domain_name: str | None = None,
        email: str | None = None,
    ) -> User | None:
        ctx = info.context
        record = await ctx.processors.user.get.run(
            GetUserAction(requester=ctx.user, email=email, domain_name=domain_name)
        )
        return User.from_record(record) if record is not None else None

    @strawberry.field(description="A user by UUID; the caller when `user_id` is null or omitted.")
    async def user_from_uuid(
        self,
        info: Info[GQLContext, None],
        domain_name: str | None = None,
        user_id: strawberry.ID | None = None,
    ) -> User | None:
        user_uuid: uuid.UUID | None = None
        if user_id is not None:
            try:
                user_uuid = uuid.UUID(str(user_id))
            except ValueError:
                raise InvalidAPIParameters(f"{user_id!r} is not a user UUID") from None
        ctx = info.context
        record = await ctx.processors.user.get.run(
            GetUserAction(requester=ctx.user, user_uuid=user_uuid, domain_name=domain_name)
        )
        return User.from_record(record) if record is not None else None


@strawberry.type
class UserMutation:
    @strawberry.mutation(description="Create a user with a main keypair and project memberships.")
    async def create_user(
        self, info: Info[GQLContext, None], email: str, props: UserInput
    ) -> CreateUserPayload:
        ctx = info.context
        fields = set_fields(props)
        password = fields.pop("password")
        domain_name = fields.pop("domain_name", None) or ctx.user.domain_name

        async def create() -> UserRecord:
            group_ids = parse_group_ids(fields.pop("group_ids", None))
            return await ctx.processors.user.create.run(
                CreateUserAction(
                    requester=ctx.user,
                    email=email,
                    password=password,
                    domain_name=domain_name,
                    props=fields,
                    group_ids=group_ids,
                )
            )

        outcome = await run_mutation(create())
        user = User.from_record(outcome.value) if outcome.value is not None else None
        return CreateUserPayload(ok=outcome.ok, msg=outcome.msg, user=user)

    @strawberry.mutation(description="Change the given fields of a user.")
    async def modify_user(
        self, info: Info[GQLContext, None], email: str, props: ModifyUserInput
    ) -> ModifyUserPayload:
        ctx = info.context
        fields = set_fields(props)

        async def modify() -> UserRecord:
            if fields.get("group_ids") is not None:
                fields["group_ids"] = parse_group_ids(fields["group_ids"])
            return await ctx.processors.user.modify.run(
                ModifyUserAction(requester=ctx.user, email=email, props=fields)
            )

        outcome = await run_mutation(modify())
        user = User.from_record(outcome.value) if outcome.value is not None else None
        return ModifyUserPayload(ok=outcome.ok, msg=outcome.msg, user=user)

    @strawberry.mutation(description="Mark a user deleted and deactivate their keypairs.")
    async def delete_user(self, info: Info[GQLContext, None], email: str) -> DeleteUserPayload:
        ctx = info.context
        outcome = await run_mutation(
            ctx.processors.user.delete.run(DeleteUserAction(requester=ctx.user, email=email))
        )
        return DeleteUserPayload(ok=outcome.ok, msg=outcome.msg)

    @strawberry.mutation(description="Remove a user with their keypairs and memberships.")
    async def purge_user(
        self, info: Info[GQLContext, None], email: str, props: PurgeUserInput | None = None
    ) -> PurgeUserPayload:
        ctx = info.context
        purge_shared = bool(props.purge_shared_vfolders) if props is not None else False
        outcome = await run_mutation(
            ctx.processors.user.purge.run(
                PurgeUserAction(requester=ctx.user, email=email, purge_shared_vfolders=purge_shared)
            )
        )
        return PurgeUserPayload(ok=outcome.ok, msg=outcome.msg)
