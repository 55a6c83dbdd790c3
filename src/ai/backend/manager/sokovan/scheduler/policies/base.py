"""What a queue policy is: a function from the pending sessions to the order they are tried in.

The order is an iterator, pulled one session at a time while the planner places them, so a policy
may look at the live usage (DRF does: whoever just got resources moves back in the line).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Protocol

from ai.backend.manager.sokovan.scheduler.types import PendingSession, SlotMap


class OccupancyView(Protocol):
    """What a policy may read of the pass's state."""

    @property
    def total_capacity(self) -> SlotMap: ...

    def keypair_occupancy(self, access_key: str) -> SlotMap: ...


type QueueOrder = Callable[[Sequence[PendingSession], OccupancyView], Iterator[PendingSession]]
