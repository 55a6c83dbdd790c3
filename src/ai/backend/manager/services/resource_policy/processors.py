"""The processors of resource policy operations (REST handlers and GraphQL resolvers run them)."""

from __future__ import annotations

from dataclasses import dataclass

from ai.backend.manager.metrics.registry import ManagerMetrics
from ai.backend.manager.services.deps import AdminDeps


@dataclass(frozen=True)
class ResourcePolicyProcessors:
    pass


def build_resource_policy_processors(
    deps: AdminDeps, metrics: ManagerMetrics
) -> ResourcePolicyProcessors:
    return ResourcePolicyProcessors()
