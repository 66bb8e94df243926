"""Who an authenticated request is from, as plain values (no database session needed)."""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import datetime

from pirights.staff.models import Staff


@dataclass(frozen=True)
class Identity:
    """A staff member's columns, as authentication found them.

    Routes check roles and write access-log lines from this alone; the ORM object
    (`pirights.staff.auth.current_staff()`) is made from it only when a view needs one,
    so a request answered from the token cache touches no database session.
    """

    id: int
    name: str
    role: str
    active: bool
    created_at: datetime
    system_id: int | None

    @property
    def actor(self) -> str:
        """How audit events name this member (as Staff.actor)."""
        return f"staff:{self.name}"

    @classmethod
    def of(cls, member: Staff) -> Identity:
        """The identity of a loaded member."""
        return cls(**{f.name: getattr(member, f.name) for f in fields(cls)})

    def columns(self) -> dict:
        """The values, by column name."""
        return {f.name: getattr(self, f.name) for f in fields(self)}
