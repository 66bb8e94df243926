"""Transports: each takes a batch of claimed messages of its channel and says, per message,
whether it went out. A transport never raises for a single message's failure."""

from __future__ import annotations

import smtplib
from collections.abc import Callable, Sequence
from email.header import Header
from email.mime.multipart import MIMEMultipart
from email.mime.nonmultipart import MIMENonMultipart
from email.mime.text import MIMEText
from email.utils import formatdate, make_msgid, parseaddr
from typing import Any

from pirights.outbox.service import Claimed, Result

# Per message: None (sent), a short PII-free error, or a Result carrying attempt details.
Transport = Callable[[Sequence[Claimed]], Sequence[str | Result | None]]


def describe(exc: BaseException) -> str:
    """A failure as operators need it: the exception class and, for SMTP, the code only.

    Server replies can echo the recipient's address, so their text is never kept.
    """
    code = getattr(exc, "smtp_code", None)
    return f"{type(exc).__name__} {code}" if code else type(exc).__name__


def email_message(payload: dict[str, Any], sender: str) -> MIMENonMultipart | MIMEMultipart:
    """The MIME message: a plain-text part and, when given, an HTML alternative.

    Built with the compat32 MIME classes: the `EmailMessage` API parses every header
    through its registry and measured four times slower, the worker's largest cost.
    """
    text = MIMEText(payload["text"], "plain", "utf-8")
    if payload.get("html"):
        msg: MIMENonMultipart | MIMEMultipart = MIMEMultipart("alternative")
        msg.attach(text)
        msg.attach(MIMEText(payload["html"], "html", "utf-8"))
    else:
        msg = text
    msg["Subject"] = Header(payload["subject"], "utf-8")
    msg["From"] = sender
    msg["To"] = payload["to"]
    msg["Date"] = formatdate(usegmt=True)
    # An explicit domain: without one, make_msgid asks DNS for this host's name.
    domain = parseaddr(sender)[1].rpartition("@")[2]
    msg["Message-ID"] = make_msgid(domain=domain or "pirights.invalid")
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
        self.envelope_from = parseaddr(sender)[1] or sender
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
                        smtp.send_message(
                            email_message(item.payload, self.sender),
                            self.envelope_from,
                            [item.payload["to"]],
                        )
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
