"""The processors of usage report operations (REST handlers run them)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ai.backend.manager.actions.base import ActionProcessor
from ai.backend.manager.actions.resource import (
    MonthStatsAction,
    RecalculateUsageAction,
    UsagePerMonthAction,
    UsagePerPeriodAction,
)
from ai.backend.manager.metrics.registry import ManagerMetrics
from ai.backend.manager.repositories.usage import UsageRepository
from ai.backend.manager.services.deps import AdminDeps
from ai.backend.manager.services.usage.service import UsageService


@dataclass(frozen=True)
class UsageProcessors:
    per_month: ActionProcessor[UsagePerMonthAction, list[dict[str, Any]]]
    per_period: ActionProcessor[UsagePerPeriodAction, list[dict[str, Any]]]
    month_stats: ActionProcessor[MonthStatsAction, list[dict[str, Any]]]
    recalculate: ActionProcessor[RecalculateUsageAction, dict[str, Any]]


def build_usage_processors(deps: AdminDeps, metrics: ManagerMetrics) -> UsageProcessors:
    service = UsageService(UsageRepository(deps.db))
    return UsageProcessors(
        per_month=ActionProcessor(service.per_month, metrics=metrics),
        per_period=ActionProcessor(service.per_period, metrics=metrics),
        month_stats=ActionProcessor(service.month_stats, metrics=metrics),
        recalculate=ActionProcessor(service.recalculate, metrics=metrics),
    )
