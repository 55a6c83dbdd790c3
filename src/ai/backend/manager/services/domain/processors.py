"""The processors of domain operations (REST handlers and GraphQL resolvers run them)."""

from __future__ import annotations

from dataclasses import dataclass

from ai.backend.manager.metrics.registry import ManagerMetrics
from ai.backend.manager.services.deps import AdminDeps


@dataclass(frozen=True)
class DomainProcessors:
    pass


def build_domain_processors(deps: AdminDeps, metrics: ManagerMetrics) -> DomainProcessors:
    return DomainProcessors()
