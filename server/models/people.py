"""Users, their roles, groups with members and leads, and API tokens."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask_login import UserMixin
from sqlalchemy import (
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    event,
    literal,
    select,
    union_all,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from server.clock import utcnow
from server.db import db

ROLES = ("admin", "analyst", "participant", "auditor")


class User(UserMixin, db.Model):  # type: ignore[name-defined,misc]
    """A person who works in Baton; external participants have no password."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    email: Mapped[str] = mapped_column(String(320), unique=True, nullable=False)
    name: Mapped[str] = mapped_column(String(200), nullable=False, default="")
    password_hash: Mapped[str | None] = mapped_column(String(300))
    is_external: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    active: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    manager_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(DateTime, nullable=False, default=utcnow)

    manager: Mapped[User | None] = relationship(remote_side=[id], lazy="select")
    role_rows: Mapped[list[UserRole]] = relationship(
        cascade="all, delete-orphan", lazy="select", back_populates="user"
    )
    memberships: Mapped[list[Membership]] = relationship(
        cascade="all, delete-orphan", lazy="select", back_populates="user"
    )

    @property
    def roles(self) -> set[str]:
        if "role_rows" in self.__dict__:  # loaded (or being edited) in this session: the truth
            return {r.role for r in self.role_rows}
        return self._access()[0]

    @property
    def group_keys(self) -> set[str]:
        """Lower-cased names of the groups this user belongs to."""
        if "memberships" in self.__dict__:
            return {m.group.key for m in self.memberships}
        return self._access()[1]

    def remember_access(self, roles: set[str], group_keys: set[str]) -> None:
        """Roles and group keys read together with the user (server.people.user_for_token)."""
        self.__dict__["_baton_access"] = (roles, group_keys)

    def _access(self) -> tuple[set[str], set[str]]:
        """Roles and group keys in ONE statement (every API request asks for both), kept per session.

        The cache lives in the object's __dict__ until the object is expired (every commit and
        rollback); edits go through `role_rows` / `memberships`, which the properties then prefer.
        """
        cached: tuple[set[str], set[str]] | None = self.__dict__.get("_baton_access")
        if cached is None:
            rows = db.session.execute(
                union_all(
                    select(literal("r"), UserRole.role).where(UserRole.user_id == self.id),
                    select(literal("g"), Group.key)
                    .join(Membership, Membership.group_id == Group.id)
                    .where(Membership.user_id == self.id),
                )
            ).all()
            cached = ({v for k, v in rows if k == "r"}, {v for k, v in rows if k == "g"})
            self.__dict__["_baton_access"] = cached
        return cached

    @property
    def display_name(self) -> str:
        return self.name or self.email

    def has_role(self, *roles: str) -> bool:
        return bool(self.roles & set(roles))

    @property
    def is_admin(self) -> bool:
        return "admin" in self.roles

    @property
    def sees_everything(self) -> bool:
        """Admins and auditors may see every instance and task."""
        return self.has_role("admin", "auditor")

    @property
    def is_active(self) -> bool:  # flask-login
        return self.active

    def get_id(self) -> str:
        return str(self.id)


@event.listens_for(User, "expire", raw=True)
def _forget_access(state: Any, attrs: object) -> None:
    state.dict.pop("_baton_access", None)


class UserRole(db.Model):  # type: ignore[name-defined,misc]
    """One role held by one user."""

    __tablename__ = "user_roles"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    role: Mapped[str] = mapped_column(String(20), primary_key=True)
    user: Mapped[User] = relationship(back_populates="role_rows")


class Group(db.Model):  # type: ignore[name-defined,misc]
    """A team or role that tasks are offered to; names match case-insensitively."""

    __tablename__ = "groups"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    key: Mapped[str] = mapped_column(String(200), unique=True, nullable=False)
    created_at: Mapped[datetime] = mapped_column(DateTime, nullable=False, default=utcnow)

    memberships: Mapped[list[Membership]] = relationship(cascade="all, delete-orphan", back_populates="group")

    @staticmethod
    def key_for(name: str) -> str:
        return name.strip().casefold()


class Membership(db.Model):  # type: ignore[name-defined,misc]
    """A user in a group; leads receive escalations and may reassign the group's tasks."""

    __tablename__ = "memberships"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("groups.id", ondelete="CASCADE"), primary_key=True)
    is_lead: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)

    user: Mapped[User] = relationship(back_populates="memberships")
    group: Mapped[Group] = relationship(back_populates="memberships", lazy="joined")


class ApiToken(db.Model):  # type: ignore[name-defined,misc]
    """A bearer token for the JSON API; only its SHA-256 is stored."""

    __tablename__ = "api_tokens"
    __table_args__ = (Index("ix_api_tokens_user", "user_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), nullable=False)
    name: Mapped[str] = mapped_column(String(200), nullable=False, default="")
    token_hash: Mapped[str] = mapped_column(String(64), unique=True, nullable=False)
    prefix: Mapped[str] = mapped_column(String(16), nullable=False)
    created_at: Mapped[datetime] = mapped_column(DateTime, nullable=False, default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(DateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime)

    user: Mapped[User] = relationship(lazy="joined")
