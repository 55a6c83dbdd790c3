"""Errors about keypair, user and project resource policies."""

from __future__ import annotations

from typing import ClassVar

from ai.backend.manager.errors.base import BackendAIError, InvalidAPIParameters, ObjectNotFound


class ResourcePolicyNotFound(ObjectNotFound):
    error_type = "resource-policy-not-found"
    error_title = "No such resource policy."
    error_domain = "resource_policy"


class ResourcePolicyConflict(BackendAIError):
    """A policy of that kind and name already exists."""

    status_code: ClassVar[int] = 409
    error_type = "resource-policy-conflict"
    error_title = "The resource policy already exists."
    error_domain = "resource_policy"


class ResourcePolicyInUse(BackendAIError):
    """A deletion refused because keypairs, users or projects still use the policy."""

    status_code: ClassVar[int] = 409
    error_type = "resource-policy-in-use"
    error_title = "The resource policy is in use."
    error_domain = "resource_policy"


class InvalidResourcePolicyInput(InvalidAPIParameters):
    error_domain = "resource_policy"
