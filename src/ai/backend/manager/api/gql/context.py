"""The context every resolver receives."""

from dataclasses import dataclass

from ai.backend.manager.actions.processors import Processors
from ai.backend.manager.services.auth.types import AuthenticatedUser


@dataclass(frozen=True)
class GQLContext:
    processors: Processors
    user: AuthenticatedUser
