"""An SMTP sink configured before the app is built, and helpers to queue and deliver."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest

from tests.mail import smtp_settings, start_sink
from tests.servers import free_port


@pytest.fixture
def smtp(app_overrides):
    """A live SMTP sink the app sends to."""
    sink, controller, port = start_sink()
    app_overrides["notifications"] = smtp_settings(port)
    yield sink
    controller.stop()


@pytest.fixture
def smtp_down(app_overrides):
    """SMTP configured at a port where nothing listens."""
    app_overrides["notifications"] = smtp_settings(free_port())


@pytest.fixture
def queue(app, clock):
    """Queue `n` emails in one unit of work; returns their ids."""
    from pirights.extensions import db
    from pirights.outbox.service import enqueue_now

    def add(n: int = 1, kind: str = "requester.receipt") -> list[int]:
        with app.app_context(), db.unit_of_work() as s:
            rows = [
                enqueue_now(
                    s,
                    kind=kind,
                    channel="email",
                    payload={
                        "to": f"person{i}@example.cn",
                        "subject": f"主题 {i}",
                        # Long enough to span many lines, as real mail does.
                        "text": f"正文 {i}\n" + "我们已收到您的个人信息权利请求。\n" * 60,
                        "html": f"<p>正文 {i}</p>" + "<p>我们已收到您的请求。</p>" * 60,
                    },
                    now=clock(),
                    request_ref=None,
                )
                for i in range(n)
            ]
            return [r.id for r in rows]

    return add


@pytest.fixture
def work(app, clock):
    """Run the worker once at the frozen time; returns its totals."""
    from pirights.outbox.worker import run

    def once():
        return run(app, clock, once=True, stop=threading.Event())

    return once


def later(clock, **delta) -> None:
    """Move the frozen clock forward."""
    clock.set(clock() + timedelta(**delta))
