"""The msgpack dialect agents speak in RPC bodies.

Agents pack with `use_bin_type` and unpack with non-string map keys allowed; a few Python
types travel as msgpack extension types:

    1 UUID (16 bytes)        2 datetime (temporenc)     3 Decimal (pickle)
    4 PosixPath (fs bytes)   5 PurePosixPath (fs bytes) 6 Enum member (pickle)
    7 ImageRef (pickle)      8 ResourceSlot (pickle)    9 SlotName (pickle)
    16 BinarySize (pickle)   17 AutoDirectoryPath (fs bytes)

We never unpickle agent data with the real `pickle.loads`: the pickled extension types are
read with an unpickler that can build only `decimal.Decimal` and otherwise records what was
asked for, from which the plain value is recovered (Decimal, an enum's raw value, a slot
mapping, an `ImageRefSpec`). Anything else stays an opaque `msgpack.ExtType`.

On the way out, values go as the agent expects them: UUIDs and datetimes as extensions,
tuples as lists, enums as their values, Decimals as strings, and `ImageRefSpec` as an
ImageRef pickle that calls the agent's own constructor (so its post-init logic runs).
"""

from __future__ import annotations

import datetime
import enum
import io
import os
import pickle
import struct
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from pathlib import PosixPath, PurePosixPath
from typing import Any, ClassVar, Final

import msgpack  # type: ignore[import-untyped]
import temporenc  # type: ignore[import-untyped]

from ai.backend.manager.clients.agent.types import ImageRefSpec

EXT_UUID: Final = 1
EXT_DATETIME: Final = 2
EXT_DECIMAL: Final = 3
EXT_POSIX_PATH: Final = 4
EXT_PURE_POSIX_PATH: Final = 5
EXT_ENUM: Final = 6
EXT_IMAGE_REF: Final = 7
EXT_RESOURCE_SLOT: Final = 8
EXT_SLOT_NAME: Final = 9
EXT_BINARY_SIZE: Final = 16
EXT_AUTO_DIRECTORY_PATH: Final = 17

IMAGE_REF_MODULE: Final = "ai.backend.common.docker"
IMAGE_REF_CLASS: Final = "ImageRef"

ExtType = msgpack.ExtType


# --- encoding ------------------------------------------------------------------------------


def image_ref_pickle(ref: ImageRefSpec) -> bytes:
    """A protocol-2 pickle equivalent to `ImageRef(name, project, tag, registry, arch, local)`.

    Built opcode by opcode: GLOBAL, MARK, the six positional arguments, TUPLE, REDUCE, STOP.
    """
    out = bytearray(b"\x80\x02")  # PROTO 2
    out += f"c{IMAGE_REF_MODULE}\n{IMAGE_REF_CLASS}\n".encode()  # GLOBAL
    out += b"("  # MARK
    for value in (ref.name, ref.project, ref.tag, ref.registry, ref.architecture):
        if value is None:
            out += b"N"  # NONE
        else:
            raw = value.encode("utf-8")
            out += b"X" + struct.pack("<I", len(raw)) + raw  # BINUNICODE
    out += b"\x88" if ref.is_local else b"\x89"  # NEWTRUE / NEWFALSE
    out += b"tR."  # TUPLE, REDUCE, STOP
    return bytes(out)


def _default(obj: Any) -> Any:
    """Called by msgpack for every value it cannot pack as is (strict types)."""
    match obj:
        case tuple() | list() | set() | frozenset():
            return list(obj)
        case uuid.UUID():
            return ExtType(EXT_UUID, obj.bytes)
        case datetime.datetime():
            return ExtType(EXT_DATETIME, temporenc.packb(obj))
        case Decimal():
            return str(obj)
        case enum.Enum():
            return obj.value
        case ImageRefSpec():
            return ExtType(EXT_IMAGE_REF, image_ref_pickle(obj))
        case PosixPath():
            return ExtType(EXT_POSIX_PATH, os.fsencode(obj))
        case PurePosixPath():
            return ExtType(EXT_PURE_POSIX_PATH, os.fsencode(obj))
        case bool():
            return bool(obj)
        case str():
            return str(obj)
        case int():
            return int(obj)
        case float():
            return float(obj)
        case bytes() | bytearray() | memoryview():
            return bytes(obj)
        case Mapping():
            return dict(obj)
    raise TypeError(f"cannot send {type(obj).__qualname__} to an agent: {obj!r}")


def pack(obj: Any) -> bytes:
    packed: bytes = msgpack.packb(obj, use_bin_type=True, strict_types=True, default=_default)
    return packed


# --- decoding ------------------------------------------------------------------------------


