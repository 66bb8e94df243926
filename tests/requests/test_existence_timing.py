"""An unknown reference and a known one with a wrong token do the same work (issue 11 §3).

Timing itself is too noisy to assert on a shared machine, so the tests compare the work:
the SQL statements run, and the hashing and constant-time comparison of the token.
"""

from __future__ import annotations

import hmac

import pytest
from sqlalchemy import event

PUBLIC = "/api/v1/public/requests"
UNKNOWN = "PIR-00000-00000"


@pytest.fixture
def work(app, monkeypatch):
    """Record the SQL statements run and the digests compared, per call."""
    seen: dict[str, list] = {"sql": [], "compared": []}
    engine = app.extensions["pirights_db"].engine
    real_compare = hmac.compare_digest

    def on_execute(_conn, _cursor, statement, _params, _context, _many):
        seen["sql"].append(statement)

    def compare(a, b):
        seen["compared"].append((len(a), len(b)))
        return real_compare(a, b)

    # The standard library's comparison, observed (not replaced) to count comparisons.
    monkeypatch.setattr(hmac, "compare_digest", compare)
    event.listen(engine, "before_cursor_execute", on_execute)

    def measure(call) -> tuple[int, list, list]:
        seen["sql"].clear()
        seen["compared"].clear()
        status = call()
        return status, list(seen["sql"]), list(seen["compared"])

    yield measure
    event.remove(engine, "before_cursor_execute", on_execute)


@pytest.mark.parametrize(
    ("method", "suffix", "body"),
    [
        ("get", "", None),
        ("post", "/messages", {"body": "Is anyone there?"}),
        ("post", "/withdraw", {"reason": "Never mind."}),
    ],
)
def test_unknown_reference_and_wrong_token_do_the_same_work(
    client, submit, work, method, suffix, body
):
    known = submit()["reference"]
    wrong = {"X-Tracking-Token": "a-wrong-token-of-the-usual-length-abcdef"}

    def call(ref):
        def go():
            kwargs = {"headers": wrong}
            if body is not None:
                kwargs["json"] = body
            resp = getattr(client, method)(f"{PUBLIC}/{ref}{suffix}", **kwargs)
            return resp.status_code, resp.get_json()

        return go

    for _ in range(2):  # the first calls warm caches; compare warm calls
        unknown = work(call(UNKNOWN))
        wrong_token = work(call(known))
    assert unknown[0] == wrong_token[0] == (404, unknown[0][1])
    assert unknown[1] == wrong_token[1], "different SQL for unknown and known references"
    assert unknown[2] == wrong_token[2] == [(64, 64)], "token hashes compared differently"


def test_the_right_token_still_reads_the_request_and_its_messages(client, submit):
    made = submit()
    headers = {"X-Tracking-Token": made["tracking_token"]}
    sent = client.post(
        f"{PUBLIC}/{made['reference']}/messages", json={"body": "Hello."}, headers=headers
    )
    assert sent.status_code == 201
    shown = client.get(f"{PUBLIC}/{made['reference']}", headers=headers).get_json()
    assert [m["body"] for m in shown["messages"]] == ["Hello."]
