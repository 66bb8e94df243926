"""Deadline commands: `pirights sweep`, `pirights deadlines recompute` (SPEC §3.4, §3.6)."""

from __future__ import annotations

import sys
import time

import click

from pirights.deadlines.sweep import BATCH_SIZE


def _progress(text: str) -> None:
    """Progress on stderr, only for a person at a terminal."""
    if sys.stderr.isatty():
        click.echo(f"\r{text}", err=True, nl=False)


def _run_sweep(app, batch: int) -> str:
    """One sweep in a fresh app context; returns its one-line summary."""
    from pirights import clock
    from pirights.deadlines.sweep import sweep as do_sweep

    with app.app_context():
        now = clock.now()
        result = do_sweep(now, batch_size=batch, progress=_progress)
    if sys.stderr.isatty():
        click.echo("", err=True)
    return result.line(now)


@click.command("sweep")
@click.option("--every", type=click.IntRange(min=1), default=None, help="repeat every N seconds")
@click.option(
    "--batch", type=click.IntRange(min=1, max=10000), default=BATCH_SIZE, show_default=True
)
def sweep(every: int | None, batch: int) -> None:
    """Record due-soon and overdue alerts once per due date; queue and email notifications."""
    from pirights.cli import make_app

    app = make_app()
    if every is None:
        click.echo(_run_sweep(app, batch))
        return
    try:
        while True:
            started = time.monotonic()
            click.echo(_run_sweep(app, batch))
            time.sleep(max(0.0, every - (time.monotonic() - started)))
    except KeyboardInterrupt:
        click.echo("sweep stopped", err=True)


@click.group("deadlines")
def deadlines_group() -> None:
    """Deadline maintenance."""


@deadlines_group.command("recompute")
@click.option(
    "--all",
    "everything",
    is_flag=True,
    help="every open request, not only provisional ones or those on changed calendars/rules",
)
@click.option("--batch", type=click.IntRange(min=1, max=10000), default=500, show_default=True)
def recompute(everything: bool, batch: int) -> None:
    """Recount open requests' due dates with the current policies and calendars."""
    from pirights import clock
    from pirights.cli import make_app
    from pirights.deadlines.recompute import recompute as do_recompute

    app = make_app()
    with app.app_context():
        result = do_recompute(
            clock.now(),
            only_changed=not everything,
            batch_size=batch,
            progress=lambda r: _progress(f"examined {r.examined}, changed {r.changed}"),
        )
    if sys.stderr.isatty():
        click.echo("", err=True)
    click.echo(f"recomputed: examined {result.examined}, changed {result.changed}")


COMMANDS: list[click.Command] = [sweep, deadlines_group]
