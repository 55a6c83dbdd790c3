from ai.backend.manager.repositories.usage.repository import KernelUsageRecord, UsageRepository

__all__ = ("KernelUsageRecord", "UsageRepository")
