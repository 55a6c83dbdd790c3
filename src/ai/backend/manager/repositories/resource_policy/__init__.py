from ai.backend.manager.repositories.resource_policy.repository import (
    PolicyKind,
    ResourcePolicyRepository,
)

__all__ = ["PolicyKind", "ResourcePolicyRepository"]
