"""The audit trail's commands.

`flask --app wsgi verify-audit [INSTANCE_ID]`: is each instance's audit chain intact, and where not.
`flask --app wsgi erase-audit-data --by ADMIN --reason REF (--person EMAIL | --instance ID)`: erase
personal data from the audit trail (server/audit_erasure.py) without breaking the chain.
"""

from __future__ import annotations

import sys

import click
from flask.cli import with_appcontext
from sqlalchemy import select

from server import audit, audit_erasure, people
from server.db import db
from server.errors import BatonError
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


@click.command("erase-audit-data")
@click.option("--person", "email", help="E-mail of the person to erase (everywhere, or in --instance).")
@click.option("--instance", "instance_id", type=int, help="Erase this instance's personal data.")
@click.option("--reason", required=True, help="Why: a request reference; it goes into the audit trail.")
@click.option("--by", "by_email", required=True, help="E-mail of the admin who erases (recorded as actor).")
@click.option("--dry-run", is_flag=True, help="Only say what would be erased.")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@with_appcontext
def erase_audit_data_command(
    email: str | None, instance_id: int | None, reason: str, by_email: str, dry_run: bool, yes: bool
) -> None:
    """Erase personal data from audit events, task submissions and (ended) instance variables."""
    admin = people.find_user(by_email)
    if admin is None or not admin.is_admin:
        click.echo(f"Error: {by_email} is not an admin; only an admin can erase personal data.", err=True)
        sys.exit(2)
    request = audit_erasure.Erasure(reason, email, instance_id)
    try:
        plans = audit_erasure.plan(request)
    except BatonError as exc:
        click.echo(f"Error: {exc.message}", err=True)
        sys.exit(2)
    for plan in plans:
        click.echo(plan.describe())
    if not any(not p.empty for p in plans):
        click.echo("Nothing to erase.")
        return
    if dry_run:
        click.echo("Dry run: nothing was erased.")
        return
    if not yes:
        click.confirm("Erase this for good?", abort=True)
    done = audit_erasure.erase(request, admin)
    erased = [p for p in done if not p.empty]
    for plan in erased:
        click.echo(plan.describe())
    click.echo(f"Erased personal data from {len(erased)} instance{'' if len(erased) == 1 else 's'}; "
               "their chains still verify (verify-audit).")
