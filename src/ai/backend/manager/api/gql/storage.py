"""GraphQL root fields of storage volumes (queries), merged into the schema."""

from collections.abc import Iterable

import strawberry
from strawberry.types import Info
from strawberry.types.nodes import FragmentSpread, InlineFragment, SelectedField, Selection

from ai.backend.manager.actions.storage import GetStorageVolumeAction, ListStorageVolumesAction
from ai.backend.manager.api.gql.context import GQLContext
from ai.backend.manager.api.gql.types.storage import StorageVolume, StorageVolumeList
from ai.backend.manager.errors.base import InvalidAPIParameters


def _field_names(selections: Iterable[Selection]) -> set[str]:
    """The field names selected at one level (through fragments)."""
    names: set[str] = set()
    for selection in selections:
        if isinstance(selection, SelectedField):
            names.add(selection.name)
        elif isinstance(selection, FragmentSpread | InlineFragment):
            names |= _field_names(selection.selections)
    return names


def _children(selections: Iterable[Selection], name: str) -> list[Selection]:
    found: list[Selection] = []
    for selection in selections:
        if isinstance(selection, SelectedField) and selection.name == name:
            found.extend(selection.selections)
        elif isinstance(selection, FragmentSpread | InlineFragment):
            found.extend(_children(selection.selections, name))
    return found


def _volume_fields(info: Info[GQLContext, None], *, in_items: bool) -> set[str]:
    """Which StorageVolume fields the query selects (so the proxies are asked only for the
    figures wanted: usage, hardware_metadata, performance_metric)."""
    selections: list[Selection] = []
    for field in info.selected_fields:
        selections.extend(field.selections)
    if in_items:
        selections = _children(selections, "items")
    return _field_names(selections)


@strawberry.type
class StorageQuery:
    @strawberry.field(
        description=(
            "A storage volume by id (`proxy:volume`; superadmin only), as its storage proxy"
            " reports it; an error when the proxy does not answer."
        )
    )
    async def storage_volume(self, info: Info[GQLContext, None], id: str) -> StorageVolume:
        ctx = info.context
        fields = _volume_fields(info, in_items=False)
        volume = await ctx.processors.storage.get_volume.run(
            GetStorageVolumeAction(
                requester=ctx.user,
                volume_id=id,
                with_usage="usage" in fields,
                with_hardware_metadata="hardware_metadata" in fields,
                with_performance_metric="performance_metric" in fields,
            )
        )
        return StorageVolume.from_record(volume)

    @strawberry.field(
        description=(
            "A page of storage volumes (superadmin only), ordered by id, as the storage proxies"
            " report them; the volumes of a proxy that does not answer have a null backend"
            " and usage. `filter` and `order` are not supported yet."
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
        if (filter is not None and filter.strip()) or (order is not None and order.strip()):
            raise InvalidAPIParameters(
                "`filter` and `order` are not supported for storage volumes yet"
            )
        ctx = info.context
        fields = _volume_fields(info, in_items=True)
        volumes, total = await ctx.processors.storage.list_volumes.run(
            ListStorageVolumesAction(
                requester=ctx.user,
                limit=limit,
                offset=offset,
                with_usage="usage" in fields,
                with_hardware_metadata="hardware_metadata" in fields,
                with_performance_metric="performance_metric" in fields,
            )
        )
        return StorageVolumeList(
            items=[StorageVolume.from_record(v) for v in volumes], total_count=total
        )


@strawberry.type
class StorageMutation:
    pass
