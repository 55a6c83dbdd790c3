"""The msgpack dialect of agent RPC bodies (clients/agent/codec.py), without any server."""

from __future__ import annotations

import datetime
import enum
import pickle
import uuid
from decimal import Decimal
from pathlib import Path, PurePosixPath

import msgpack  # type: ignore[import-untyped]
import pytest

from ai.backend.manager.clients.agent.codec import (
    EXT_DATETIME,
    EXT_IMAGE_REF,
    EXT_PURE_POSIX_PATH,
    EXT_UUID,
    UndecodableReply,
    image_ref_pickle,
    pack,
    safe_unpack,
    unpack,
)
from ai.backend.manager.clients.agent.types import ImageRefSpec

# What backend.ai-common 26.9.6 packs for {"dec": Decimal("1.5"), "slot": ResourceSlot(cpu=2,
# mem=1 GiB), "name": SlotName("cuda.device"), "size": BinarySize(1024), "enum":
# SessionTypes.BATCH, "ref": ImageRef(python, stable, 3.9-ubuntu20.04, cr.backend.ai, aarch64,
# is_local=True)}: extension types 3, 8, 9, 16, 6 and 7, all pickles.
AGENT_PACKED = bytes.fromhex(
    "86a3646563c72c0380059521000000000000008c07646563696d616c948c07446563696d616c9493948c0331"
    "2e3594859452942ea4736c6f74c789088005957e000000000000008c1761692e6261636b656e642e636f6d6d"
    "6f6e2e7479706573948c0c5265736f75726365536c6f749493942981944e7d948c0464617461947d94288c03"
    "637075948c07646563696d616c948c07446563696d616c9493948c013294859452948c036d656d94680a8c0a"
    "31303733373431383234948594529475738694622ea46e616d65c795098005958a000000000000008c176169"
    "2e6261636b656e642e636f6d6d6f6e2e7479706573948c08536c6f744e616d659493948c0b637564612e6465"
    "7669636594859481947d948c0464617461946803737d94288c0c5f6465766963655f6e616d65948c00948c0b"
    "5f6d616a6f725f7479706594680a8c0b5f6d696e6f725f7479706594680a8c075f7061727365649489758694"
    "622ea473697a65c73c1080059531000000000000008c1761692e6261636b656e642e636f6d6d6f6e2e747970"
    "6573948c0a42696e61727953697a659493944d0004859481942ea4656e756dc7430680059538000000000000"
    "008c1761692e6261636b656e642e636f6d6d6f6e2e7479706573948c0c53657373696f6e5479706573949394"
    "8c05626174636894859452942ea3726566c8010507800595fa000000000000008c1861692e6261636b656e64"
    "2e636f6d6d6f6e2e646f636b6572948c08496d6167655265669493942981947d94288c046e616d65948c0670"
    "7974686f6e948c0770726f6a656374948c06737461626c65948c03746167948c0f332e392d7562756e747532"
    "302e3034948c087265676973747279948c0d63722e6261636b656e642e6169948c0c61726368697465637475"
    "7265948c0761617263683634948c0869735f6c6f63616c94888c085f7461675f736574948c03332e39946800"
    "8c0e506c6174666f726d5461675365749493942981944e7d948c055f64617461947d948c067562756e747594"
    "8c0532302e3034947373869462869475622e"
)


class Color(enum.StrEnum):
    RED = "red"


def test_pickled_extension_types_decode_to_plain_values() -> None:
    assert unpack(AGENT_PACKED) == {
        "dec": Decimal("1.5"),
        "slot": {"cpu": Decimal(2), "mem": Decimal(1 << 30)},
        "name": "cuda.device",
        "size": 1024,
        "enum": "batch",
        "ref": ImageRefSpec(
            name="python",
            project="stable",
            tag="3.9-ubuntu20.04",
            registry="cr.backend.ai",
            architecture="aarch64",
            is_local=True,
        ),
    }


