"""`pirights worker [--once]` (SPEC §2, §12.2)."""

from __future__ import annotations

import signal
import sys
import threading

import click


@click.command("worker")
@click.option("--once", is_flag=True, help="deliver what is due now, then exit 0")
@click.option(
    "--idle",
    type=click.FloatRange(min=0.05),
    default=1.0,
    show_default=True,
    help="seconds to wait when nothing is due",
)
def worker(once: bool, idle: float) -> None:
    """Deliver queued emails, SMS and webhooks until stopped (SIGTERM/SIGINT finish the batch)."""
    from pirights import clock
    from pirights.cli_app import make_app
    from pirights.outbox.worker import run

    app = make_app()
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())

    def progress(totals) -> None:
        if sys.stderr.isatty():
            click.echo(
                f"\rsent {totals.sent}, retrying {totals.retrying}, failed {totals.failed}",
                err=True,
                nl=False,
            )

    totals = run(app, clock.now, once=once, idle_seconds=idle, stop=stop, progress=progress)
    if sys.stderr.isatty():
        click.echo("", err=True)
    click.echo(
        f"worker: {totals.sent} sent, {totals.retrying} to retry, {totals.failed} failed "
        f"in {totals.batches} batch(es)"
    )


COMMANDS = [worker]
