"""Dispersed: spread kernels onto the agent with the most free capacity.

Evens out the load so that kernels interfere less with each other. This is also what the
`legacy` strategy does.
"""

from __future__ import annotations

from collections.abc import Sequence

from ai.backend.manager.sokovan.scheduler.selectors.base import free_key, ranking_slots
from ai.backend.manager.sokovan.scheduler.state import AgentState
from ai.backend.manager.sokovan.scheduler.types import SlotMap


def select_dispersed(
    feasible: Sequence[AgentState], requested: SlotMap, cursor: int
) -> tuple[AgentState, int]:
    names = ranking_slots(requested)
    # `feasible` is in id order and max() keeps the first of equals: ties go to the smaller id.
    return max(feasible, key=lambda a: free_key(a, names)), cursor
