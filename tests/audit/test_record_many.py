"""Batched appends (used by the sweeps): one head lock, COPY on PostgreSQL."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from pirights.audit.chain import GENESIS, first_bad_seq
from pirights.audit.models import AuditEvent, AuditHead
from pirights.audit.recorder import as_dict, record, record_many
from pirights.extensions import db


@pytest.mark.parametrize("count", [3, 120])  # below and above the COPY threshold
def test_a_batch_continues_the_chain(app, count):
    with app.app_context():
        with db.unit_of_work() as s:
            record(s, actor="system", action="test.first", data={"n": 0})
        events = [
            (
                "system",
                "test.batch",
                f"PIR-{i:05d}",
                {"i": i, "text": 'quote " \\ 张三', "l": (1, 2)},
            )
            for i in range(count)
        ]
        with db.unit_of_work() as s:
            record_many(s, events)
        # On PostgreSQL the batch gets its seqs when it is sequenced, after its commit,
        # so they are read from the stored chain rather than from record_many's answer.
        with db.unit_of_work() as s:
            stored = [as_dict(r) for r in s.scalars(select(AuditEvent).order_by(AuditEvent.seq))]
            head = s.get(AuditHead, 1)
        assert [e["seq"] for e in stored] == list(range(1, count + 2))
        assert [e["data"]["i"] for e in stored[1:]] == list(range(count))  # in the given order
        assert stored[0]["prev_hash"] == GENESIS
        assert first_bad_seq(stored) == (count + 1, None)
        assert head.seq == count + 1 and head.hash == stored[-1]["hash"]
        assert stored[-1]["data"] == {"i": count - 1, "text": 'quote " \\ 张三', "l": [1, 2]}


def test_a_failed_batch_leaves_nothing(app):
    with app.app_context():
        with pytest.raises(RuntimeError), db.unit_of_work() as s:
            record_many(s, [("system", "test.batch", None, {"i": i}) for i in range(80)])
            raise RuntimeError("the change failed after its events were written")
        with db.unit_of_work() as s:
            assert s.scalars(select(AuditEvent)).all() == []
            assert s.get(AuditHead, 1).seq == 0
