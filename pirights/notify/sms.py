"""The SMS gateway channel (SPEC §12.2): one signed HTTP POST per text message.

The gateway gets `{"type": "sms", "to", "text"}` as JSON, signed as Standard Webhooks
(SPEC §14) with PIRIGHTS_SMS_WEBHOOK_SECRET: `webhook-id` (`msg_<outbox id>`, the same on
every retry, so the gateway can drop duplicates), `webhook-timestamp` and
`webhook-signature`. Any 2xx answer is success; anything else, a redirect or a timeout is
a failure the worker retries.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Callable, Sequence
from datetime import datetime

from flask import Flask

from pirights import clock
from pirights.outbox import signing
from pirights.outbox.senders import Transport, unavailable
from pirights.outbox.service import Claimed

TIMEOUT_SECONDS = 10.0


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """A redirect is an answer we do not follow: the signed body goes where configured."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        """Refuse every redirect, so urllib raises HTTPError with the 3xx status."""
        return None


def body(payload: dict) -> bytes:
    """The JSON the gateway receives for one text message."""
    return json.dumps(
        {"type": "sms", "to": payload["to"], "text": payload["text"]}, ensure_ascii=False
    ).encode("utf-8")


class SmsTransport:
    """Posts each claimed SMS to the gateway; never raises for one message's failure."""

    def __init__(
        self,
        url: str,
        secret: str,
        now: Callable[[], datetime],
        timeout: float = TIMEOUT_SECONDS,
    ) -> None:
        """Remember where to post, the signing secret and the clock."""
        self.url, self.secret, self.now, self.timeout = url, secret, now, timeout
        self._opener = urllib.request.build_opener(_NoRedirect())

    def send_one(self, item: Claimed) -> str | None:
        """None when the gateway took the message, else a short reason without PII."""
        data = body(item.payload)
        headers = signing.headers(self.secret, f"msg_{item.id}", self.now(), data)
        headers["Content-Type"] = "application/json; charset=utf-8"
        request = urllib.request.Request(self.url, data=data, headers=headers, method="POST")
        try:
            with self._opener.open(request, timeout=self.timeout) as resp:
                status = resp.status
        except urllib.error.HTTPError as exc:
            return f"HTTP {exc.code}"
        except (urllib.error.URLError, OSError, ValueError) as exc:
            reason = getattr(exc, "reason", None)
            return type(reason if isinstance(reason, BaseException) else exc).__name__
        return None if 200 <= status < 300 else f"HTTP {status}"

    def __call__(self, batch: Sequence[Claimed]) -> list[str | None]:
        """Send each message of the batch in turn."""
        return [self.send_one(item) for item in batch]


def transport(app: Flask) -> Transport:
    """The worker's sms channel: the gateway as configured, or a channel that fails."""
    conf = app.extensions["pirights_notify"]
    if not conf.sms_url:
        return unavailable("SmsNotConfigured")
    # A lambda, so a clock replaced after start-up (tests) is the one used.
    return SmsTransport(conf.sms_url, conf.sms_secret, lambda: clock.now())
