"""The requester's 20-file limit holds when uploads race (the count is checked again under
the request's row lock), and the losers leave nothing in the store."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from tests.files.conftest import PNG, stored_keys, upload


def test_racing_uploads_never_pass_the_limit(app, client, requester, store):
    ref, token = requester
    url = f"/api/v1/public/requests/{ref}/files"
    for n in range(18):
        assert upload(client, url, PNG, f"{n}.png", token).status_code == 201

    def send(n: int) -> int:
        return upload(app.test_client(), url, PNG + bytes([n]), f"race{n}.png", token).status_code

    with ThreadPoolExecutor(6) as pool:
        codes = sorted(pool.map(send, range(6)))
    assert codes == [201, 201, 409, 409, 409, 409]
    assert len(stored_keys(app, store)) == 20
    listed = client.get(url, headers=token).get_json()["items"]
    assert len(listed) == 20
