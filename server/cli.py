"""The command line operators and scripts rely on (`flask --app wsgi <command>`)."""

from __future__ import annotations

import sys

import click
from flask import Flask
from flask.cli import with_appcontext

from server import db_setup, people
from server.db import db, refresh_planner_statistics
from server.errors import BatonError
from server.models.people import ROLES


def _fail(message: str) -> None:
    click.echo(f"Error: {message}", err=True)
    sys.exit(1)


@click.command("init-db")
@with_appcontext
def init_db() -> None:
    """Create or upgrade the database schema (safe to run again)."""
    from flask import current_app

    db_setup.upgrade(current_app._get_current_object())  # type: ignore[attr-defined]
    refresh_planner_statistics()  # an upgrade may have added indexes: let the planner know them
    click.echo(f"Database ready at revision {db_setup.current_revision(current_app._get_current_object())}.")  # type: ignore[attr-defined]


@click.command("create-user")
@with_appcontext
@click.argument("email")
@click.option("--password", help="Sign-in password (at least 8 characters).")
@click.option("--name", help="Display name.")
@click.option("--role", "roles", multiple=True, type=click.Choice(ROLES), help="A role; repeat for several.")
@click.option("--group", "groups", multiple=True, help="A group to belong to; repeat for several.")
@click.option("--lead", "leads", multiple=True, help="A group this user leads; repeat for several.")
@click.option("--manager", help="E-mail of this user's manager.")
def create_user(
    email: str,
    password: str | None,
    name: str | None,
    roles: tuple[str, ...],
    groups: tuple[str, ...],
    leads: tuple[str, ...],
    manager: str | None,
) -> None:
    """Create or update a user (roles: admin, analyst, participant, auditor)."""
    try:
        user, created = people.save_user(
            email,
            password=password,
            name=name,
            roles=roles or None,  # a new user without --role is a participant
            groups=groups or None,
            lead_of=leads or None,
            manager_email=manager,
        )
        db.session.commit()
    except BatonError as exc:
        _fail(exc.message)
        return
    verb = "Created" if created else "Updated"
    click.echo(
        f"{verb} {user.email} (roles: {', '.join(sorted(user.roles)) or 'none'}; "
        f"groups: {', '.join(sorted(m.group.name for m in user.memberships)) or 'none'})."
    )


@click.command("create-token")
@with_appcontext
@click.argument("email")
@click.option("--name", default="cli", help="A label to recognise the token by.")
def create_token(email: str, name: str) -> None:
    """Print a new API token for a user (the last line is the token)."""
    user = people.find_user(email)
    if user is None:
        _fail(f"no user {email!r}; create it first with create-user.")
        return
    _, plain = people.create_token(user, name)
    db.session.commit()
    click.echo(f"API token for {user.email} (shown once; send it as 'Authorization: Bearer <token>'):")
    click.echo(plain)


def init_app(app: Flask) -> None:
    for command in (init_db, create_user, create_token):
        app.cli.add_command(command)
    from server.worker import worker_command

    app.cli.add_command(worker_command)
    from server.audit_cli import erase_audit_data_command, verify_audit_command

    app.cli.add_command(verify_audit_command)
    app.cli.add_command(erase_audit_data_command)
    from server.maps_cli import map_to_bpmn_command
    from server.supervisor import up_command

    app.cli.add_command(map_to_bpmn_command)
    app.cli.add_command(up_command)
    from server.migrate_cli import migrate_instance_command

    app.cli.add_command(migrate_instance_command)
