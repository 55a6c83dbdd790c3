"""Values the authentication service hands to the rest of the manager."""

from __future__ import annotations

import uuid
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class SignedRequest:
    """The parts of an HTTP request that the signature covers."""

    method: str
    raw_path: str
    authorization: str
    date_header: str
    host: str
    content_type: str | None
    api_version: str


@dataclass(frozen=True, slots=True)
class AuthenticatedUser:
    """Who made a request: attached to the request once its signature checks out."""

    access_key: str
    is_admin: bool
    resource_policy: str
    rate_limit: int
    user_uuid: uuid.UUID
    email: str
    role: str
    domain_name: str

    @property
    def is_superadmin(self) -> bool:
        return self.role == "superadmin"
