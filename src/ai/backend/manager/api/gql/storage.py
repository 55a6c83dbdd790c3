"""GraphQL root fields of storage volumes (queries), merged into the schema."""

import strawberry
from strawberry.types import Info

from ai.backend.manager.actions.storage import GetStorageVolumeAction, ListStorageVolumesAction
from ai.backend.manager.api.gql.context import GQLContext
from ai.backend.manager.api.gql.types.storage import StorageVolume, StorageVolumeList


@strawberry.type
class StorageQuery:
    @strawberry.field(description="A storage volume by id (`proxy:volume`; superadmin only).")
    async def storage_volume(self, info: Info[GQLContext, None], id: str) -> StorageVolume:
        ctx = info.context
        volume = await ctx.processors.storage.get_volume.run(
            GetStorageVolumeAction(requester=ctx.user, volume_id=id)
        )
        return StorageVolume.from_record(volume)

    @strawberry.field(
        description=(
            "A page of storage volumes (superadmin only), in configuration order unless `order`"
            " says otherwise; `filter` and `order` are the list mini-languages."
        )
    )
    async def storage_volume_list(
        self,
        info: Info[GQLContext, None],
        limit: int,
        offset: int,
        filter: str | None = None,
        order: str | None = None,
    ) -> StorageVolumeList:
        ctx = info.context
        volumes, total = await ctx.processors.storage.list_volumes.run(
            ListStorageVolumesAction(
                requester=ctx.user, filter=filter, order=order, limit=limit, offset=offset
            )
        )
        return StorageVolumeList(
            items=[StorageVolume.from_record(v) for v in volumes], total_count=total
        )


@strawberry.type
class StorageMutation:
    pass
