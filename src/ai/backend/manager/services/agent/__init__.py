from ai.backend.manager.services.agent.liveness import AgentLivenessChecker
from ai.backend.manager.services.agent.processors import AgentProcessors, build_agent_processors
from ai.backend.manager.services.agent.service import AgentService

__all__ = ["AgentLivenessChecker", "AgentProcessors", "AgentService", "build_agent_processors"]
