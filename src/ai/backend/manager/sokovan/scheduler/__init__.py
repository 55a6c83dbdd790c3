"""The pure decision core of the scheduler: snapshot in, plan out (no IO, no clock, no asyncio).

    plan(SchedulingSnapshot) -> SchedulingPlan

`types` holds the inputs, the outputs and slot arithmetic; `validators` the admission checks;
`policies` the queue orders (FIFO, LIFO, DRF); `selectors` the agent choices (concentrated,
dispersed, round-robin); `planner` puts them together.
"""

from __future__ import annotations

from ai.backend.manager.sokovan.scheduler.planner import plan
from ai.backend.manager.sokovan.scheduler.types import (
    AgentSnapshot,
    DependencyState,
    KernelPlacement,
    KernelRequest,
    KeypairLimits,
    KeypairUsage,
    PendingSession,
    QueuePolicy,
    ReasonCode,
    SchedulingPlan,
    SchedulingSnapshot,
    SessionCancellation,
    SessionDeferral,
    SessionPlacement,
    Verdict,
)

__all__ = (
    "AgentSnapshot",
    "DependencyState",
    "KernelPlacement",
    "KernelRequest",
    "KeypairLimits",
    "KeypairUsage",
    "PendingSession",
    "QueuePolicy",
    "ReasonCode",
    "SchedulingPlan",
    "SchedulingSnapshot",
    "SessionCancellation",
    "SessionDeferral",
    "SessionPlacement",
    "Verdict",
    "plan",
)