class _Recorded:
    """Stands in for a class the restricted unpickler refuses to import.

    Calling it (REDUCE) or `__new__` (NEWOBJ) records the arguments; BUILD records the state.
    """

    __slots__ = ("args", "state")
    pickle_module: ClassVar[str] = ""
    pickle_name: ClassVar[str] = ""

    args: tuple[Any, ...]
    state: Any

    def __new__(cls, *args: Any, **kwargs: Any) -> _Recorded:
        obj = super().__new__(cls)
        obj.args = args
        obj.state = None
        return obj

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        pass

    def __setstate__(self, state: Any) -> None:
        self.state = state

    def state_dict(self) -> dict[str, Any]:
        """The instance dict part of the state (BUILD may carry `(dict, slots)`)."""
        state = self.state
        if isinstance(state, tuple) and len(state) == 2:
            merged: dict[str, Any] = {}
            for part in state:
                if isinstance(part, dict):
                    merged.update(part)
            return merged
        return state if isinstance(state, dict) else {}


class _RestrictedUnpickler(pickle.Unpickler):
    _ALLOWED: ClassVar[Mapping[tuple[str, str], type]] = {("decimal", "Decimal"): Decimal}

    def find_class(self, module: str, name: str) -> Any:
        allowed = self._ALLOWED.get((module, name))
        if allowed is not None:
            return allowed
        return type(
            name,
            (_Recorded,),
            {"__slots__": (), "pickle_module": module, "pickle_name": name},
        )

    def persistent_load(self, pid: Any) -> Any:
        raise pickle.UnpicklingError("persistent ids are not supported")


class _NotRecognised(Exception):
    pass


def _as_decimal(value: Any) -> Decimal:
    if isinstance(value, Decimal):
        return value
    if isinstance(value, (int, str)):
        return Decimal(value)
    raise _NotRecognised


def _single_arg(obj: Any) -> Any:
    if isinstance(obj, _Recorded) and len(obj.args) == 1:
        return obj.args[0]
    raise _NotRecognised


def _from_pickle(code: int, obj: Any) -> Any:
    match code:
        case 3:  # Decimal
            if isinstance(obj, Decimal):
                return obj
        case 6:  # an enum member: Class(value)
            value = _single_arg(obj)
            if isinstance(value, (str, int, float, bool)) or value is None:
                return value
        case 16:  # BinarySize, an int subclass: Class.__new__(Class, n)
            value = _single_arg(obj)
            if isinstance(value, int):
                return value
        case 9:  # SlotName, a string-like with `data`
            if isinstance(obj, _Recorded) and isinstance(obj.state_dict().get("data"), str):
                return obj.state_dict()["data"]
        case 8:  # ResourceSlot, a dict-like with `data`: {slot: Decimal}
            if isinstance(obj, _Recorded):
                data = obj.state_dict().get("data")
                if isinstance(data, dict):
                    return {str(k): _as_decimal(v) for k, v in data.items()}
        case 7:  # ImageRef dataclass
            if isinstance(obj, _Recorded) and len(obj.args) == 6:
                # a constructor call, as image_ref_pickle() builds it
                name, project, tag, registry, architecture, is_local = obj.args
                return ImageRefSpec(
                    name=str(name),
                    project=None if project is None else str(project),
                    tag=str(tag),
                    registry=str(registry),
                    architecture=str(architecture),
                    is_local=bool(is_local),
                )
            if isinstance(obj, _Recorded):
                state = obj.state_dict()
                return ImageRefSpec(
                    name=str(state["name"]),
                    project=None if state.get("project") is None else str(state["project"]),
                    tag=str(state["tag"]),
                    registry=str(state["registry"]),
                    architecture=str(state["architecture"]),
                    is_local=bool(state.get("is_local", False)),
                )
    raise _NotRecognised


def _decode_pickled(code: int, data: bytes) -> Any:
    try:
        return _from_pickle(code, _RestrictedUnpickler(io.BytesIO(data)).load())
    except Exception:
        return ExtType(code, data)


def _ext_hook(code: int, data: bytes) -> Any:
    match code:
        case 1:
            return uuid.UUID(bytes=data)
        case 2:
            return temporenc.unpackb(data).datetime()
        case 4 | 17:
            return PosixPath(os.fsdecode(data))
        case 5:
            return PurePosixPath(os.fsdecode(data))
        case 3 | 6 | 7 | 8 | 9 | 16:
            return _decode_pickled(code, data)
    return ExtType(code, data)


def unpack(data: bytes) -> Any:
    """Decode an agent's msgpack; arrays become lists."""
    return msgpack.unpackb(data, raw=False, strict_map_key=False, use_list=True, ext_hook=_ext_hook)


@dataclass(frozen=True)
class UndecodableReply:
    """What `safe_unpack` returns instead of raising (callosum would kill its receive loop)."""

    error: str


def safe_unpack(data: bytes) -> Any:
    try:
        return unpack(data)
    except Exception as e:
        return UndecodableReply(f"{type(e).__name__}: {e}")
