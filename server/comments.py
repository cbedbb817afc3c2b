"""Comments on a case: the discussion that otherwise happens in side channels, with @mentions that notify."""

from __future__ import annotations

import re

from sqlalchemy import func, or_, select

from server import access, notifications
from server.clock import utcnow
from server.db import db
from server.errors import BadRequest
from server.models import Comment, Instance, User
from server.runtime import run_after_commit

MAX_LENGTH = 10_000  # characters of one comment
MENTION = re.compile(r"(?<![\w.@])@([\w.+-]+(?:@[\w-]+(?:\.[\w-]+)+)?)")


def mentioned(body: str) -> list[User]:
    """The active people a comment names: `@someone@example.com`, or `@someone` (the part before the @)."""
    people: dict[int, User] = {}
    for handle in MENTION.findall(body):
        handle = handle.rstrip(".").casefold()
        if "@" in handle:
            condition = User.email == handle
        else:
            condition = or_(func.lower(User.email).like(f"{handle}@%"), func.lower(User.name) == handle)
        for user in db.session.scalars(select(User).where(condition, User.active.is_(True)).limit(2)):
            people[user.id] = user
    return list(people.values())


def add(row: Instance, author: User, body: str) -> Comment:
    """Post a comment; everyone it mentions who may see the case is notified. Commits."""
    text = (body or "").strip()
    if not text:
        raise BadRequest("A comment needs some text.", field="body")
    if len(text) > MAX_LENGTH:
        raise BadRequest(f"A comment has at most {MAX_LENGTH} characters.", field="body")
    people = [u for u in mentioned(text) if u.id != author.id and access.may_see_instance(u, row)]
    comment = Comment(instance_id=row.id, author_id=author.id, author=author.email, body=text,
                      mentions=[u.email for u in people], created_at=utcnow())
    db.session.add(comment)
    db.session.flush()
    title = f"{author.display_name} mentioned you on {row.title}"
    notifications.notify(people, kind="mention", title=title, body=text[:500],
                         link=f"/instances/{row.id}#comment-{comment.id}", instance_id=row.id)
    db.session.commit()
    run_after_commit()
    return comment


def for_instance(instance_id: int) -> list[Comment]:
    """A case's comments, oldest first."""
    query = select(Comment).where(Comment.instance_id == instance_id).order_by(Comment.created_at, Comment.id)
    return list(db.session.scalars(query))
