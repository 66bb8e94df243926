"""The `pirights` command line (SPEC §2): the root group and the application's own commands.

Each package owns its command group in its `cli.py` (built on the leaf `pirights.cli_app`);
this module only gathers them, and holds the commands about the application as a whole:
`db` (this checkout's migrations) and `serve`. Nothing but the entry points and tests
imports it.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from pirights.alerts.cli import COMMANDS as ALERT_COMMANDS
from pirights.audit.cli import COMMANDS as AUDIT_COMMANDS
from pirights.cli_app import make_app
from pirights.files.cli import COMMANDS as FILE_COMMANDS
from pirights.outbox.cli import COMMANDS as OUTBOX_COMMANDS
from pirights.requests.cli import COMMANDS as REQUEST_COMMANDS
from pirights.security.cli import COMMANDS as SECURITY_COMMANDS
from pirights.staff.cli import COMMANDS as STAFF_COMMANDS

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"


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
@click.option("--threads", type=int, default=None, help="threads per worker (server.threads)")
def serve(host: str | None, port: int | None, workers: int | None, threads: int | None) -> None:
    """Serve the app with gunicorn."""
    from pirights.server import run

    if threads is not None:  # the workers build their apps (and database pools) from it
        os.environ["PIRIGHTS_THREADS"] = str(threads)
    app = make_app()  # fail fast on bad configuration, before forking workers
    s = app.config["PIRIGHTS"]
    run(host or s.host, port or s.port, workers or s.workers, s.threads)


for _command in (
    *ALERT_COMMANDS,
    *AUDIT_COMMANDS,
    *FILE_COMMANDS,
    *REQUEST_COMMANDS,
    *OUTBOX_COMMANDS,
    *SECURITY_COMMANDS,
    *STAFF_COMMANDS,
):
    main.add_command(_command)

if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
