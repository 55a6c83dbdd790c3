"""What a storage proxy reports when it has finished copying a folder (anycast).

Folder ids are the proxy's `<quota scope id>/<folder uuid hex>`; `vfid` is the source,
`dst_vfid` the copy.
"""

from __future__ import annotations

from typing import ClassVar

from ai.backend.manager.events.base import Event


class VFolderCloneSuccessEvent(Event):
    name: ClassVar[str] = "vfolder_clone_success"

    vfid: str
    dst_vfid: str


class VFolderCloneFailureEvent(Event):
    name: ClassVar[str] = "vfolder_clone_failure"

    vfid: str
    dst_vfid: str
    message: str = ""
