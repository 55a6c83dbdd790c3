"""Last in, first out: higher priority first, then the newest."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from ai.backend.manager.sokovan.scheduler.policies.base import OccupancyView
from ai.backend.manager.sokovan.scheduler.types import PendingSession


def lifo_order(pending: Sequence[PendingSession], view: OccupancyView) -> Iterator[PendingSession]:
    # Newest first (ties by id, descending), then a stable sort puts higher priorities ahead.
    newest_first = sorted(pending, key=lambda s: (s.created_at, s.session_id), reverse=True)
    return iter(sorted(newest_first, key=lambda s: -s.priority))
