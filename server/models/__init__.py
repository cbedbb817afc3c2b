"""The SQL tables: people, deployments, instances and their projections, audit events."""

from __future__ import annotations

from server.models.audit import Event
from server.models.deployment import Deployment, DeploymentFile, ProcessVersion
from server.models.external import Document, ExternalLink
from server.models.instance import Instance
from server.models.message import MessageSubscription
from server.models.model_draft import ProcessModel
from server.models.notification import Notification
from server.models.people import ApiToken, Group, Membership, User, UserRole
from server.models.portal import Comment, Watcher
from server.models.service import Incident, ServiceCall
from server.models.task import Task, TaskAccess
from server.models.timer import Timer

__all__ = [
    "ApiToken",
    "Comment",
    "Deployment",
    "DeploymentFile",
    "Document",
    "Event",
    "ExternalLink",
    "Group",
    "Incident",
    "Instance",
    "Membership",
    "MessageSubscription",
    "Notification",
    "ProcessModel",
    "ProcessVersion",
    "ServiceCall",
    "Task",
    "TaskAccess",
    "Timer",
    "User",
    "UserRole",
    "Watcher",
]
