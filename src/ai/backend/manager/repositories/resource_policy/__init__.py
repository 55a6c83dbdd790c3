from ai.backend.manager.data.resource_policy import PolicyKind
from ai.backend.manager.repositories.resource_policy.repository import ResourcePolicyRepository

__all__ = ["PolicyKind", "ResourcePolicyRepository"]
