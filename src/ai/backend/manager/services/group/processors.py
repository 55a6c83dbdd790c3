"""The processors of group operations (REST handlers and GraphQL resolvers run them)."""

from __future__ import annotations

from dataclasses import dataclass

from ai.backend.manager.actions.base import ActionProcessor
from ai.backend.manager.actions.group import (
    CreateGroupAction,
    DeleteGroupAction,
    GetGroupAction,
    ListGroupsAction,
    ListGroupsByNameAction,
    ModifyGroupAction,
    PurgeGroupAction,
)
from ai.backend.manager.data.group import GroupRecord
from ai.backend.manager.metrics.registry import ManagerMetrics
from ai.backend.manager.repositories.group import GroupRepository
from ai.backend.manager.services.deps import AdminDeps
from ai.backend.manager.services.group.service import GroupService


@dataclass(frozen=True)
class GroupProcessors:
    search: ActionProcessor[ListGroupsAction, list[GroupRecord]]
    list_by_name: ActionProcessor[ListGroupsByNameAction, list[GroupRecord]]
    get: ActionProcessor[GetGroupAction, GroupRecord | None]
    create: ActionProcessor[CreateGroupAction, GroupRecord]
    modify: ActionProcessor[ModifyGroupAction, GroupRecord]
    delete: ActionProcessor[DeleteGroupAction, None]
    purge: ActionProcessor[PurgeGroupAction, None]


def build_group_processors(deps: AdminDeps, metrics: ManagerMetrics) -> GroupProcessors:
    service = GroupService(GroupRepository(deps.db))
    return GroupProcessors(
        search=ActionProcessor(service.list_groups, metrics=metrics),
        list_by_name=ActionProcessor(service.list_groups_by_name, metrics=metrics),
        get=ActionProcessor(service.get_group, metrics=metrics),
        create=ActionProcessor(service.create_group, metrics=metrics),
        modify=ActionProcessor(service.modify_group, metrics=metrics),
        delete=ActionProcessor(service.delete_group, metrics=metrics),
        purge=ActionProcessor(service.purge_group, metrics=metrics),
    )
