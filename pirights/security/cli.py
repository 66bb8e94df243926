"""`pirights purge`, `pirights keys rotate` and `pirights staff tokens` (SPEC §2, §8)."""

from __future__ import annotations

import sys
from collections.abc import Callable

import click


def progress_to_stderr(total: int, label: str) -> Callable[[int], None] | None:
    """A progress callback writing `label done/total` on stderr, only on a terminal."""
    if not sys.stderr.isatty():
        return None
    done = 0

    def step(n: int) -> None:
        nonlocal done
        done += n
        click.echo(f"\r{label} {done}/{total}", err=True, nl=False)
        if done >= total:
            click.echo("", err=True)

    return step


def _app():
    """The configured app (configuration errors become a clean exit)."""
    from pirights.cli import make_app

    return make_app()


@click.command("purge")
@click.option("--dry-run", is_flag=True, help="list what would be erased; change nothing")
@click.option("--batch", type=click.IntRange(1, 10_000), default=500, show_default=True)
def purge_command(dry_run: bool, batch: int) -> None:
    """Erase requesters' PII from requests closed more than retention.years ago."""
    from pirights import clock
    from pirights.security import purge

    app = _app()
    years = app.config["PIRIGHTS"].retention_years
    if years < 1:
        raise click.ClickException("retention.years must be at least 1")
    with app.app_context():
        limit = purge.cutoff(clock.now(), years)
        if dry_run:
            count = 0
            for reference, closed_at in purge.iter_due(limit, batch):
                click.echo(f"{reference}\tclosed {closed_at:%Y-%m-%d}")
                count += 1
            click.echo(
                f"{count} request(s) closed before {limit:%Y-%m-%d} would be purged "
                "(dry run: nothing changed)"
            )
            return
        progress = progress_to_stderr(purge.count_due(limit), "purged")
        result = purge.purge(clock.now(), years, batch=batch, progress=progress)
    click.echo(
        f"purged {result.requests} request(s) closed before {limit:%Y-%m-%d} "
        f"in {result.batches} batch(es); {result.idempotency_records} old idempotency record(s)"
    )


@click.command("rotate")
@click.option("--batch", type=click.IntRange(1, 10_000), default=500, show_default=True)
def keys_rotate(batch: int) -> None:
    """Re-encrypt all PII under the current key (old keys in PIRIGHTS_ENCRYPTION_OLD_KEYS)."""
    from pirights.crypto import cipher
    from pirights.security import rotate

    app = _app()
    with app.app_context():
        progress = progress_to_stderr(rotate.count_rows(), "rows checked")
        try:
            result = rotate.rotate(batch=batch, progress=progress)
        except ValueError as exc:
            raise click.ClickException(
                f"{exc}; put the key it was made with in PIRIGHTS_ENCRYPTION_OLD_KEYS"
            ) from None
    for table, rows in result.rows.items():
        click.echo(f"{table}: {rows} row(s) re-encrypted")
    click.echo(f"rotated {result.total} row(s) to key {rotate.key_id_hex(cipher())}")


@click.command("tokens")
@click.argument("name")
def staff_tokens(name: str) -> None:
    """List a member's tokens: id, created, expires, revoked (never the token)."""
    from pirights.errors import DomainError
    from pirights.staff.service import list_tokens

    app = _app()
    with app.app_context():
        try:
            tokens = list_tokens(name)
        except DomainError as exc:
            raise click.ClickException(exc.detail) from None
    click.echo("id\tcreated\texpires\trevoked")
    for tok in tokens:
        cells = [tok.created_at, tok.expires_at, tok.revoked_at]
        shown = [f"{c:%Y-%m-%dT%H:%M:%SZ}" if c else "-" for c in cells]
        click.echo("\t".join([str(tok.id), *shown]))


@click.command("revoke-token")
@click.argument("name")
@click.argument("token_id", type=int)
def staff_revoke_token(name: str, token_id: int) -> None:
    """Revoke one token of a member (by the id `pirights staff tokens` shows)."""
    from pirights.errors import DomainError
    from pirights.staff.service import revoke_token

    app = _app()
    with app.app_context():
        try:
            revoke_token(name, token_id)
        except DomainError as exc:
            raise click.ClickException(exc.detail) from None
    click.echo(f"revoked token {token_id} of {name}")


COMMANDS: list[click.Command] = [purge_command]

# Subcommands of groups pirights/cli.py owns. Imported after COMMANDS exists, so this
# works whichever of the two modules is imported first.
from pirights import cli as _cli  # noqa: E402

_cli.keys_group.add_command(keys_rotate)
_cli.staff_group.add_command(staff_tokens)
_cli.staff_group.add_command(staff_revoke_token)
