"""`pirights purge` and `pirights keys ...` (SPEC §2, §8.2)."""

from __future__ import annotations

import click
from flask import current_app

from pirights.cli_app import Progress, app_command, on_terminal


@click.group("keys")
def keys_group() -> None:
    """Encryption keys."""


@keys_group.command("generate")
def keys_generate() -> None:
    """Print a new key for PIRIGHTS_ENCRYPTION_KEY."""
    from pirights.crypto import generate_key

    click.echo(generate_key())


@app_command(keys_group, "rotate")
@click.option("--batch", type=click.IntRange(1, 10_000), default=500, show_default=True)
def keys_rotate(batch: int) -> None:
    """Re-encrypt all PII under the current key (old keys in PIRIGHTS_ENCRYPTION_OLD_KEYS),
    stored files included."""
    from pirights.crypto import cipher
    from pirights.files import upkeep
    from pirights.security import rotate

    with Progress("rows checked", rotate.count_rows() if on_terminal() else None) as progress:
        try:
            result = rotate.rotate(batch=batch, progress=progress.step)
        except ValueError as exc:
            raise click.ClickException(
                f"{exc}; put the key it was made with in PIRIGHTS_ENCRYPTION_OLD_KEYS"
            ) from None
    for table, rows in result.rows.items():
        click.echo(f"{table}: {rows} row(s) re-encrypted")
    click.echo(f"rotated {result.total} row(s) to key {rotate.key_id_hex(cipher())}")
    stale = upkeep.count_stale() if on_terminal() else None
    with Progress("files re-sealed", stale) as progress:
        try:
            files = upkeep.rotate(batch=min(batch, upkeep.BATCH), progress=progress.step)
        except ValueError as exc:
            raise click.ClickException(
                f"{exc}; put the key it was made with in PIRIGHTS_ENCRYPTION_OLD_KEYS"
            ) from None
    click.echo(f"re-sealed {files} stored file(s) under the current key")


@app_command(None, "purge")
@click.option("--dry-run", is_flag=True, help="list what would be erased; change nothing")
@click.option("--batch", type=click.IntRange(1, 10_000), default=500, show_default=True)
def purge_command(dry_run: bool, batch: int) -> None:
    """Erase requesters' PII from requests closed more than retention.years ago."""
    from pirights import clock
    from pirights.security import purge

    years = current_app.config["PIRIGHTS"].retention_years
    if years < 1:
        raise click.ClickException("retention.years must be at least 1")
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
    with Progress("purged", purge.count_due(limit) if on_terminal() else None) as progress:
        result = purge.purge(clock.now(), years, batch=batch, progress=progress.step)
    click.echo(
        f"purged {result.requests} request(s) closed before {limit:%Y-%m-%d} "
        f"in {result.batches} batch(es); {result.idempotency_records} old idempotency record(s)"
    )


COMMANDS: list[click.Command] = [keys_group, purge_command]
