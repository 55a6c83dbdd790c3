"""What `filter` and `order` may name in session lists (the names the reference accepts)."""

from __future__ import annotations

import sqlalchemy as sa

from ai.backend.manager.models.group import groups
from ai.backend.manager.models.session import sessions
from ai.backend.manager.models.user import users
from ai.backend.manager.repositories.querying import (
    QueryFields,
    enum_field,
    integer,
    text,
    text_array,
    timestamp,
    uuid_field,
)
from ai.backend.manager.types import ClusterMode, SessionResult, SessionStatus, SessionTypes

# the project and the owner of a session, correlated to `sessions`
_GROUP_NAME = sa.select(groups.c.name).where(groups.c.id == sessions.c.group_id).scalar_subquery()
_USER_EMAIL = sa.select(users.c.email).where(users.c.uuid == sessions.c.user_uuid).scalar_subquery()
_USER_FULL_NAME = (
    sa.select(users.c.full_name).where(users.c.uuid == sessions.c.user_uuid).scalar_subquery()
)
# when the session was scheduled, from `status_history` ({STATUS: iso-timestamp})
_SCHEDULED_AT = sa.cast(
    sessions.c.status_history[SessionStatus.SCHEDULED.value].astext,
    sa.DateTime(timezone=True),
)

SESSION_FIELDS = QueryFields(
    {
        "id": uuid_field(sessions.c.id),
        "type": enum_field(sessions.c.session_type, SessionTypes),
        "name": text(sessions.c.name),
        "priority": integer(sessions.c.priority),
        "image": text_array(sessions.c.images),
        "agent_ids": text_array(sessions.c.agent_ids),
        "agent_id": text_array(sessions.c.agent_ids),
        "agents": text_array(sessions.c.agent_ids),
        "domain_name": text(sessions.c.domain_name),
        "group_name": text(_GROUP_NAME),
        "user_email": text(_USER_EMAIL),
        "user_id": uuid_field(sessions.c.user_uuid),
        "full_name": text(_USER_FULL_NAME),
        "access_key": text(sessions.c.access_key),
        "scaling_group": text(sessions.c.scaling_group_name),
        "cluster_mode": enum_field(sessions.c.cluster_mode, ClusterMode),
        "cluster_size": integer(sessions.c.cluster_size),
        "status": enum_field(sessions.c.status, SessionStatus),
        "status_info": text(sessions.c.status_info),
        "result": enum_field(sessions.c.result, SessionResult),
        "created_at": timestamp(sessions.c.created_at),
        "terminated_at": timestamp(sessions.c.terminated_at),
        "starts_at": timestamp(sessions.c.starts_at),
        "scheduled_at": timestamp(_SCHEDULED_AT),
        "startup_command": text(sessions.c.startup_command, sortable=False),
    }
)