def test_foreign_pickles_are_never_executed(tmp_path: Path) -> None:
    target = tmp_path / "pwned"

    class Touch:
        def __reduce__(self) -> tuple[object, tuple[Path]]:
            return (Path.touch, (target,))

    evil = msgpack.ExtType(6, pickle.dumps(Touch(), protocol=5))
    decoded = unpack(msgpack.packb({"x": evil}, use_bin_type=True))
    assert not target.exists()
    # not an enum pickle we recognise: left as the raw extension value
    assert decoded["x"] == evil


def test_pack_converts_to_what_the_agent_expects() -> None:
    kid = uuid.uuid4()
    when = datetime.datetime(2024, 1, 2, 3, 4, 5, 678000, tzinfo=datetime.UTC)
    packed = pack(
        {
            "id": kid,
            "keys": {kid: "uuid keys stay uuids"},
            "at": when,
            "pair": (1, "two"),
            "slots": {"cpu": Decimal("1.5")},
            "color": Color.RED,
            "path": PurePosixPath("/home/work"),
            "data": b"\x00\x01",
        }
    )
    raw = msgpack.unpackb(packed, raw=False, strict_map_key=False)
    assert raw["id"] == msgpack.ExtType(EXT_UUID, kid.bytes)
    assert list(raw["keys"]) == [msgpack.ExtType(EXT_UUID, kid.bytes)]
    assert raw["at"].code == EXT_DATETIME
    assert raw["pair"] == [1, "two"]
    assert raw["slots"] == {"cpu": "1.5"}
    assert raw["color"] == "red"
    assert raw["path"] == msgpack.ExtType(EXT_PURE_POSIX_PATH, b"/home/work")
    assert raw["data"] == b"\x00\x01"

    back = unpack(packed)
    assert back["id"] == kid
    assert back["keys"] == {kid: "uuid keys stay uuids"}
    assert back["at"] == when
    assert back["path"] == PurePosixPath("/home/work")


def test_image_ref_goes_as_a_constructor_call_pickle() -> None:
    ref = ImageRefSpec("python", "stable", "3.9-ubuntu20.04", "cr.backend.ai", "x86_64")
    raw = msgpack.unpackb(pack({"ref": ref}), raw=False)
    assert raw["ref"] == msgpack.ExtType(EXT_IMAGE_REF, image_ref_pickle(ref))
    # Decoded by our own restricted unpickler (a REDUCE with the six arguments).
    payload = image_ref_pickle(ref)
    assert payload.startswith(b"\x80\x02cai.backend.common.docker\nImageRef\n(")
    assert payload.endswith(b"\x89tR.")


def test_unpackable_values_fail_at_once() -> None:
    with pytest.raises(TypeError, match="cannot send object"):
        pack({"x": object()})


def test_garbage_replies_do_not_raise() -> None:
    assert isinstance(safe_unpack(b"\xc1"), UndecodableReply)


@pytest.mark.parametrize(
    ("canonical", "project", "expected"),
    [
        (
            "cr.backend.ai/stable/python:3.9-ubuntu20.04",
            "stable",
            ("python", "stable", "3.9-ubuntu20.04"),
        ),
        ("cr.backend.ai/stable/ngc/pytorch:24.01", "stable", ("ngc/pytorch", "stable", "24.01")),
        ("cr.backend.ai/library/python", None, ("library/python", None, "latest")),
        ("localhost:5000/test/img:1.0", "test", ("img", "test", "1.0")),
    ],
)
def test_image_ref_from_canonical(
    canonical: str, project: str | None, expected: tuple[str, str | None, str]
) -> None:
    registry = canonical.split("/", 1)[0]
    ref = ImageRefSpec.from_canonical(
        canonical, project=project, registry=registry, architecture="x86_64"
    )
    assert (ref.name, ref.project, ref.tag) == expected
    assert ref.canonical == (
        canonical if ":" in canonical.rsplit("/", 1)[1] else canonical + ":latest"
    )


def test_image_ref_rejects_a_project_mismatch() -> None:
    with pytest.raises(ValueError, match="not in project"):
        ImageRefSpec.from_canonical(
            "cr.backend.ai/stable/python:3.9",
            project="other",
            registry="cr.backend.ai",
            architecture="x86_64",
        )
