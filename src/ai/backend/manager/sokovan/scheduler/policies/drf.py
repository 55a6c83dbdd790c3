"""Dominant Resource Fairness: the owner holding the smallest share of the group goes next.

An owner is an access key; its share is its dominant share (the largest fraction, over slots, of
the group's total capacity it occupies). Within one priority level the owners take turns: the next
session tried is the oldest one of the owner whose share is currently the smallest, and after one
of its sessions is placed its share is recomputed before it queues again. Higher priorities still
go first, and ties fall to the older session.
"""

from __future__ import annotations

import heapq
from collections import deque
from collections.abc import Iterator, Sequence
from datetime import datetime
from decimal import Decimal
from itertools import groupby
from uuid import UUID

from ai.backend.manager.sokovan.scheduler.policies.base import OccupancyView
from ai.backend.manager.sokovan.scheduler.types import PendingSession, dominant_share


def drf_order(pending: Sequence[PendingSession], view: OccupancyView) -> Iterator[PendingSession]:
    by_priority = sorted(pending, key=lambda s: (-s.priority, s.created_at, s.session_id))
    for _, tier in groupby(by_priority, key=lambda s: s.priority):
        yield from _fair_turns(list(tier), view)


def _fair_turns(
    sessions: Sequence[PendingSession], view: OccupancyView
) -> Iterator[PendingSession]:
    queues: dict[str, deque[PendingSession]] = {}
    for session in sessions:  # already oldest first
        queues.setdefault(session.access_key, deque()).append(session)
    total = view.total_capacity

    def entry(access_key: str) -> tuple[Decimal, datetime, UUID, str]:
        head = queues[access_key][0]
        share = dominant_share(view.keypair_occupancy(access_key), total)
        return (share, head.created_at, head.session_id, access_key)

    heap = [entry(access_key) for access_key in queues]
    heapq.heapify(heap)
    while heap:
        access_key = heapq.heappop(heap)[3]
        queue = queues[access_key]
        yield queue.popleft()
        # Only this owner's occupancy can have changed since it was queued.
        if queue:
            heapq.heappush(heap, entry(access_key))
