"""Delivery guarantees (§14): workers racing never send one attempt twice, and a worker
killed mid-delivery loses nothing: the message goes again with the same webhook-id."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import threading
import time
from collections import Counter

from sqlalchemy import select

from tests.conftest import TEST_KEY


def test_two_workers_racing_deliver_each_task_once(app, register, accept, receiver, clock):
    from pirights.extensions import db
    from pirights.fulfilment.models import Task
    from pirights.outbox.worker import Totals, deliver_batch, policy, transports

    register("crm")
    refs = [accept() for _ in range(30)]
    totals = [Totals(), Totals()]

    def worker(i: int) -> None:
        senders, retry, rng = transports(app), policy(app), random.Random(i)
        with app.app_context():
            while deliver_batch(clock(), senders, retry, totals[i], rng, limit=3):
                pass

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    counts = Counter(r.webhook_id for r in receiver.received)
    assert len(counts) == len(refs) and set(counts.values()) == {1}
    assert all(r.signature_ok for r in receiver.received)
    assert totals[0].sent + totals[1].sent == len(refs)
    with app.app_context():
        statuses = {t.status for t in db.session.scalars(select(Task))}
    assert statuses == {"sent"}


def test_a_worker_killed_mid_delivery_redelivers_with_the_same_id(
    app, database_url, register, accept, receiver, clock, detail, tmp_path
):
    from pirights.extensions import db
    from pirights.outbox.models import OutboxMessage
    from pirights.outbox.worker import run

    register("crm")
    ref = accept()
    receiver.plan, receiver.hang_seconds = ["hang"], 20.0
    config = tmp_path / "worker.toml"
    config.write_text("[webhooks]\nread_timeout_seconds = 60\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith("PIRIGHTS_")}
    env |= {
        "PIRIGHTS_DATABASE_URL": database_url,
        "PIRIGHTS_ENCRYPTION_KEY": TEST_KEY,
        "PIRIGHTS_CONFIG": str(config),
    }
    worker = subprocess.Popen(
        [sys.executable, "-m", "pirights", "worker", "--once"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        while not receiver.received and time.monotonic() < deadline:
            time.sleep(0.05)
        assert receiver.received, "the worker never sent"
    finally:
        worker.send_signal(signal.SIGKILL)
        worker.wait(10)
    (first,) = receiver.received
    # The dead worker's lease runs out; the next worker takes the message again.
    with app.app_context():
        webhooks = select(OutboxMessage).where(OutboxMessage.channel == "webhook")
        row = db.session.scalars(webhooks).one()  # the receipt email is the other row
        assert row.status == "pending" and row.attempts == 1
        clock.set(row.next_attempt_at)
    assert run(app, clock, once=True).sent == 1
    assert [r.webhook_id for r in receiver.received] == [first.webhook_id] * 2
    assert receiver.received[1].body == first.body and receiver.received[1].signature_ok
    task = detail(ref)["tasks"][0]
    assert (task["status"], task["attempts"]) == ("sent", 2)
