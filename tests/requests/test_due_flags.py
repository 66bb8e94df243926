"""'Overdue' and 'due soon' are defined once (hybrid methods on Request): the presenter's
Python and the list's SQL must agree on every request."""

from __future__ import annotations

from datetime import timedelta
from itertools import product

from sqlalchemy import select

from pirights.requests import lifecycle as lc
from pirights.requests.models import Request

OFFSETS = [
    timedelta(days=-3),
    timedelta(seconds=-1),
    timedelta(0),
    timedelta(seconds=1),
    timedelta(days=1),
    timedelta(days=3),
    timedelta(days=30),
]


def test_python_and_sql_agree(app, submit, clock):
    from pirights.deadlines.runtime import book
    from pirights.extensions import db
    from pirights.requests.queries import due_soon_limits

    cases = list(product(lc.STATUSES, OFFSETS, ("CN", "EU")))
    refs = [submit(jurisdiction=j)["reference"] for _, _, j in cases]
    now = clock()
    with app.app_context():
        s = db.session
        for ref, (status, offset, _j) in zip(refs, cases, strict=True):
            req = s.scalar(select(Request).where(Request.reference == ref))
            req.status, req.due_at = status, now + offset
        s.commit()
        limits = due_soon_limits(now)
        assert set(limits) == set(book().policies.jurisdictions())
        rows = s.scalars(select(Request)).all()
        overdue_sql = set(s.scalars(select(Request.reference).where(Request.is_overdue(now))))
        soon_sql = set(s.scalars(select(Request.reference).where(Request.is_due_soon(now, limits))))
        overdue_py = {r.reference for r in rows if r.is_overdue(now)}
        soon_py = {r.reference for r in rows if r.is_due_soon(now, limits)}
    assert overdue_sql == overdue_py and soon_sql == soon_py
    # Both sets are real: some of each, never a request that is both.
    assert overdue_py and soon_py and not overdue_py & soon_py
    expected_overdue = {
        ref
        for ref, (status, offset, _j) in zip(refs, cases, strict=True)
        if status in lc.RUNNING and offset < timedelta(0)
    }
    assert overdue_py == expected_overdue
