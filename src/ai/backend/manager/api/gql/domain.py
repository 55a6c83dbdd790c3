"""GraphQL root fields of domains (queries and mutations), merged into the schema.

Expected failures of a mutation (no such domain, name taken, dependants left) come back as
`ok: false` with a message; refusals for lack of privilege are GraphQL errors.
"""

import strawberry
from strawberry.types import Info

from ai.backend.manager.actions.domain import (
    CreateDomainAction,
    DeleteDomainAction,
    GetDomainAction,
    ListDomainsAction,
    ModifyDomainAction,
    PurgeDomainAction,
)
from ai.backend.manager.api.gql.context import GQLContext
from ai.backend.manager.api.gql.types.domain import (
    CreateDomainPayload,
    DeleteDomainPayload,
    Domain,
    DomainInput,
    ModifyDomainInput,
    ModifyDomainPayload,
    PurgeDomainPayload,
    parse_slots,
    parse_vfolder_hosts,
)
from ai.backend.manager.data.domain import DomainSpec, DomainUpdate
from ai.backend.manager.errors.base import ObjectNotFound
from ai.backend.manager.errors.domain import DomainConflict

_EXPECTED = (ObjectNotFound, DomainConflict)


@strawberry.type
class DomainQuery:
    @strawberry.field(description="Every domain (superadmins only).")
    async def domains(
        self, info: Info[GQLContext, None], is_active: bool | None = None
    ) -> list[Domain]:
        ctx = info.context
        records = await ctx.processors.domain.search.run(
            ListDomainsAction(requester=ctx.user, is_active=is_active)
        )
        return [Domain.from_record(r) for r in records]

    @strawberry.field(description="A domain by name (the caller's own when omitted); null if none.")
    async def domain(self, info: Info[GQLContext, None], name: str | None = None) -> Domain | None:
        ctx = info.context
        record = await ctx.processors.domain.get.run(GetDomainAction(requester=ctx.user, name=name))
        return Domain.from_record(record) if record is not None else None


@strawberry.type
class DomainMutation:
    @strawberry.mutation
    async def create_domain(
        self, info: Info[GQLContext, None], name: str, props: DomainInput
    ) -> CreateDomainPayload:
        ctx = info.context
        spec = DomainSpec(
            name=name,
            description=props.description or "",
            is_active=props.is_active if props.is_active is not None else True,
            total_resource_slots=parse_slots(props.total_resource_slots) or {},
            allowed_vfolder_hosts=parse_vfolder_hosts(props.allowed_vfolder_hosts) or {},
            allowed_docker_registries=props.allowed_docker_registries or [],
            integration_id=props.integration_id,
        )
        try:
            record = await ctx.processors.domain.create.run(
                CreateDomainAction(requester=ctx.user, spec=spec)
            )
        except _EXPECTED as e:
            return CreateDomainPayload(ok=False, msg=str(e))
        return CreateDomainPayload(ok=True, msg="success", domain=Domain.from_record(record))

    @strawberry.mutation
    async def modify_domain(
        self, info: Info[GQLContext, None], name: str, props: ModifyDomainInput
    ) -> ModifyDomainPayload:
        ctx = info.context
        update = DomainUpdate(
            new_name=props.name,
            description=props.description,
            is_active=props.is_active,
            total_resource_slots=parse_slots(props.total_resource_slots),
            allowed_vfolder_hosts=parse_vfolder_hosts(props.allowed_vfolder_hosts),
            allowed_docker_registries=props.allowed_docker_registries,
            integration_id=props.integration_id,
        )
        try:
            record = await ctx.processors.domain.modify.run(
                ModifyDomainAction(requester=ctx.user, name=name, update=update)
            )
        except _EXPECTED as e:
            return ModifyDomainPayload(ok=False, msg=str(e))
        return ModifyDomainPayload(ok=True, msg="success", domain=Domain.from_record(record))

    @strawberry.mutation(description="Deactivate a domain (is_active: false); it can be revived.")
    async def delete_domain(self, info: Info[GQLContext, None], name: str) -> DeleteDomainPayload:
        ctx = info.context
        try:
            await ctx.processors.domain.delete.run(
                DeleteDomainAction(requester=ctx.user, name=name)
            )
        except _EXPECTED as e:
            return DeleteDomainPayload(ok=False, msg=str(e))
        return DeleteDomainPayload(ok=True, msg=f"domain {name} deactivated")

    @strawberry.mutation(
        description="Remove a domain for good; refused while it has users, projects, sessions or"
        " associated scaling groups."
    )
    async def purge_domain(self, info: Info[GQLContext, None], name: str) -> PurgeDomainPayload:
        ctx = info.context
        try:
            await ctx.processors.domain.purge.run(PurgeDomainAction(requester=ctx.user, name=name))
        except _EXPECTED as e:
            return PurgeDomainPayload(ok=False, msg=str(e))
        return PurgeDomainPayload(ok=True, msg=f"domain {name} purged")
