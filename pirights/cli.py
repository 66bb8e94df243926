"""The `pirights` command line (SPEC §2)."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from pirights.config import ConfigError

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"


def make_app():
    """Create the app, turning configuration errors into a clean exit."""
    from pirights import create_app

    try:
        return create_app()
    except ConfigError as exc:
        raise click.ClickException(f"configuration: {exc}") from None


@click.group()
def main() -> None:
    """pirights: personal-information rights requests and AI-content complaints."""


@main.group("db")
def db_group() -> None:
    """Database schema."""


def alembic_config(url: str):
    """An Alembic config for this checkout's migrations and the configured database."""
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


@db_group.command("upgrade")
@click.argument("revision", default="head")
def db_upgrade(revision: str) -> None:
    """Apply migrations (creates the SQLite file)."""
    from alembic import command

    app = make_app()
    command.upgrade(alembic_config(app.config["SQLALCHEMY_URL"]), revision)
    click.echo(f"database at revision {revision}")


@db_group.command("downgrade")
@click.argument("revision")
def db_downgrade(revision: str) -> None:
    """Revert migrations down to REVISION (e.g. base)."""
    from alembic import command

    app = make_app()
    command.downgrade(alembic_config(app.config["SQLALCHEMY_URL"]), revision)


@main.command("serve")
@click.option("--host", default=None, help="address to bind (config server.host)")
@click.option("--port", type=int, default=None, help="port (config server.port)")
@click.option("--workers", type=int, default=None, help="worker processes (server.workers)")
def serve(host: str | None, port: int | None, workers: int | None) -> None:
    """Serve the app with gunicorn."""
    from pirights.server import run

    app = make_app()  # fail fast on bad configuration, before forking workers
    s = app.config["PIRIGHTS"]
    run(host or s.host, port or s.port, workers or s.workers)


@main.group("staff")
def staff_group() -> None:
    """Staff members and their tokens."""


@staff_group.command("add")
@click.argument("name")
@click.option(
    "--role",
    required=True,
    type=click.Choice(["agent", "supervisor", "auditor", "admin", "service"]),
)
def staff_add(name: str, role: str) -> None:
    """Create a member; the new API token is the last line printed (shown once)."""
    from pirights.errors import DomainError
    from pirights.staff.service import add_staff

    app = make_app()
    with app.app_context():
        try:
            _, token = add_staff(name, role)
        except DomainError as exc:
            raise click.ClickException(exc.detail) from None
    click.echo(f"added {name} ({role}); the token below is shown only once:")
    click.echo(token)


@staff_group.command("revoke")
@click.argument("name")
def staff_revoke(name: str) -> None:
    """Revoke every token of a member."""
    from pirights.errors import DomainError
    from pirights.staff.service import revoke_staff

    app = make_app()
    with app.app_context():
        try:
            count = revoke_staff(name)
        except DomainError as exc:
            raise click.ClickException(exc.detail) from None
    click.echo(f"revoked {count} token(s) of {name}")


@main.group("keys")
def keys_group() -> None:
    """Encryption keys."""


@keys_group.command("generate")
def keys_generate() -> None:
    """Print a new key for PIRIGHTS_ENCRYPTION_KEY."""
    from pirights.crypto import generate_key

    click.echo(generate_key())


def _register_commands() -> None:
    """Add the commands each package contributes."""
    from pirights.alerts.cli import COMMANDS as alert_commands
    from pirights.audit.cli import COMMANDS as audit_commands
    from pirights.deadlines.cli import COMMANDS as deadline_commands
    from pirights.outbox.cli import COMMANDS as outbox_commands
    from pirights.security.cli import COMMANDS as security_commands

    for command in (
        *alert_commands,
        *audit_commands,
        *deadline_commands,
        *outbox_commands,
        *security_commands,
    ):
        main.add_command(command)


_register_commands()

if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
