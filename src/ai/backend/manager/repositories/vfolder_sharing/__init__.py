"""SQL of folder sharing: invitations and grants."""

from ai.backend.manager.repositories.vfolder_sharing.repository import VFolderSharingRepository

__all__ = ("VFolderSharingRepository",)
