"""Errors about virtual folders."""

from __future__ import annotations

from ai.backend.manager.errors.base import (
    BackendAIError,
    InvalidAPIParameters,
    ObjectNotFound,
    PermissionDenied,
)


class VFolderNotFound(ObjectNotFound):
    error_type = "vfolder-not-found"
    error_title = "Virtual folder not found."
    error_domain = "vfolder"


class VFolderAlreadyExists(BackendAIError):
    status_code = 409
    error_type = "vfolder-already-exists"
    error_title = "Virtual folder already exists."
    error_domain = "vfolder"


class VFolderInvalidParameter(InvalidAPIParameters):
    error_domain = "vfolder"


class VFolderCountLimitExceeded(BackendAIError):
    status_code = 400
    error_type = "vfolder-count-limit-exceeded"
    error_title = "You cannot create more virtual folders."
    error_domain = "vfolder"


class VFolderPermissionDenied(PermissionDenied):
    error_type = "vfolder-permission-denied"
    error_title = "Not permitted on this virtual folder."
    error_domain = "vfolder"


class VFolderBadStatus(BackendAIError):
    """The folder is not in a state the operation accepts (e.g. restoring a live folder)."""

    status_code = 409
    error_type = "vfolder-bad-status"
    error_title = "The virtual folder is not in a state that allows this operation."
    error_domain = "vfolder"


class VFolderInUse(BackendAIError):
    """A live session mounts the folder."""

    status_code = 409
    error_type = "vfolder-in-use"
    error_title = "The virtual folder is mounted by a running session."
    error_domain = "vfolder"


class VFolderOperationFailed(BackendAIError):
    """The storage proxy refused an operation on a folder (the folder is left as it was)."""

    status_code = 400
    error_type = "vfolder-operation-failed"
    error_title = "The storage proxy refused the operation."
    error_domain = "vfolder"
