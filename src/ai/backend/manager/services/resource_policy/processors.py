"""The processors of resource policy operations (REST handlers and GraphQL resolvers run them)."""

from __future__ import annotations

from dataclasses import dataclass

from ai.backend.manager.actions.base import ActionProcessor
from ai.backend.manager.actions.resource_policy import (
    CreateResourcePolicyAction,
    DeleteResourcePolicyAction,
    ListResourcePoliciesAction,
    ModifyResourcePolicyAction,
)
from ai.backend.manager.data.resource_policy import PolicyRow
from ai.backend.manager.metrics.registry import ManagerMetrics
from ai.backend.manager.repositories.resource_policy import ResourcePolicyRepository
from ai.backend.manager.services.deps import AdminDeps
from ai.backend.manager.services.resource_policy.service import ResourcePolicyService


@dataclass(frozen=True)
class ResourcePolicyProcessors:
    list: ActionProcessor[ListResourcePoliciesAction, list[PolicyRow]]
    create: ActionProcessor[CreateResourcePolicyAction, PolicyRow]
    modify: ActionProcessor[ModifyResourcePolicyAction, None]
    delete: ActionProcessor[DeleteResourcePolicyAction, None]


def build_resource_policy_processors(
    deps: AdminDeps, metrics: ManagerMetrics
) -> ResourcePolicyProcessors:
    service = ResourcePolicyService(ResourcePolicyRepository(deps.db))
    return ResourcePolicyProcessors(
        list=ActionProcessor(service.list_policies, metrics=metrics),
        create=ActionProcessor(service.create_policy, metrics=metrics),
        modify=ActionProcessor(service.modify_policy, metrics=metrics),
        delete=ActionProcessor(service.delete_policy, metrics=metrics),
    )
