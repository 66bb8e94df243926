"""The list filter `open` (open or closed requests), shared by the API and the console."""


def _close(client, headers, ref):
    """Refuse a request so that it is closed."""
    body = {"action": "refuse", "legal_basis": "other", "reason": "test"}
    resp = client.post(f"/api/v1/requests/{ref}/transitions", json=body, headers=headers)
    assert resp.status_code == 200, resp.get_json()


def test_open_true_and_false_split_the_list(client, auth, submit):
    headers = auth("supervisor")
    refs = [submit()["reference"] for _ in range(3)]
    _close(client, headers, refs[0])

    def listed(query):
        resp = client.get(f"/api/v1/requests?{query}", headers=headers)
        assert resp.status_code == 200, resp.get_json()
        return {item["reference"] for item in resp.get_json()["items"]}

    assert listed("open=true") == set(refs[1:])
    assert listed("open=false") == {refs[0]}
    assert listed("") == set(refs)
    assert listed("open=true&status=refused") == set()


def test_open_must_be_a_boolean(client, auth):
    resp = client.get("/api/v1/requests?open=maybe", headers=auth("agent"))
    assert resp.status_code == 422
    assert "open" in str(resp.get_json()["errors"])
