"""First in, first out: higher priority first, then the oldest."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from ai.backend.manager.sokovan.scheduler.policies.base import OccupancyView
from ai.backend.manager.sokovan.scheduler.types import PendingSession


def fifo_order(pending: Sequence[PendingSession], view: OccupancyView) -> Iterator[PendingSession]:
    return iter(sorted(pending, key=lambda s: (-s.priority, s.created_at, s.session_id)))
