"""`database.insert_now`: one INSERT at once, the object then in the session as loaded."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import event, text

from pirights.database import insert_now
from pirights.requests.models import Request

NOW = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)


def new_request(reference: str) -> Request:
    """A request with only what has no default."""
    return Request(
        reference=reference,
        type="access",
        status="received",
        jurisdiction="CN",
        channel="web",
        requester_name="张三",
        relationship_="self",
        description="Give me a copy.",
        content_refs="[]",
        received_at=NOW,
        due_at=NOW,
        deadline_rule="r",
        calendar_data="c",
        created_at=NOW,
        updated_at=NOW,
    )


def test_one_statement_then_a_loaded_object_that_updates_like_any_other(app):
    from pirights.extensions import db

    statements: list[str] = []
    with app.app_context():
        engine = db.engine

        def listen(_conn, _cursor, statement, *_rest):
            if not statement.startswith("BEGIN"):  # SQLite's BEGIN IMMEDIATE (database.py)
                statements.append(statement.split()[0])

        event.listen(engine, "before_cursor_execute", listen)
        try:
            with db.unit_of_work() as s:
                req = new_request("PIR-AAAAA-BBBBB")
                insert_now(s, req)
                inserted = list(statements)
                # read back: the id and the version; defaults filled in on the object
                assert req.id and req.version == 1
                assert req.identity_verified is False and req.paused_days == 0
                assert not s.new and not s.dirty and req in s
                req.status = "in_progress"
        finally:
            event.remove(engine, "before_cursor_execute", listen)
        assert inserted == ["INSERT"]
        # the later change went out as an UPDATE at commit, checked against the version
        assert statements[1:] == ["UPDATE"]
        row = db.session.execute(
            text("SELECT status, version, requester_name FROM requests WHERE id = :i"),
            {"i": req.id},
        ).one()
    assert row.status == "in_progress" and row.version == 2
    # encrypted like any other write: the column holds no clear text
    assert "张三" not in str(row.requester_name)


def test_a_rolled_back_unit_of_work_takes_the_row_with_it(app):
    from pirights.extensions import db

    with app.app_context():
        try:
            with db.unit_of_work() as s:
                insert_now(s, new_request("PIR-CCCCC-DDDDD"))
                raise RuntimeError("the cause failed")
        except RuntimeError:
            pass
        assert db.session.execute(text("SELECT count(*) FROM requests")).scalar_one() == 0
