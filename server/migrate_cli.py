"""`flask --app wsgi migrate-instance`: move one running instance, or every running instance of a
version, to another version of its process (`--dry-run` says what would happen, per instance)."""

from __future__ import annotations

import sys
from typing import Any

import click
from flask.cli import with_appcontext
from sqlalchemy import select

from server import people, version_migration
from server.db import db
from server.errors import BatonError
from server.models import User, UserRole


@click.command("migrate-instance")
@click.argument("instance_id", type=int, required=False)
@click.option("--to-version", type=int, help="The version to move to (default: the latest).")
@click.option("--dry-run", is_flag=True, help="Only say what would happen; change nothing.")
@click.option("--process", "process_id", help="With --from-version: every running instance of that version.")
@click.option("--from-version", type=int, help="With --process: the version whose running instances move.")
@click.option("--as", "as_email", help="The admin the audit trail names (default: the first admin).")
@with_appcontext
def migrate_instance_command(instance_id: int | None, to_version: int | None, dry_run: bool,
                             process_id: str | None, from_version: int | None, as_email: str | None) -> None:
    """Move a running instance (or all running instances of --process at --from-version) to another
    version; exit 1 when any cannot move."""
    bulk = process_id is not None or from_version is not None
    if bulk == (instance_id is not None) or (bulk and (process_id is None or from_version is None)):
        _fail("give an INSTANCE_ID, or both --process and --from-version (for all their running instances).")
    actor = _actor(as_email)
    ids = [instance_id] if instance_id is not None else version_migration.running_instances(
        str(process_id), int(str(from_version)))
    if not ids:
        click.echo(f"No running instances of {process_id} version {from_version}.")
        return
    refused = 0
    for iid in ids:
        assert iid is not None
        try:
            if dry_run:
                result = version_migration.plan(iid, actor, to_version)
            else:
                result = version_migration.migrate_instance(iid, actor, to_version)
        except BatonError as exc:
            db.session.rollback()
            refused += 1
            click.echo(f"Instance {iid}: cannot move: {exc.message}")
            continue
        if not result["possible"]:
            refused += 1
        click.echo(_describe(result))
    if len(ids) > 1:
        verb = "can move" if dry_run else "moved"
        click.echo(f"{len(ids) - refused} of {len(ids)} instances {verb}.")
    if refused:
        sys.exit(1)


def _describe(result: dict[str, Any]) -> str:
    head = f"Instance {result['instance_id']}: version {result['from_version']} -> {result['to_version']}"
    if not result["possible"]:
        lines = [f"{head}: cannot move" + (" (dry run)" if result["dry_run"] else "")]
        lines += [f"  - {reason}" for reason in result["reasons"]]
        return "\n".join(lines)
    lines = [f"{head}: " + ("can move (dry run)" if result["dry_run"] else "moved")]
    plan = result["plan"]
    for element in plan["elements"]:
        lines.append(f"  {element['kind']} {element['name']!r} ({element['element_id']}): maps")
        lines += [f"      {note}" for note in element["notes"]]
    if plan["history_dropped"]:
        lines.append(f"  finished steps not in the new version: {', '.join(plan['history_dropped'])}")
    return "\n".join(lines)


def _actor(email: str | None) -> User:
    if email:
        user = people.find_user(email)
        if user is None:
            _fail(f"no user {email!r}.")
        assert user is not None
        return user
    admin: User | None = db.session.scalar(
        select(User).join(UserRole).where(UserRole.role == "admin").order_by(User.id))
    if admin is None:
        _fail("there is no admin to act as; create one with create-user --role admin, or pass --as.")
    assert admin is not None
    return admin


def _fail(message: str) -> None:
    click.echo(f"Error: {message}", err=True)
    sys.exit(2)
