"""Actions and the generic processor.

An action is a frozen dataclass describing one operation (who asks, and with what). A
processor runs the service function for it, and around it the cross-cutting work: the
permission check and the action metrics. REST handlers, GraphQL resolvers, the scheduler and
event handlers all go through processors, so every entry point gets the same treatment.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import ClassVar

from ai.backend.manager.errors.base import BackendAIError
from ai.backend.manager.metrics.registry import ManagerMetrics


@dataclass(frozen=True, kw_only=True)
class Action:
    entity_type: ClassVar[str]
    operation_type: ClassVar[str]


type PermissionCheck[A: Action] = Callable[[A], None]


class ActionProcessor[A: Action, R]:
    def __init__(
        self,
        service_fn: Callable[[A], Awaitable[R]],
        *,
        metrics: ManagerMetrics,
        permission_check: PermissionCheck[A] | None = None,
    ) -> None:
        self._service_fn = service_fn
        self._metrics = metrics
        self._permission_check = permission_check

    async def run(self, action: A) -> R:
        started = time.perf_counter()
        error: BackendAIError | None = None
        try:
            if self._permission_check is not None:
                self._permission_check(action)
            return await self._service_fn(action)
        except BackendAIError as e:
            error = e
            raise
        except Exception as e:
            error = BackendAIError(str(e), operation=action.operation_type)
            raise
        finally:
            self._metrics.observe_action(
                entity_type=action.entity_type,
                operation_type=action.operation_type,
                error_code=error.code if error else None,
                duration=time.perf_counter() - started,
            )
