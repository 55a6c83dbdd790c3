"""Errors about container registries and rescanning them."""

from __future__ import annotations

from ai.backend.manager.errors.base import (
    BackendAIError,
    InvalidAPIParameters,
    ObjectNotFound,
)


class ContainerRegistryNotFound(ObjectNotFound):
    error_type = "container-registry-not-found"
    error_title = "No such container registry."
    error_domain = "container_registry"


class InvalidContainerRegistry(InvalidAPIParameters):
    """A registry record that cannot be stored (bad URL, type, name, a duplicate...)."""

    error_domain = "container_registry"


class ContainerRegistryError(BackendAIError):
    """The registry could not be read: the manager's upstream failed, so 502."""

    status_code = 502
    error_type = "container-registry-error"
    error_title = "The container registry could not be read."
    error_domain = "container_registry"


class ContainerRegistryUnreachable(ContainerRegistryError):
    error_type = "container-registry-unreachable"
    error_title = "The container registry does not answer."


class ContainerRegistryProtocolError(ContainerRegistryError):
    """It answered, but not as a v2 registry should (an HTTP error, or a body that does not
    parse)."""

    error_type = "container-registry-protocol-error"
    error_title = "The container registry gave an invalid answer."


class ContainerRegistryAuthFailed(ContainerRegistryError):
    error_type = "container-registry-auth-failed"
    error_title = "The container registry refused the credentials."


class ImageRegistryNotAllowed(BackendAIError):
    """A session asks for an image from a registry its domain does not allow."""

    status_code = 403
    error_type = "image-registry-not-allowed"
    error_title = "The image's registry is not allowed in this domain."
    error_domain = "image"
