"""`pirights worker`: deliver due outbox messages until stopped (SPEC §12.2, §14)."""

from __future__ import annotations

import random
import threading
from collections import defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime

from flask import Flask

from pirights.audit.sequencer import sequence_pending
from pirights.extensions import db
from pirights.outbox import service
from pirights.outbox.retry import RetryPolicy
from pirights.outbox.senders import SmtpTransport, Transport, unavailable

BATCH = 100


# Channels other packages deliver (sms, webhook): channel -> factory(app) -> Transport.
# Filled by their init_app, so the outbox never imports the features that use it.
TRANSPORT_FACTORIES: dict[str, Callable[[Flask], Transport]] = {}


def register_transport(channel: str, factory: Callable[[Flask], Transport]) -> None:
    """Let a package deliver `channel` messages (called from its init_app)."""
    TRANSPORT_FACTORIES[channel] = factory


def email_transport(app: Flask) -> Transport:
    """SMTP as configured, or a transport that fails until it is configured."""
    settings = app.config["PIRIGHTS"]
    if not settings.smtp_host:
        return unavailable("SmtpNotConfigured")
    raw = settings.raw.get("notifications", {})
    return SmtpTransport(
        settings.smtp_host,
        settings.smtp_port,
        settings.smtp_from,
        user=str(raw.get("smtp_user", "") or ""),
        password=str(raw.get("smtp_password", "") or ""),
        starttls=str(raw.get("smtp_starttls", "")).strip().lower() in ("1", "true", "yes", "on"),
    )


def transports(app: Flask) -> dict[str, Transport]:
    """One transport per channel; a channel nobody registered fails (and is retried)."""
    out: dict[str, Transport] = defaultdict(lambda: unavailable("NoTransport"))
    out["email"] = email_transport(app)
    for channel, factory in TRANSPORT_FACTORIES.items():
        out[channel] = factory(app)
    return out


def policy(app: Flask) -> RetryPolicy:
    """The retry policy: defaults, with `[outbox]` settings where given."""
    raw = app.config["PIRIGHTS"].raw.get("outbox", {})
    defaults = RetryPolicy()
    return RetryPolicy(
        base_seconds=float(raw.get("retry_base_seconds", defaults.base_seconds)),
        max_delay_seconds=float(raw.get("retry_max_delay_seconds", defaults.max_delay_seconds)),
        max_attempts=int(raw.get("max_attempts", defaults.max_attempts)),
    )


@dataclass
class Totals:
    """What a worker did so far."""

    sent: int = 0
    retrying: int = 0
    failed: int = 0
    batches: int = 0
    by_channel: dict[str, int] = field(default_factory=lambda: defaultdict(int))


def outcome(item: service.Claimed, result: str | service.Result | None) -> service.Outcome:
    """A transport's answer for one message (an error string, None or a Result)."""
    if isinstance(result, service.Result):
        return service.Outcome(item, result.error, result.info)
    return service.Outcome(item, result)


def deliver_batch(
    now: datetime,
    senders: Mapping[str, Transport],
    retry: RetryPolicy,
    totals: Totals,
    rng: random.Random,
    limit: int = BATCH,
) -> int:
    """Claim, send and settle one batch; returns how many messages it held."""
    claimed = service.claim(now, limit)
    if not claimed:
        return 0
    by_channel: dict[str, list[service.Claimed]] = defaultdict(list)
    outcomes: list[service.Outcome] = []
    for item in claimed:
        try:
            by_channel[item.channel].append(service.composed(item))
        except Exception as exc:  # a message that cannot be made is retried, then failed
            outcomes.append(service.Outcome(item, f"Compose{type(exc).__name__}"))
    for channel, items in by_channel.items():
        results = senders[channel](items)
        outcomes += [outcome(item, r) for item, r in zip(items, results, strict=True)]
        totals.by_channel[channel] += len(items)
    sent, retrying, failed = service.settle(outcomes, now, retry, rng)
    totals.sent, totals.retrying = totals.sent + sent, totals.retrying + retrying
    totals.failed += failed
    totals.batches += 1
    return len(claimed)


def run(
    app: Flask,
    now: Callable[[], datetime],
    *,
    once: bool = False,
    idle_seconds: float = 1.0,
    stop: threading.Event | None = None,
    progress: Callable[[Totals], None] | None = None,
) -> Totals:
    """Deliver until `stop` is set (or, with `once`, until nothing is due now)."""
    stop = stop or threading.Event()
    senders, retry, rng = transports(app), policy(app), random.Random()
    totals = Totals()
    while not stop.is_set():
        with app.app_context():
            held = deliver_batch(now(), senders, retry, totals, rng)
        if held and progress:
            progress(totals)
        if not held:
            with app.app_context():
                # Idle turns also sequence audit events a crashed writer left waiting
                # (pirights.audit.sequencer), so none waits for the next audited write.
                sequence_pending(db.engine)
            if once:
                break
            stop.wait(idle_seconds)
    return totals
