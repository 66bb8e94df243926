"""Moments as the console's pages show them: in the deployment's local time zone (its
default jurisdiction's) and in the page language."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from babel.dates import format_datetime
from flask import current_app
from flask_babel import get_locale

from pirights.deadlines.runtime import book


def local_zone() -> ZoneInfo:
    """The time zone of the deployment's default jurisdiction."""
    return book().timezone(current_app.config["PIRIGHTS"].default_jurisdiction)


def shown(moment: datetime, tz: ZoneInfo | None = None) -> str:
    """A moment with a medium date and time (2026年9月30日 10:00:00; Sep 30, 2026, 10:00:00 AM)."""
    tz = tz or local_zone()
    return format_datetime(moment.astimezone(tz), "medium", tzinfo=tz, locale=get_locale())
