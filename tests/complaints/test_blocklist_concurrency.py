"""The blocklist under concurrent writers (SPEC §8.4, §9): one removal, one event, no 500."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

from tests.concurrency import count, while_held


def _entry(client, submit, auth) -> tuple[int, dict]:
    """A blocklist entry and supervisor headers."""
    sup = auth("supervisor")
    ref = submit(type="block")["reference"]
    resp = client.post(
        "/api/v1/blocklist",
        json={"terms": ["张三"], "request_ref": ref, "reason": "Upheld."},
        headers=sup,
    )
    assert resp.status_code == 201, resp.get_json()
    return resp.get_json()["id"], sup


def test_a_delete_racing_another_delete_is_404_and_audits_nothing(app, client, submit, auth):
    entry_id, sup = _entry(client, submit, auth)
    version = client.get("/api/v1/blocklist", headers=sup).get_json()["version"]

    def delete():
        resp = app.test_client().delete(f"/api/v1/blocklist/{entry_id}", headers=sup)
        return resp.status_code, resp.get_json()

    # Another transaction removes the entry while this delete is on its way.
    status, body = while_held(
        app,
        "UPDATE blocklist_entries SET deleted_at = :at WHERE id = :id",
        {"id": entry_id, "at": datetime.now(UTC).replace(tzinfo=None)},
        delete,
    )
    assert status == 404, body
    removed = "SELECT count(*) FROM audit_events WHERE action = 'blocklist.removed'"
    assert count(app, removed) == 0
    assert client.get("/api/v1/blocklist", headers=sup).get_json()["version"] == version


def test_concurrent_deletes_of_one_entry_one_204_one_event_one_version(app, client, submit, auth):
    entry_id, sup = _entry(client, submit, auth)
    version = client.get("/api/v1/blocklist", headers=sup).get_json()["version"]

    def delete():
        return app.test_client().delete(f"/api/v1/blocklist/{entry_id}", headers=sup).status_code

    with ThreadPoolExecutor(6) as pool:
        statuses = sorted(pool.map(lambda _: delete(), range(6)))
    assert statuses == [204] + [404] * 5
    removed = "SELECT count(*) FROM audit_events WHERE action = 'blocklist.removed'"
    assert count(app, removed) == 1
    assert client.get("/api/v1/blocklist", headers=sup).get_json()["version"] == version + 1


def test_the_blocklist_state_row_exists_before_the_first_addition(app):
    # Seeded by a migration: concurrent first additions lock it instead of racing to
    # insert it (a unique violation, then a 500).
    assert count(app, "SELECT count(*) FROM blocklist_state WHERE id = 1 AND version = 0") == 1


def test_concurrent_first_additions_all_go_through(app, client, submit, auth):
    sup = auth("supervisor")
    refs = [submit(type="block")["reference"] for _ in range(6)]

    def add(ref: str) -> int:
        body = {"terms": [f"name {ref}"], "request_ref": ref, "reason": "Upheld."}
        return app.test_client().post("/api/v1/blocklist", json=body, headers=sup).status_code

    with ThreadPoolExecutor(6) as pool:
        assert list(pool.map(add, refs)) == [201] * 6
    assert client.get("/api/v1/blocklist", headers=sup).get_json()["version"] == 6
    added = "SELECT count(*) FROM audit_events WHERE action = 'blocklist.added'"
    assert count(app, added) == 6
