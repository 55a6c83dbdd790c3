"""Round-robin: take the group's agents in id order, starting where the last pick left off.

The cursor is a position among all the group's agents sorted by id. The pick is the first feasible
agent at or after the cursor (wrapping around), and the cursor moves just past it.
"""

from __future__ import annotations

from collections.abc import Sequence

from ai.backend.manager.sokovan.scheduler.state import AgentState
from ai.backend.manager.sokovan.scheduler.types import SlotMap


def select_roundrobin(
    feasible: Sequence[AgentState], requested: SlotMap, cursor: int
) -> tuple[AgentState, int]:
    # `feasible` is sorted by index (= by id); a cursor past the end wraps to the first agent.
    chosen = next((a for a in feasible if a.index >= cursor), feasible[0])
    return chosen, chosen.index + 1
