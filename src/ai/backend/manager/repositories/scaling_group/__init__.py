from ai.backend.manager.repositories.scaling_group.repository import ScalingGroupRepository

__all__ = ["ScalingGroupRepository"]
