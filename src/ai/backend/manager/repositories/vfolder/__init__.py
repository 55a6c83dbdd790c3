from ai.backend.manager.repositories.vfolder.repository import VFolderRepository, decide_access

__all__ = ["VFolderRepository", "decide_access"]
