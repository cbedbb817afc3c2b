"""`flask --app wsgi verify-audit [INSTANCE_ID]`: is each instance's audit chain intact, and where not."""

from __future__ import annotations

import sys

import click
from flask.cli import with_appcontext
from sqlalchemy import select

from server import audit
from server.db import db
from server.models import Instance


@click.command("verify-audit")
@click.argument("instance_id", type=int, required=False)
@with_appcontext
def verify_audit_command(instance_id: int | None) -> None:
    """Recompute the audit hash chain of one instance (or all); exit 1 when any chain is broken."""
    if instance_id is not None:
        if db.session.get(Instance, instance_id) is None:
            click.echo(f"Error: instance {instance_id} does not exist.", err=True)
            sys.exit(2)
        ids = [instance_id]
    else:
        ids = list(db.session.scalars(select(Instance.id).order_by(Instance.id)))
    broken = 0
    for iid in ids:
        report = audit.verify(iid)
        if report.intact:
            click.echo(f"Instance {iid}: intact ({report.events} events).")
        else:
            broken += 1
            click.echo(f"Instance {iid}: BROKEN at event {report.broken_at_seq}: {report.reason}.")
    if not ids:
        click.echo("No instances to verify.")
    elif len(ids) > 1:
        click.echo(f"{len(ids) - broken} of {len(ids)} chains intact.")
    if broken:
        sys.exit(1)
