"""Erasing personal data from the audit trail on request (GDPR), without breaking its hash chain.

What goes, per scope:
- a person (by e-mail, in every instance or in one): the actor of each event they did (their e-mail
  becomes "(erased)") and that event's data; the data of every other event whose data names their
  e-mail or their name; the submitted values of the tasks they completed.
- an instance: the data of all its events; the actor of events done by external participants (staff
  stay accountable for what they did); the submitted values of all its tasks; and, once the instance
  has ended, its variables and the variables kept in its saved workflow. A running instance keeps its
  variables (its process still needs them): erase again after it ends.

Each erased value becomes a marker {"_erased": true, "by", "at", "record", "fields"}, its salt is
dropped, and one `data_erased` event per instance (appended under the instance's version lock, like
any change) records who erased what and why; verification accepts exactly the erasures it lists.

Not touched: `data_erased` events (the record of erasures) and `engine_steps` events (model elements
only; a person's e-mail never reaches them), events written before salted
digests (their data goes, their actor stays), the task list projection (assignee, completed by),
comments, documents, notifications, external links and the user account; those have their own
owners and deletion paths.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Text, cast, func, or_, select, update

from server import runtime
from server.audit import ERASED_ACTOR, ERASED_KIND, PendingEvent, canonical, erased_fields, erased_marker
from server.clock import iso
from server.db import db
from server.errors import BadRequest, Forbidden, NotFound
from server.models import Event, Instance, Task, User

ENDED = ("completed", "cancelled")
KEPT_KINDS = frozenset({ERASED_KIND, "engine_steps"})
"""Events an instance's erasure leaves alone: the erasure records, and the engine's steps (their data
names only model elements, engine task ids and flows; the diagram and the heatmap read them)."""
MIN_NAME = 3
"""Names shorter than this are not searched for in event data (too many false matches)."""


@dataclass(frozen=True)
class Erasure:
    """What an admin asked to erase: a person (by e-mail), an instance, or a person in one instance."""

    reason: str
    email: str | None = None
    instance_id: int | None = None

    @property
    def scope(self) -> str:
        if self.email and self.instance_id is not None:
            return "person in instance"
        return "person" if self.email else "instance"


@dataclass
class InstancePlan:
    """What an erasure takes from one instance."""

    instance_id: int
    data: list[int] = field(default_factory=list)
    actor: list[int] = field(default_factory=list)
    actor_kept: list[int] = field(default_factory=list)
    tasks: list[str] = field(default_factory=list)
    variables: bool = False
    variables_kept: str | None = None
    record_seq: int | None = None
    """The seq of the `data_erased` event, once written."""

    @property
    def empty(self) -> bool:
        return not (self.data or self.actor or self.tasks or self.variables)

    def describe(self) -> str:
        """One line for a person: what goes (or went) from this instance."""
        if self.empty:
            said = f"Instance {self.instance_id}: nothing left to erase"
            return said + (f" (variables kept: {self.variables_kept})." if self.variables_kept else ".")
        parts = [f"data of {_count(self.data, 'event')} ({_seqs(self.data)})"]
        if self.actor:
            parts.append(f"the actor of {_count(self.actor, 'event')}")
        if self.tasks:
            parts.append(f"the submitted values of {_count(self.tasks, 'task')}")
        if self.variables:
            parts.append("the instance variables")
        line = f"Instance {self.instance_id}: " + ", ".join(parts)
        if self.record_seq:
            line += f"; recorded as event {self.record_seq}"
        notes = []
        if self.actor_kept:
            notes.append(f"the actor of {_count(self.actor_kept, 'older event')} is kept: its hash covers it")
        if self.variables_kept:
            notes.append(f"variables kept: {self.variables_kept}")
        return line + (f" ({'; '.join(notes)})" if notes else "") + "."


def _count(items: list[Any], noun: str) -> str:
    return f"{len(items)} {noun}{'' if len(items) == 1 else 's'}"


def _seqs(seqs: list[int], most: int = 12) -> str:
    shown = ", ".join(str(s) for s in seqs[:most])
    return shown + (f" and {len(seqs) - most} more" if len(seqs) > most else "")


@dataclass(frozen=True)
class _Person:
    email: str
    user_id: int | None
    name: str | None

    @classmethod
    def find(cls, email: str) -> _Person:
        email = email.strip().casefold()
        if "@" not in email:
            raise BadRequest(f"{email!r} is not an e-mail address.", field="email")
        user = db.session.scalar(select(User).where(func.lower(User.email) == email))
        name = (user.name or "").strip() if user else ""
        return cls(email, user.id if user else None, name if len(name) >= MIN_NAME else None)

    def did(self, ev: Event) -> bool:
        if self.user_id is not None and ev.actor_id == self.user_id:
            return True
        return (ev.actor or "").casefold() == self.email

    def named_in(self, data: Any) -> bool:
        text = canonical(data).casefold()
        if self.email in text:
            return True
        return bool(self.name and re.search(rf"\b{re.escape(self.name.casefold())}\b", text))

    def event_filter(self) -> Any:
        as_text = func.lower(cast(Event.data, Text))
        terms = [func.lower(Event.actor) == self.email, as_text.contains(self.email, autoescape=True),
                 as_text.contains(json.dumps(self.email)[1:-1], autoescape=True)]
        if self.user_id is not None:
            terms.append(Event.actor_id == self.user_id)
        if self.name:
            terms.append(as_text.contains(self.name.casefold(), autoescape=True))
        return or_(*terms)


def check(request: Erasure) -> Erasure:
    """The request, cleaned; BadRequest naming the field to fix."""
    reason = request.reason.strip()
    if not reason:
        raise BadRequest("Say why (a request reference such as a ticket number): it goes into the audit "
                         "trail.", field="reason")
    if len(reason) > 500:
        raise BadRequest("Keep the reason under 500 characters.", field="reason")
    email = (request.email or "").strip().casefold() or None
    if email is None and request.instance_id is None:
        raise BadRequest("Name a person (e-mail) or an instance whose personal data to erase.", field="email")
    if email is not None:
        _Person.find(email)
    if request.instance_id is not None and db.session.get(Instance, request.instance_id) is None:
        raise NotFound(f"Instance {request.instance_id} does not exist.", field="instance")
    return Erasure(reason, email, request.instance_id)


def _instances(request: Erasure) -> list[int]:
    if request.instance_id is not None:
        return [request.instance_id]
    assert request.email is not None
    person = _Person.find(request.email)
    by_events = select(Event.instance_id).where(person.event_filter())
    by_tasks = select(Task.instance_id).where(func.lower(Task.completed_by) == person.email,
                                              Task.submitted.is_not(None))
    found = set(db.session.scalars(by_events.distinct())) | set(db.session.scalars(by_tasks.distinct()))
    return sorted(found)


def _plan_instance(row: Instance, request: Erasure) -> InstancePlan:
    """What the request takes from one instance, as it is now (call again under the lock)."""
    plan = InstancePlan(row.id)
    events = list(db.session.scalars(select(Event).where(Event.instance_id == row.id).order_by(Event.seq)))
    with_values = select(Task).where(Task.instance_id == row.id, Task.submitted.is_not(None))
    tasks = list(db.session.scalars(with_values.order_by(Task.created_at, Task.id)))
    person = _Person.find(request.email) if request.email else None
    externals: set[int] = set()
    if person is None:
        ids = {ev.actor_id for ev in events if ev.actor_id is not None}
        external = select(User.id).where(User.id.in_(ids), User.is_external.is_(True))
        externals = set(db.session.scalars(external))
    for ev in events:
        if ev.kind in KEPT_KINDS:
            continue
        gone = erased_fields(ev)
        if person is not None:
            takes_actor = person.did(ev)
            takes_data = takes_actor or person.named_in(ev.data)
        else:
            takes_actor, takes_data = ev.actor_id in externals, True
        if takes_actor and "actor" not in gone:
            (plan.actor if ev.actor_digest is not None else plan.actor_kept).append(ev.seq)
        has_data = ev.data not in (None, {}) and "data" not in gone
        if (takes_data and has_data) or ev.seq in plan.actor:  # the marker takes the data's place
            plan.data.append(ev.seq)
    plan.tasks = [
        t.id for t in tasks
        if erased_marker(t.submitted) is None
        and (person is None or (t.completed_by or "").casefold() == person.email)
    ]
    if person is None:
        if row.status not in ENDED:
            plan.variables_kept = f"the instance is {row.status} and its process still needs them"
        else:
            plan.variables = bool(row.data) or _scrubbed(_state(row)) != _state(row)
    return plan


def _state(row: Instance) -> str:
    return db.session.scalar(select(Instance.state).where(Instance.id == row.id)) or "{}"


_EMPTY_VALUES: dict[str, Any] = {"data": {}, "internal_data": {}, "correlations": {},
                                 "delta": {"updates": {}, "deletions": []}}


def _scrub(node: Any) -> Any:
    """The serialized workflow without any variable values (workflow, subprocess and task data)."""
    if isinstance(node, dict):
        return {k: (_EMPTY_VALUES[k] if k in _EMPTY_VALUES and isinstance(v, dict) else _scrub(v))
                for k, v in node.items()}
    if isinstance(node, list):
        return [_scrub(v) for v in node]
    return node


def _scrubbed(state: str) -> str:
    return json.dumps(_scrub(json.loads(state)), separators=(",", ":"))


def plan(request: Erasure) -> list[InstancePlan]:
    """What the erasure would take, instance by instance (nothing is written)."""
    request = check(request)
    plans = []
    for iid in _instances(request):
        row = db.session.get(Instance, iid)
        if row is not None:
            plans.append(_plan_instance(row, request))
    return plans


def erase(request: Erasure, by: User) -> list[InstancePlan]:
    """Erase what the request names, one instance per transaction; returns what each one lost."""
    if not by.is_admin:
        raise Forbidden("Only an admin can erase personal data.")
    request = check(request)
    done = [_erase_instance(iid, request, by) for iid in _instances(request)]
    db.session.expire_all()
    return [p for p in done if p is not None]


def _erase_instance(instance_id: int, request: Erasure, by: User) -> InstancePlan | None:
    def attempt() -> InstancePlan | None:
        row = db.session.get(Instance, instance_id, populate_existing=True)
        if row is None:
            return None
        planned = _plan_instance(row, request)
        if planned.empty:
            return planned
        change = runtime.Change(row=row)
        runtime.lock(row)
        planned.record_seq = row.event_seq + 1
        marker = {"_erased": True, "by": by.email, "at": iso(change.now), "record": planned.record_seq}
        for seq in planned.data:
            values: dict[str, Any] = {"data_salt": None}
            fields = ["data"]
            if seq in planned.actor:
                fields.append("actor")
                values.update(actor=ERASED_ACTOR, actor_id=None, actor_salt=None)
            values["data"] = {**marker, "fields": fields}
            db.session.execute(
                update(Event).where(Event.instance_id == row.id, Event.seq == seq).values(**values)
                .execution_options(synchronize_session=False)
            )
        if planned.tasks:
            db.session.execute(
                update(Task).where(Task.id.in_(planned.tasks))
                .values(submitted={**marker, "fields": ["submitted"]})
                .execution_options(synchronize_session=False)
            )
        extra: dict[str, Any] = {}
        if planned.variables:
            extra = {"data": {}, "state": _scrubbed(_state(row))}
        change.events.append(PendingEvent(ERASED_KIND, actor=by, data={
            "reason": request.reason,
            "scope": request.scope,
            "erased": {"data": planned.data, "actor": planned.actor},
            "tasks": planned.tasks,
            "variables": planned.variables,
        }))
        runtime.save(change, None, **extra)
        return planned

    return runtime.retrying(attempt)
