"""The processors of scaling group operations (REST handlers and GraphQL resolvers run them)."""

from __future__ import annotations

from dataclasses import dataclass

from ai.backend.manager.actions.base import ActionProcessor
from ai.backend.manager.actions.scaling_group import (
    AssociateScalingGroupWithDomainAction,
    AssociateScalingGroupWithGroupAction,
    AssociateScalingGroupWithKeypairAction,
    CreateScalingGroupAction,
    DeleteScalingGroupAction,
    DisassociateScalingGroupWithDomainAction,
    DisassociateScalingGroupWithGroupAction,
    DisassociateScalingGroupWithKeypairAction,
    GetScalingGroupAction,
    ListAvailableScalingGroupsAction,
    ListScalingGroupsAction,
    ModifyScalingGroupAction,
)
from ai.backend.manager.data.scaling_group import ScalingGroupRecord
from ai.backend.manager.metrics.registry import ManagerMetrics
from ai.backend.manager.repositories.scaling_group import ScalingGroupRepository
from ai.backend.manager.services.deps import AdminDeps
from ai.backend.manager.services.scaling_group.service import ScalingGroupService


@dataclass(frozen=True)
class ScalingGroupProcessors:
    search: ActionProcessor[ListScalingGroupsAction, list[ScalingGroupRecord]]
    get: ActionProcessor[GetScalingGroupAction, ScalingGroupRecord | None]
    create: ActionProcessor[CreateScalingGroupAction, ScalingGroupRecord]
    modify: ActionProcessor[ModifyScalingGroupAction, ScalingGroupRecord]
    delete: ActionProcessor[DeleteScalingGroupAction, None]
    associate_with_domain: ActionProcessor[AssociateScalingGroupWithDomainAction, None]
    disassociate_with_domain: ActionProcessor[DisassociateScalingGroupWithDomainAction, None]
    associate_with_group: ActionProcessor[AssociateScalingGroupWithGroupAction, None]
    disassociate_with_group: ActionProcessor[DisassociateScalingGroupWithGroupAction, None]
    associate_with_keypair: ActionProcessor[AssociateScalingGroupWithKeypairAction, None]
    disassociate_with_keypair: ActionProcessor[DisassociateScalingGroupWithKeypairAction, None]
    list_available: ActionProcessor[ListAvailableScalingGroupsAction, list[ScalingGroupRecord]]


def build_scaling_group_processors(
    deps: AdminDeps, metrics: ManagerMetrics
) -> ScalingGroupProcessors:
    service = ScalingGroupService(ScalingGroupRepository(deps.db))
    return ScalingGroupProcessors(
        search=ActionProcessor(service.list_scaling_groups, metrics=metrics),
        get=ActionProcessor(service.get_scaling_group, metrics=metrics),
        create=ActionProcessor(service.create_scaling_group, metrics=metrics),
        modify=ActionProcessor(service.modify_scaling_group, metrics=metrics),
        delete=ActionProcessor(service.delete_scaling_group, metrics=metrics),
        associate_with_domain=ActionProcessor(service.associate_with_domain, metrics=metrics),
        disassociate_with_domain=ActionProcessor(service.disassociate_with_domain, metrics=metrics),
        associate_with_group=ActionProcessor(service.associate_with_group, metrics=metrics),
        disassociate_with_group=ActionProcessor(service.disassociate_with_group, metrics=metrics),
        associate_with_keypair=ActionProcessor(service.associate_with_keypair, metrics=metrics),
        disassociate_with_keypair=ActionProcessor(
            service.disassociate_with_keypair, metrics=metrics
        ),
        list_available=ActionProcessor(service.list_available, metrics=metrics),
    )
