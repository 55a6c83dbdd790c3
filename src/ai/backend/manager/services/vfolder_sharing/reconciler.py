"""Runs `VFolderSharingService.reconcile_clones` at start-up and then periodically."""

from __future__ import annotations

from ai.backend.manager.services.periodic import PeriodicRound
from ai.backend.manager.services.vfolder_sharing.service import VFolderSharingService


class CloneReconciler(PeriodicRound):
    def __init__(self, service: VFolderSharingService, *, interval: float = 300.0) -> None:
        super().__init__("vfolder-clone-reconciler", service.reconcile_clones, interval=interval)
