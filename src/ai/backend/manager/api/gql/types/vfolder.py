"""The legacy `VirtualFolder` object type and its paged list."""

from __future__ import annotations

import uuid
from datetime import datetime

import strawberry

from ai.backend.manager.data.vfolder import VFolderAccess


@strawberry.type(name="VirtualFolder", description="A virtual folder, as the caller sees it.")
class VirtualFolder:
    id: strawberry.ID
    host: str
    quota_scope_id: str
    name: str
    user: uuid.UUID | None
    user_email: str | None
    group: uuid.UUID | None
    group_name: str | None
    creator: str | None
    domain_name: str
    unmanaged_path: str | None
    usage_mode: str
    # the caller's permission on the folder (`ro`, `rw`, `wd`)
    permission: str
    ownership_type: str
    max_files: int | None
    max_size: int | None
    created_at: datetime
    last_used: datetime | None
    num_files: int | None
    cur_size: int | None
    cloneable: bool
    status: str

    @classmethod
    def from_access(cls, access: VFolderAccess) -> VirtualFolder:
        f = access.folder
        return cls(
            id=strawberry.ID(str(f.id)),
            host=f.host,
            quota_scope_id=f.quota_scope_id,
            name=f.name,
            user=f.user,
            user_email=f.user_email,
            group=f.group,
            group_name=f.group_name,
            creator=f.creator,
            domain_name=f.domain_name,
            unmanaged_path=f.unmanaged_path,
            usage_mode=f.usage_mode.value,
            permission=access.permission.value,
            ownership_type=f.ownership_type.value,
            max_files=f.max_files,
            max_size=f.max_size,
            created_at=f.created_at,
            last_used=f.last_used,
            num_files=f.num_files,
            cur_size=f.cur_size,
            cloneable=f.cloneable,
            status=f.status.value,
        )


@strawberry.type(name="VirtualFolderList")
class VirtualFolderList:
    items: list[VirtualFolder]
    total_count: int
