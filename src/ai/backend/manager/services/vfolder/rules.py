"""Name and path rules for virtual folders, checked before anything reaches the database or a
storage proxy."""

from __future__ import annotations

import re
from pathlib import PurePosixPath
from typing import Final

from ai.backend.manager.errors.vfolder import VFolderInvalidParameter

# The API refuses longer names: the row keeps room for a suffix the trash may add.
MAX_NAME_LENGTH: Final = 64

# Names that would clash with what a session's home directory or the system already holds
# when the folder is mounted; dot-files a shell or tool reads at start-up follow the patterns.
_RESERVED: Final = frozenset({".terminfo", ".jupyter", ".tmux.conf", ".ssh"})
_RESERVED_PATTERNS: Final = (re.compile(r"^\.[a-z0-9]+rc$"), re.compile(r"^\.[a-z0-9]+_profile$"))
_CONTROL: Final = re.compile(r"[\x00-\x1f\x7f]")


def check_folder_name(name: str, *, project: bool = False) -> str:
    """The name if it is acceptable for a folder; VFolderInvalidParameter (400) otherwise."""
    if not isinstance(name, str) or not name or not name.strip():
        raise VFolderInvalidParameter("A folder name must not be empty")
    if len(name) > MAX_NAME_LENGTH:
        raise VFolderInvalidParameter(
            f"A folder name is at most {MAX_NAME_LENGTH} characters (got {len(name)})"
        )
    if name in (".", ".."):
        raise VFolderInvalidParameter(f"{name!r} is not a folder name")
    if "/" in name or "\\" in name:
        raise VFolderInvalidParameter("A folder name must not contain slashes")
    if _CONTROL.search(name):
        raise VFolderInvalidParameter("A folder name must not contain control characters")
    if name != name.strip():
        raise VFolderInvalidParameter("A folder name must not start or end with spaces")
    if name in _RESERVED or any(p.match(name) for p in _RESERVED_PATTERNS):
        raise VFolderInvalidParameter(f"The folder name {name!r} is reserved")
    if project and name.startswith(".") and name != ".local":
        raise VFolderInvalidParameter("A project folder's name must not start with a dot")
    return name


def check_relpath(path: str, *, what: str = "path", allow_root: bool = True) -> str:
    """A path inside a folder, normalised (`a//b/./c` -> `a/b/c`, root -> `.`); absolute
    paths and any `..` component are refused with 400 before a storage proxy sees them."""
    if not isinstance(path, str):
        raise VFolderInvalidParameter(f"`{what}` must be a string")
    if "\x00" in path:
        raise VFolderInvalidParameter(f"`{what}` must not contain NUL")
    if path.startswith("/") or path.startswith("\\"):
        raise VFolderInvalidParameter(f"`{what}` must be relative to the folder, not {path!r}")
    parts = PurePosixPath(path).parts
    if any(part == ".." for part in parts) or any(
        part == ".." for part in path.replace("\\", "/").split("/")
    ):
        raise VFolderInvalidParameter(f"`{what}` must not leave the folder ({path!r})")
    normalised = str(PurePosixPath(*parts)) if parts else "."
    if not allow_root and normalised == ".":
        raise VFolderInvalidParameter(f"`{what}` must name something inside the folder")
    return normalised


def check_file_name(name: str) -> str:
    """A new name for a file (one path component)."""
    if not isinstance(name, str) or not name or name in (".", ".."):
        raise VFolderInvalidParameter("`new_name` must be a file name")
    if "/" in name or "\\" in name or "\x00" in name:
        raise VFolderInvalidParameter("`new_name` must be one path component")
    return name
