"""Queue policies: the order in which a pass tries the pending sessions."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

from ai.backend.manager.sokovan.scheduler.policies.base import OccupancyView, QueueOrder
from ai.backend.manager.sokovan.scheduler.policies.drf import drf_order
from ai.backend.manager.sokovan.scheduler.policies.fifo import fifo_order
from ai.backend.manager.sokovan.scheduler.policies.lifo import lifo_order
from ai.backend.manager.sokovan.scheduler.types import QueuePolicy

QUEUE_POLICIES: Final[Mapping[QueuePolicy, QueueOrder]] = {
    QueuePolicy.FIFO: fifo_order,
    QueuePolicy.LIFO: lifo_order,
    QueuePolicy.DRF: drf_order,
}

__all__ = ("QUEUE_POLICIES", "OccupancyView", "QueueOrder", "drf_order", "fifo_order", "lifo_order")
