"""`pirights files sweep` (SPEC §12.3): remove objects of the store that no file names."""

from __future__ import annotations

from datetime import timedelta

import click

from pirights.cli_app import Progress, app_command


@click.group("files")
def files_group() -> None:
    """Files of requests."""


@app_command(files_group, "sweep")
@click.option(
    "--older-than-hours",
    type=click.IntRange(1, 24 * 365),
    default=24,
    show_default=True,
    help="leave younger objects alone (an upload may be in progress)",
)
def sweep_command(older_than_hours: int) -> None:
    """Remove stored objects that no file names (failed or interrupted uploads, rotations
    and purges), and finish interrupted moves."""
    from pirights import clock
    from pirights.files import upkeep

    with Progress("objects checked") as progress:
        result = upkeep.sweep(
            clock.now(), age=timedelta(hours=older_than_hours), progress=progress.step
        )
    click.echo(
        f"checked {result.checked} object(s) older than {older_than_hours} h: removed "
        f"{result.removed} orphan(s), published {result.published} interrupted upload(s)"
    )


COMMANDS: list[click.Command] = [files_group]
