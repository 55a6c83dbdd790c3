"""The base of every event model: a wire name and a JSON body."""

from __future__ import annotations

from typing import ClassVar, Self

from pydantic import BaseModel, ConfigDict


class Event(BaseModel):
    """An event body. `name` is the wire name; the fields are the JSON keys of the body.

    Unknown keys are ignored so that a newer peer adding fields does not break us.
    """

    model_config = ConfigDict(extra="ignore", frozen=True)

    name: ClassVar[str]

    def to_json(self) -> str:
        return self.model_dump_json()

    @classmethod
    def from_json(cls, data: str | bytes) -> Self:
        return cls.model_validate_json(data)
