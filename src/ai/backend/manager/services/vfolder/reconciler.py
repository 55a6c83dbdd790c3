"""Runs `VFolderService.reconcile` at start-up and then periodically, until stopped."""

from __future__ import annotations

from ai.backend.manager.services.periodic import PeriodicRound
from ai.backend.manager.services.vfolder.service import VFolderService


class VFolderReconciler(PeriodicRound):
    def __init__(self, service: VFolderService, *, interval: float = 300.0) -> None:
        super().__init__("vfolder-reconciler", service.reconcile, interval=interval)
