"""Errors about sharing folders: invitations and grants."""

from __future__ import annotations

from ai.backend.manager.errors.base import BackendAIError, ObjectNotFound


class VFolderInvitationNotFound(ObjectNotFound):
    error_type = "vfolder-invitation-not-found"
    error_title = "No such virtual folder invitation."
    error_domain = "vfolder"


class VFolderGrantAlreadyExists(BackendAIError):
    """The user already owns or holds a share of the folder."""

    status_code = 409
    error_type = "vfolder-grant-already-exists"
    error_title = "The user already has access to this virtual folder."
    error_domain = "vfolder"
