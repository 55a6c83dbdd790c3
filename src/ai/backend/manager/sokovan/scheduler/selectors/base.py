"""What an agent selector is, and the ranking measure the capacity-based ones share.

A selector gets the agents that can host a request (feasibility is the planner's job: architecture,
schedulable, designated agents, container limit, free slots), in id order and never empty, and
picks one. It returns the pick and the round-robin cursor to continue from; only the round-robin
selector moves the cursor.

"Free capacity" is compared slot by slot over the slots the request asks for, scarcest kind first:
accelerators (any slot other than cpu and mem, by name), then cpu, then mem. Comparing exact free
amounts in that order needs no weights or floating point and keeps accelerators, the costly part,
the deciding factor. Ties go to the smaller agent id.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from decimal import Decimal
from itertools import repeat

from ai.backend.manager.sokovan.scheduler.state import AgentState
from ai.backend.manager.sokovan.scheduler.types import ZERO, SlotMap

type AgentSelector = Callable[[Sequence[AgentState], SlotMap, int], tuple[AgentState, int]]


def _scarcity(name: str) -> tuple[int, str]:
    return (2 if name == "mem" else 1 if name == "cpu" else 0, name)


def ranking_slots(requested: SlotMap) -> tuple[str, ...]:
    """The requested slot names (non-zero amounts only), scarcest kind first."""
    return tuple(sorted((n for n, a in requested.items() if a > ZERO), key=_scarcity))


def free_key(agent: AgentState, names: Sequence[str]) -> tuple[Decimal, ...]:
    """The agent's free amounts of `names`, in that order (a missing slot is zero)."""
    return tuple(map(agent.free.get, names, repeat(ZERO)))
