"""Errors about storage volumes and virtual folder hosts."""

from __future__ import annotations

from ai.backend.manager.errors.base import ObjectNotFound


class StorageVolumeNotFound(ObjectNotFound):
    error_type = "storage-volume-not-found"
    error_title = "No such storage volume."
    error_domain = "storage"
