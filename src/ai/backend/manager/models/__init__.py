"""The database schema (SQLAlchemy Core tables). Nothing but table definitions lives here.

Importing this package registers every table on `metadata`.
"""

from ai.backend.manager.models.agent import agent_installed_images, agent_resources, agents
from ai.backend.manager.models.base import metadata
from ai.backend.manager.models.domain import domains
from ai.backend.manager.models.group import association_groups_users, groups
from ai.backend.manager.models.image import container_registries, image_aliases, images
from ai.backend.manager.models.kernel import kernels, resource_allocations
from ai.backend.manager.models.keypair import keypairs
from ai.backend.manager.models.resource_policy import (
    keypair_resource_policies,
    project_resource_policies,
    user_resource_policies,
)
from ai.backend.manager.models.resource_preset import resource_presets
from ai.backend.manager.models.resource_slot_type import resource_slot_types
from ai.backend.manager.models.scaling_group import (
    scaling_groups,
    sgroups_for_domains,
    sgroups_for_groups,
    sgroups_for_keypairs,
)
from ai.backend.manager.models.session import session_dependencies, sessions
from ai.backend.manager.models.user import users
from ai.backend.manager.models.vfolder import vfolder_invitations, vfolder_permissions, vfolders

__all__ = [
    "agent_installed_images",
    "agent_resources",
    "agents",
    "association_groups_users",
    "container_registries",
    "domains",
    "groups",
    "image_aliases",
    "images",
    "kernels",
    "keypair_resource_policies",
    "keypairs",
    "metadata",
    "project_resource_policies",
    "resource_allocations",
    "resource_presets",
    "resource_slot_types",
    "scaling_groups",
    "session_dependencies",
    "sessions",
    "sgroups_for_domains",
    "sgroups_for_groups",
    "sgroups_for_keypairs",
    "user_resource_policies",
    "users",
    "vfolder_invitations",
    "vfolder_permissions",
    "vfolders",
]
