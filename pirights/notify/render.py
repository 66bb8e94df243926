"""Requester emails and texts from Jinja templates, in the request's language (SPEC §12.2).

The templates use the Flask-Babel catalogs of the request form (one set of translations
for everything a requester reads); `force_locale` switches them to the request's language
whatever the language of the HTTP request that caused the message.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from babel.dates import format_date
from flask import render_template
from flask_babel import force_locale
from flask_babel import gettext as _

ZH, EN = "zh_CN", "en"

# kind -> subject line; never the code (lock screens show subjects) nor the tracking token.
SUBJECTS: dict[str, Callable[[str], str]] = {
    "receipt": lambda ref: _("We have received your request %(reference)s", reference=ref),
    "code": lambda ref: _("Your verification code for request %(reference)s", reference=ref),
    "info_requested": lambda ref: _(
        "We need more information about your request %(reference)s", reference=ref
    ),
    "extension": lambda ref: _(
        "We have extended the time limit of your request %(reference)s", reference=ref
    ),
    "message": lambda ref: _("A message about your request %(reference)s", reference=ref),
    "completed": lambda ref: _("Your request %(reference)s is complete", reference=ref),
    "refused": lambda ref: _("Your request %(reference)s was refused", reference=ref),
}
KINDS = tuple(SUBJECTS)


def babel_locale(request_locale: str | None) -> str:
    """The catalog for a request's `locale`: English for en*, Chinese otherwise (§12.2)."""
    return EN if (request_locale or "").lower().startswith("en") else ZH


def long_date(day: date, locale: str) -> str:
    """A calendar day as the locale writes dates (2026年10月27日, October 27, 2026)."""
    return format_date(day, format="long", locale=locale)


def email(kind: str, locale: str, reference: str, **context: Any) -> dict[str, str]:
    """Subject, plain-text and HTML parts of one email, rendered in `locale`."""
    with force_locale(locale):
        subject = SUBJECTS[kind](reference)
        values = {
            **context,
            "reference": reference,
            "subject": subject,
            "html_lang": "en" if locale == EN else "zh-CN",
        }
        text = render_template(f"notify/{kind}.txt", **values)
        html = render_template(f"notify/{kind}.html", **values)
    return {"subject": subject, "text": _tidy(text), "html": html}


def sms_code(locale: str, reference: str, code: str, minutes: int) -> str:
    """The text message that carries a code (short: one SMS segment in Chinese)."""
    with force_locale(locale):
        return _(
            "Your verification code for request %(reference)s is %(code)s, valid for "
            "%(minutes)s minutes. Do not share it.",
            reference=reference,
            code=code,
            minutes=minutes,
        )


def _tidy(text: str) -> str:
    """Template whitespace to plain text: no trailing spaces, at most one blank line."""
    lines = [line.rstrip() for line in text.strip().splitlines()]
    out: list[str] = []
    for line in lines:
        if line or (out and out[-1]):
            out.append(line)
    return "\n".join(out) + "\n"
