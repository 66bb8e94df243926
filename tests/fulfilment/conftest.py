"""A live webhook receiver, registered systems and accepted requests."""

from __future__ import annotations

import threading

import pytest

from tests.fulfilment.receiver import Receiver

SUBJECT = {
    "name": "张三",
    "email": "zs@example.cn",
    "phone": "+8613800138000",
    "account_id": "u-4711",
}


@pytest.fixture
def receiver():
    """A receiver on 127.0.0.1 that answers 200 unless told otherwise."""
    r = Receiver().start()
    yield r
    r.stop()


@pytest.fixture
def admin(auth):
    """An admin's headers."""
    return auth("admin", "root")


@pytest.fixture
def supervisor(auth):
    """A supervisor's headers."""
    return auth("supervisor", "sup")


@pytest.fixture
def register(client, admin, receiver):
    """Register a system sending to `url` (the receiver by default); returns the answer."""

    def add(name="crm", handles=("delete", "deregister"), url=None, *, bind=True) -> dict:
        resp = client.post(
            "/api/v1/systems",
            json={"name": name, "webhook_url": url or receiver.url, "handles": list(handles)},
            headers=admin,
        )
        assert resp.status_code == 201, resp.get_json()
        body = resp.get_json()
        if bind:
            receiver.secret = body["secret"]
        return body

    return add


@pytest.fixture
def service_token(app):
    """A service token tied to the named system."""
    from pirights.staff.service import add_staff

    def make(system: str, name: str | None = None) -> dict:
        with app.app_context():
            _, token = add_staff(name or f"svc-{system}", "service", system=system)
        return {"Authorization": f"Bearer {token}"}

    return make


@pytest.fixture
def submit(app, client):
    """Submit a request of `type` for the subject; returns its reference.

    The requester's receipt email (tests/notify covers it) is marked sent at once, so the
    worker runs of these tests deliver webhooks only.
    """
    from sqlalchemy import update

    from pirights.extensions import db
    from pirights.outbox.models import SENT, OutboxMessage

    def make(type_="delete") -> str:
        resp = client.post(
            "/api/v1/public/requests",
            json={
                "type": type_,
                "requester": SUBJECT,
                "description": "Delete everything about me.",
            },
        )
        assert resp.status_code == 201, resp.get_json()
        with app.app_context(), db.unit_of_work() as s:
            s.execute(
                update(OutboxMessage).where(OutboxMessage.channel == "email").values(status=SENT)
            )
        return resp.get_json()["reference"]

    return make


@pytest.fixture
def accept(client, supervisor, submit):
    """Submit, verify and accept a request; returns its reference."""

    def make(type_="delete") -> str:
        ref = submit(type_)
        for body in ({"action": "verify_identity", "method": "email_code"}, {"action": "accept"}):
            resp = client.post(f"/api/v1/requests/{ref}/transitions", json=body, headers=supervisor)
            assert resp.status_code == 200, resp.get_json()
        return ref

    return make


@pytest.fixture
def detail(client, supervisor):
    """The staff detail of a request."""

    def get(ref: str, headers=None) -> dict:
        resp = client.get(f"/api/v1/requests/{ref}", headers=headers or supervisor)
        assert resp.status_code == 200
        return resp.get_json()

    return get


@pytest.fixture
def work(app, clock):
    """Run the worker once at the frozen time; returns its totals."""
    from pirights.outbox.worker import run

    def once():
        return run(app, clock, once=True, stop=threading.Event())

    return once
