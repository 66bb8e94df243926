"""`pirights audit ...` commands (SPEC §6)."""

from __future__ import annotations

import click


@click.group("audit")
def audit_group() -> None:
    """Audit trail: export and verify."""


COMMANDS: list[click.Command] = [audit_group]
