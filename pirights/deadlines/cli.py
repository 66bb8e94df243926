"""Deadline commands: `pirights sweep`, `pirights deadlines recompute` (SPEC §3.6)."""

from __future__ import annotations

import click

COMMANDS: list[click.Command] = []
