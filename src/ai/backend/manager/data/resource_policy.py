"""Resource policies as the services and the API see them."""

from __future__ import annotations

import enum
from typing import Any

# A policy row as a mapping of column name to value.
type PolicyRow = dict[str, Any]


class PolicyKind(enum.Enum):
    """Whose resources a policy limits."""

    KEYPAIR = "keypair"
    USER = "user"
    PROJECT = "project"
