"""Concentrated: pack kernels onto the agent with the least free capacity that still fits.

Keeps other agents empty for large requests (and idle ones can be powered down).
"""

from __future__ import annotations

from collections.abc import Sequence

from ai.backend.manager.sokovan.scheduler.selectors.base import free_key, ranking_slots
from ai.backend.manager.sokovan.scheduler.state import AgentState
from ai.backend.manager.sokovan.scheduler.types import SlotMap


def select_concentrated(
    feasible: Sequence[AgentState], requested: SlotMap, cursor: int
) -> tuple[AgentState, int]:
    names = ranking_slots(requested)
    # `feasible` is in id order and min() keeps the first of equals: ties go to the smaller id.
    return min(feasible, key=lambda a: free_key(a, names)), cursor
