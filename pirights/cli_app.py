"""What every package's command group builds on: the configured app, one decorator for
commands that need it, and a progress line (SPEC §2).

A leaf: it imports no domain package, so `pirights.<package>.cli` modules import it and
`pirights.cli` (the root command) imports them, with no cycle. Domain modules other than
`cli.py` import no command-line code at all.
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from typing import Any

import click
from flask import Flask

from pirights.config import ConfigError
from pirights.errors import DomainError

# A command is a short process: its writers sequence their own events as they commit,
# rather than leave them to a sequencer thread that the process's exit would cut short.
CLI_OVERRIDES = {"audit": {"sequencing": "after_commit"}}


def make_app() -> Flask:
    """Create the app, turning configuration errors into a clean exit (no traceback)."""
    from pirights import create_app

    try:
        return create_app(CLI_OVERRIDES)
    except ConfigError as exc:
        raise click.ClickException(f"configuration: {exc}") from None


def app_command(
    group: click.Group | None, name: str | None = None, **options: Any
) -> Callable[[Callable], click.Command]:
    """Declare `group`'s command `name` (a top-level command when `group` is None) whose
    body runs in the configured app's context.

    The app is built when the command runs (so `--help` needs no configuration); a
    DomainError raised by the service it calls becomes click's one-line error and exit
    status 1. Long commands show progress with `Progress`. Use it outermost, above
    click's arguments and options, in place of `@group.command(...)`.
    """

    def decorate(fn: Callable) -> click.Command:
        """Wrap the body and register it with the group."""

        @functools.wraps(fn)
        def run(*args: Any, **kwargs: Any) -> Any:
            """The body, in the app's context, with domain errors as click errors."""
            with make_app().app_context():
                try:
                    return fn(*args, **kwargs)
                except DomainError as exc:
                    raise click.ClickException(exc.detail) from None

        return (group.command if group else click.command)(name, **options)(run)

    return decorate


def on_terminal() -> bool:
    """Whether a person watches stderr (progress is noise in logs and pipes)."""
    return sys.stderr.isatty()


class Progress:
    """One self-rewriting progress line on stderr, shown only when stderr is a terminal.

    `advance(done)` sets the count, `step(n)` adds to it (both fit as a service's progress
    callback), `show(text)` writes any text; leaving the `with` block ends the line.
    """

    def __init__(self, label: str, total: int | None = None, unit: str = "") -> None:
        self.label = label
        self.total = total
        self.unit = f" {unit}" if unit else ""
        self.done = 0
        self.live = on_terminal()
        self.shown = False

    def show(self, text: str) -> None:
        """Rewrite the line with `text`."""
        if self.live:
            sys.stderr.write(f"\r{text}")
            sys.stderr.flush()
            self.shown = True

    def advance(self, done: int) -> None:
        """Show `done` (of total, with a percentage, when the total is known)."""
        self.done = done
        if self.total:
            pct = 100 * done // self.total
            self.show(f"{self.label} {done}/{self.total}{self.unit} ({pct}%)")
        else:
            self.show(f"{self.label} {done}{self.unit}")

    def step(self, n: int = 1) -> None:
        """Count `n` more."""
        self.advance(self.done + n)

    def finish(self) -> None:
        """End the progress line, if one was shown."""
        if self.shown:
            sys.stderr.write("\n")
            sys.stderr.flush()
            self.shown = False

    def __enter__(self) -> Progress:
        """Use as a context manager that ends the line on the way out."""
        return self

    def __exit__(self, *exc: object) -> None:
        """End the line, even when the command failed."""
        self.finish()
