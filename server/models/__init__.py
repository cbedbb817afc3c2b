"""The SQL tables: people, deployments, instances and their projections, audit events."""

from __future__ import annotations

from server.models.audit import Event
from server.models.deployment import Deployment, DeploymentFile, ProcessVersion
from server.models.instance import Instance
from server.models.people import ApiToken, Group, Membership, User, UserRole
from server.models.task import Task, TaskAccess

__all__ = [
    "ApiToken",
    "Deployment",
    "DeploymentFile",
    "Event",
    "Group",
    "Instance",
    "Membership",
    "ProcessVersion",
    "Task",
    "TaskAccess",
    "User",
    "UserRole",
]
