"""Deadline commands: `pirights deadlines recompute` (SPEC §3.4)."""

from __future__ import annotations

import sys

import click


def _progress(text: str) -> None:
    """Progress on stderr, only for a person at a terminal."""
    if sys.stderr.isatty():
        click.echo(f"\r{text}", err=True, nl=False)


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


COMMANDS: list[click.Command] = [deadlines_group]
