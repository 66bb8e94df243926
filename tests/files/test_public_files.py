"""The requester's side (SPEC §12.3): evidence by content type, the files meant for them,
the token, the limits."""

from __future__ import annotations

import hashlib

import pytest

from tests.files.conftest import PDF, PNG, upload

SAMPLES = {
    "image/png": PNG,
    "image/jpeg": bytes.fromhex("ffd8ffe000104a46494600010100000100010000") + b"\x00" * 64,
    "image/gif": b"GIF89a"
    + bytes.fromhex("0100010080000000ffffff00000021f90401000000002c00000000010001000002024401003b"),
    "image/webp": b"RIFF\x24\x00\x00\x00WEBPVP8 \x18\x00\x00\x00" + b"\x00" * 24,
    "application/pdf": PDF,
    "video/mp4": b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom" + b"\x00" * 64,
    "text/plain": "我的截图说明:\n生成的内容提到了我的名字。\n".encode(),
}


@pytest.mark.parametrize("kind", sorted(SAMPLES))
def test_accepted_types_are_read_from_the_bytes(client, requester, kind):
    ref, token = requester
    # The name says nothing true: the type comes from the content.
    resp = upload(client, f"/api/v1/public/requests/{ref}/files", SAMPLES[kind], "x.exe", token)
    assert resp.status_code == 201, resp.get_json()
    body = resp.get_json()
    assert body["content_type"] == kind
    assert body["audience"] == "requester" and body["from"] == "requester"
    assert body["sha256"] == hashlib.sha256(SAMPLES[kind]).hexdigest()


def test_evidence_reaches_staff_and_results_reach_the_requester(client, auth, requester):
    ref, token = requester
    agent = auth("agent")
    mine = upload(client, f"/api/v1/public/requests/{ref}/files", PNG, "截图.png", token)
    assert mine.status_code == 201
    result = upload(client, f"/api/v1/requests/{ref}/files", PDF, "copy.pdf", agent,
                    audience="requester").get_json()  # fmt: skip
    internal = upload(client, f"/api/v1/requests/{ref}/files", PDF, "notes.pdf", agent,
                      audience="internal").get_json()  # fmt: skip

    detail = client.get(f"/api/v1/requests/{ref}", headers=agent).get_json()
    assert [(f["name"], f["added_by"]) for f in detail["files"]] == [
        ("截图.png", "requester"), ("copy.pdf", "staff:agent"), ("notes.pdf", "staff:agent"),
    ]  # fmt: skip
    got = client.get(f"/api/v1/requests/{ref}/files/{mine.get_json()['id']}", headers=agent)
    assert got.data == PNG  # byte-exact

    listed = client.get(f"/api/v1/public/requests/{ref}/files", headers=token).get_json()
    assert [(f["name"], f["from"]) for f in listed["items"]] == [
        ("截图.png", "requester"), ("copy.pdf", "staff"),
    ]  # fmt: skip
    got = client.get(f"/api/v1/public/requests/{ref}/files/{result['id']}", headers=token)
    assert got.status_code == 200 and got.data == PDF
    assert got.headers["Content-Disposition"].startswith("attachment;")
    hidden = client.get(f"/api/v1/public/requests/{ref}/files/{internal['id']}", headers=token)
    assert hidden.status_code == 404


def test_wrong_token_is_the_same_404_as_an_unknown_reference(client, requester):
    ref, token = requester
    upload(client, f"/api/v1/public/requests/{ref}/files", PNG, headers=token)
    wrong = {"X-Tracking-Token": "x" * 32}
    answers = [
        upload(client, f"/api/v1/public/requests/{ref}/files", PNG, headers=wrong),
        upload(client, "/api/v1/public/requests/ZZZZ-ZZZZ/files", PNG, headers=token),
        upload(client, f"/api/v1/public/requests/{ref}/files", PNG),
        client.get(f"/api/v1/public/requests/{ref}/files", headers=wrong),
        client.get(f"/api/v1/public/requests/{ref}/files/1", headers=wrong),
        client.get("/api/v1/public/requests/ZZZZ-ZZZZ/files/1", headers=token),
    ]
    assert {a.status_code for a in answers} == {404}
    assert len({a.get_json()["detail"] for a in answers}) == 1


def test_twenty_files_from_the_requester_then_409(app, client, auth, requester, store):
    from tests.files.conftest import stored_keys

    ref, token = requester
    for n in range(20):
        resp = upload(client, f"/api/v1/public/requests/{ref}/files", PNG, f"{n}.png", token)
        assert resp.status_code == 201
    # Staff files do not count against the requester's.
    staff = upload(client, f"/api/v1/requests/{ref}/files", PNG, headers=auth("agent"),
                   audience="requester")  # fmt: skip
    assert staff.status_code == 201
    refused = upload(client, f"/api/v1/public/requests/{ref}/files", PNG, "21.png", token)
    assert refused.status_code == 409
    assert refused.get_json()["type"] == "urn:pirights:problem:too-many-files"
    assert len(stored_keys(app, store)) == 21


def test_a_closed_request_takes_no_evidence(client, requester):
    ref, token = requester
    assert client.post(f"/api/v1/public/requests/{ref}/withdraw", headers=token).status_code == 200
    resp = upload(client, f"/api/v1/public/requests/{ref}/files", PNG, headers=token)
    assert resp.status_code == 409
    assert resp.get_json()["type"] == "urn:pirights:problem:request-closed"


@pytest.fixture
def follow_up_limited(app_overrides):
    """The public limits on (the per-reference failure budget is 10 an hour)."""
    app_overrides["public"] = {"rate_limit": "1000/hour"}


def test_wrong_tokens_on_files_are_rate_limited_like_other_follow_ups(
    follow_up_limited, client, requester
):
    ref, _ = requester
    wrong = {"X-Tracking-Token": "x" * 32}
    codes = [
        client.get(f"/api/v1/public/requests/{ref}/files/1", headers=wrong).status_code
        for _ in range(11)
    ]
    assert codes == [404] * 10 + [429]
    assert (
        upload(client, f"/api/v1/public/requests/{ref}/files", PNG, headers=wrong).status_code
        == 429
    )
