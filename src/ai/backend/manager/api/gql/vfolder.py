"""GraphQL root fields of virtual folders (queries), merged into the schema.

Each list is two statements whatever the page size: the page's rows (with the caller's access
joined in) and the count.
"""

import uuid

import strawberry
from strawberry.types import Info

from ai.backend.manager.actions.vfolder import (
    GetVFoldersByIdsAction,
    PageVFoldersAction,
    VFolderListKind,
)
from ai.backend.manager.api.gql.context import GQLContext
from ai.backend.manager.api.gql.types.vfolder import VirtualFolder, VirtualFolderList
from ai.backend.manager.errors.base import InvalidAPIParameters

MAX_PAGE = 100


def _check_unsupported(filter: str | None, order: str | None) -> None:
    if (filter is not None and filter.strip()) or (order is not None and order.strip()):
        raise InvalidAPIParameters("`filter` and `order` are not supported for folders yet")


async def _page(
    info: Info[GQLContext, None],
    kind: VFolderListKind,
    limit: int,
    offset: int,
    group_id: uuid.UUID | None = None,
) -> VirtualFolderList:
    if not 0 <= limit <= MAX_PAGE:
        raise InvalidAPIParameters(f"`limit` must be between 0 and {MAX_PAGE}")
    ctx = info.context
    found, total = await ctx.processors.vfolder.page.run(
        PageVFoldersAction(
            requester=ctx.user, kind=kind, group_id=group_id, limit=limit, offset=offset
        )
    )
    return VirtualFolderList(items=[VirtualFolder.from_access(a) for a in found], total_count=total)


@strawberry.type
class VFolderQuery:
    @strawberry.field(description="A virtual folder by id, if the caller may see it.")
    async def vfolder(self, info: Info[GQLContext, None], id: str) -> VirtualFolder | None:
        try:
            folder_id = uuid.UUID(id)
        except ValueError:
            raise InvalidAPIParameters(f"`id` must be a folder id, not {id!r}") from None
        ctx = info.context
        found = await ctx.processors.vfolder.get_by_ids.run(
            GetVFoldersByIdsAction(requester=ctx.user, ids=[folder_id])
        )
        access = found.get(folder_id)
        return VirtualFolder.from_access(access) if access is not None else None

    @strawberry.field(
        description=(
            "A page of folders, newest first: everything for a superadmin, the domain's for an"
            " admin, otherwise those the caller may use (own, shared, their projects')."
        )
    )
    async def vfolder_list(
        self,
        info: Info[GQLContext, None],
        limit: int,
        offset: int,
        group_id: uuid.UUID | None = None,
        access_key: str | None = None,
        domain_name: str | None = None,
        order: str | None = None,
        filter: str | None = None,
    ) -> VirtualFolderList:
        _check_unsupported(filter, order)
        return await _page(info, "all", limit, offset, group_id)

    @strawberry.field(description="A page of the caller's own folders.")
    async def vfolder_own_list(
        self,
        info: Info[GQLContext, None],
        limit: int,
        offset: int,
        access_key: str | None = None,
        domain_name: str | None = None,
        order: str | None = None,
        filter: str | None = None,
    ) -> VirtualFolderList:
        _check_unsupported(filter, order)
        return await _page(info, "own", limit, offset)

    @strawberry.field(description="A page of the folders shared with the caller.")
    async def vfolder_invited_list(
        self,
        info: Info[GQLContext, None],
        limit: int,
        offset: int,
        access_key: str | None = None,
        domain_name: str | None = None,
        order: str | None = None,
        filter: str | None = None,
    ) -> VirtualFolderList:
        _check_unsupported(filter, order)
        return await _page(info, "invited", limit, offset)

    @strawberry.field(description="A page of the folders of the caller's projects.")
    async def vfolder_project_list(
        self,
        info: Info[GQLContext, None],
        limit: int,
        offset: int,
        access_key: str | None = None,
        domain_name: str | None = None,
        order: str | None = None,
        filter: str | None = None,
    ) -> VirtualFolderList:
        _check_unsupported(filter, order)
        return await _page(info, "project", limit, offset)
