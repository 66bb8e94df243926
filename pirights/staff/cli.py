"""`pirights staff ...` (SPEC §2, §8.1): members and their API tokens."""

from __future__ import annotations

import click

from pirights.cli_app import app_command
from pirights.staff.roles import ROLES


@click.group("staff")
def staff_group() -> None:
    """Staff members and their tokens."""


@app_command(staff_group, "add")
@click.argument("name")
@click.option("--role", required=True, type=click.Choice(ROLES))
@click.option("--system", default=None, help="tie a service token to this data system (§14)")
def staff_add(name: str, role: str, system: str | None) -> None:
    """Create a member; the new API token is the last line printed (shown once)."""
    from pirights.staff.service import add_staff

    _, token = add_staff(name, role, system=system)
    click.echo(f"added {name} ({role}); the token below is shown only once:")
    click.echo(token)


@app_command(staff_group, "revoke")
@click.argument("name")
def staff_revoke(name: str) -> None:
    """Revoke every token of a member."""
    from pirights.staff.service import revoke_staff

    count = revoke_staff(name)
    click.echo(f"revoked {count} token(s) of {name}")


@app_command(staff_group, "tokens")
@click.argument("name")
def staff_tokens(name: str) -> None:
    """List a member's tokens: id, created, expires, revoked (never the token)."""
    from pirights.staff.service import list_tokens

    tokens = list_tokens(name)
    click.echo("id\tcreated\texpires\trevoked")
    for tok in tokens:
        cells = [tok.created_at, tok.expires_at, tok.revoked_at]
        shown = [f"{c:%Y-%m-%dT%H:%M:%SZ}" if c else "-" for c in cells]
        click.echo("\t".join([str(tok.id), *shown]))


@app_command(staff_group, "revoke-token")
@click.argument("name")
@click.argument("token_id", type=int)
def staff_revoke_token(name: str, token_id: int) -> None:
    """Revoke one token of a member (by the id `pirights staff tokens` shows)."""
    from pirights.staff.service import revoke_token

    revoke_token(name, token_id)
    click.echo(f"revoked token {token_id} of {name}")


@app_command(staff_group, "password")
@click.argument("name")
def staff_password(name: str) -> None:
    """Set a member's console password, read from standard input (never an argument).

    On a terminal it is asked for twice without echo; otherwise the first line of standard
    input is the password (e.g. from a secrets manager).
    """
    import sys

    from pirights.staff.service import set_password

    if sys.stdin.isatty():
        password = click.prompt(
            f"New password for {name}", hide_input=True, confirmation_prompt=True
        )
    else:
        password = sys.stdin.readline().rstrip("\r\n")
        if not password:
            raise click.UsageError("no password on standard input")
    set_password(name, password)
    click.echo(f"password set for {name}; their console sessions have ended")


COMMANDS: list[click.Command] = [staff_group]
