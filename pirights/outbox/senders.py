"""Transports: each takes a batch of claimed messages of its channel and says, per message,
whether it went out. A transport never raises for a single message's failure."""

from __future__ import annotations

import smtplib
from collections.abc import Callable, Sequence
from email.message import EmailMessage
from typing import Any

from pirights.outbox.service import Claimed

Transport = Callable[[Sequence[Claimed]], list[str | None]]


def describe(exc: BaseException) -> str:
    """A failure as operators need it: the exception class and, for SMTP, the code only.

    Server replies can echo the recipient's address, so their text is never kept.
    """
    code = getattr(exc, "smtp_code", None)
    return f"{type(exc).__name__} {code}" if code else type(exc).__name__


def email_message(payload: dict[str, Any], sender: str) -> EmailMessage:
    """The MIME message: a plain-text part and, when given, an HTML alternative."""
    msg = EmailMessage()
    msg["Subject"] = payload["subject"]
    msg["From"] = sender
    msg["To"] = payload["to"]
    msg.set_content(payload["text"])
    if payload.get("html"):
        msg.add_alternative(payload["html"], subtype="html")
    return msg


class SmtpTransport:
    """Email over one SMTP connection per batch (optional STARTTLS and login)."""

    def __init__(
        self,
        host: str,
        port: int,
        sender: str,
        *,
        user: str = "",
        password: str = "",
        starttls: bool = False,
        timeout: float = 30.0,
    ) -> None:
        """Remember where and as whom to send."""
        self.host, self.port, self.sender = host, port, sender
        self.user, self.password, self.starttls = user, password, starttls
        self.timeout = timeout

    def __call__(self, batch: Sequence[Claimed]) -> list[str | None]:
        """Send each message; a broken connection fails the rest of the batch."""
        results: list[str | None] = []
        try:
            with smtplib.SMTP(self.host, self.port, timeout=self.timeout) as smtp:
                if self.starttls:
                    smtp.starttls()
                if self.user:
                    smtp.login(self.user, self.password)
                for item in batch:
                    try:
                        smtp.send_message(email_message(item.payload, self.sender))
                        results.append(None)
                    except (smtplib.SMTPRecipientsRefused, smtplib.SMTPDataError) as exc:
                        results.append(describe(exc))
        except (OSError, smtplib.SMTPException) as exc:
            reason = describe(exc)
            results += [reason] * (len(batch) - len(results))
        return results


def unavailable(reason: str) -> Transport:
    """A transport for a channel this deployment has not configured: every send fails
    with `reason`, so the row is retried and, in the end, shown to staff as failed."""

    def send(batch: Sequence[Claimed]) -> list[str | None]:
        return [reason] * len(batch)

    return send
