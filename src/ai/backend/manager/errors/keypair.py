"""Errors about keypairs."""

from __future__ import annotations

from ai.backend.manager.errors.base import InvalidAPIParameters, ObjectNotFound


class KeypairNotFound(ObjectNotFound):
    error_type = "keypair-not-found"
    error_title = "No such keypair."
    error_domain = "keypair"


class InvalidKeypairInput(InvalidAPIParameters):
    error_domain = "keypair"
