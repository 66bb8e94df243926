"""`pirights deadlines recompute` (SPEC §3.4): requests' due dates after a calendar change.

The group keeps its name; it recounts requests, so it lives in `requests`.
"""

from __future__ import annotations

import click

from pirights.cli_app import Progress, app_command


@click.group("deadlines")
def deadlines_group() -> None:
    """Deadline maintenance."""


@app_command(deadlines_group, "recompute")
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
    from pirights.requests.recompute import recompute as do_recompute

    with Progress("recompute") as progress:
        result = do_recompute(
            clock.now(),
            only_changed=not everything,
            batch_size=batch,
            progress=lambda r: progress.show(f"examined {r.examined}, changed {r.changed}"),
        )
    click.echo(f"recomputed: examined {result.examined}, changed {result.changed}")


COMMANDS: list[click.Command] = [deadlines_group]
