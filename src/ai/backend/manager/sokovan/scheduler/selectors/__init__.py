"""Agent selectors: which of the agents that can host a request gets it."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

from ai.backend.manager.sokovan.scheduler.selectors.base import AgentSelector, ranking_slots
from ai.backend.manager.sokovan.scheduler.selectors.concentrated import select_concentrated
from ai.backend.manager.sokovan.scheduler.selectors.dispersed import select_dispersed
from ai.backend.manager.sokovan.scheduler.selectors.roundrobin import select_roundrobin
from ai.backend.manager.sokovan.scheduler.types import AgentSelectionStrategy

AGENT_SELECTORS: Final[Mapping[AgentSelectionStrategy, AgentSelector]] = {
    AgentSelectionStrategy.CONCENTRATED: select_concentrated,
    AgentSelectionStrategy.DISPERSED: select_dispersed,
    AgentSelectionStrategy.ROUNDROBIN: select_roundrobin,
    AgentSelectionStrategy.LEGACY: select_dispersed,
}

__all__ = (
    "AGENT_SELECTORS",
    "AgentSelector",
    "ranking_slots",
    "select_concentrated",
    "select_dispersed",
    "select_roundrobin",
)
