"""`pirights sweep` (SPEC §3.6): record alerts, queue and email notifications."""

from __future__ import annotations

import time

import click
from flask import current_app

from pirights.alerts.sweep import BATCH_SIZE
from pirights.cli_app import Progress, app_command


def _run_sweep(batch: int) -> str:
    """One sweep in a fresh app context (sessions do not outlive a run); its summary line."""
    from pirights import clock
    from pirights.alerts.sweep import sweep as do_sweep

    with current_app.app_context(), Progress("sweep") as progress:
        now = clock.now()
        result = do_sweep(now, batch_size=batch, progress=progress.show)
    return result.line(now)


@app_command(None, "sweep")
@click.option("--every", type=click.IntRange(min=1), default=None, help="repeat every N seconds")
@click.option(
    "--batch", type=click.IntRange(min=1, max=10000), default=BATCH_SIZE, show_default=True
)
def sweep(every: int | None, batch: int) -> None:
    """Record due-soon and overdue alerts once per due date; queue and email notifications."""
    if every is None:
        click.echo(_run_sweep(batch))
        return
    try:
        while True:
            started = time.monotonic()
            click.echo(_run_sweep(batch))
            time.sleep(max(0.0, every - (time.monotonic() - started)))
    except KeyboardInterrupt:
        click.echo("sweep stopped", err=True)


COMMANDS: list[click.Command] = [sweep]
