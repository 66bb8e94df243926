"""`pirights sweep` (SPEC §3.6): record alerts, queue and email notifications."""

from __future__ import annotations

import sys
import time

import click

from pirights.alerts.sweep import BATCH_SIZE
from pirights.deadlines.cli import _progress


def _run_sweep(app, batch: int) -> str:
    """One sweep in a fresh app context; returns its one-line summary."""
    from pirights import clock
    from pirights.alerts.sweep import sweep as do_sweep

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


COMMANDS: list[click.Command] = [sweep]
