"""App-wide behaviour: health, the OpenAPI document, and the error mapping of §8.4."""

from __future__ import annotations

import pytest

from pirights import create_app


def test_healthz_ok(client):
    resp = client.get("/healthz")
    assert resp.status_code == 200 and resp.get_json() == {"status": "ok"}


def test_healthz_503_when_the_database_is_gone(app_overrides, tmp_path):
    app_overrides["database"]["url"] = "postgresql://nobody@127.0.0.1:1/none"
    app = create_app(app_overrides, instance_path=str(tmp_path))
    resp = app.test_client().get("/healthz")
    assert resp.status_code == 503
    assert resp.mimetype == "application/problem+json"


def test_openapi_document_is_generated_from_the_schemas(client):
    doc = client.get("/api/v1/openapi.json").get_json()
    assert doc["openapi"].startswith("3.")
    paths = doc["paths"]
    for path in (
        "/api/v1/public/requests",
        "/api/v1/public/requests/{reference}",
        "/api/v1/requests",
        "/api/v1/requests/{reference}/transitions",
        "/api/v1/requests/{reference}/events",
    ):
        assert path in paths, path
    assert all(p.startswith("/api/v1/") for p in paths)
    intake = paths["/api/v1/public/requests"]["post"]
    assert intake["summary"] == "Submit a rights request or complaint."
    schema_ref = intake["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    name = schema_ref.rsplit("/", 1)[-1]
    assert "type" in doc["components"]["schemas"][name]["required"]
    assert paths["/api/v1/requests"]["get"]["security"] == [{"bearerAuth": []}]


def test_openapi_documents_errors_as_problem_json(client):
    """Error responses are documented with the media type errors.py sends (RFC 9457)."""
    doc = client.get("/api/v1/openapi.json").get_json()
    responses = doc["components"]["responses"]
    assert {"DEFAULT_ERROR", "UNPROCESSABLE_ENTITY"} <= set(responses)
    for response in responses.values():
        assert list(response["content"]) == ["application/problem+json"]
        assert response["content"]["application/problem+json"]["schema"] == {
            "$ref": "#/components/schemas/Problem"
        }
    transitions = doc["paths"]["/api/v1/requests/{reference}/transitions"]["post"]
    assert transitions["responses"]["422"] == {
        "$ref": "#/components/responses/UNPROCESSABLE_ENTITY"
    }


@pytest.mark.parametrize(
    ("method", "url", "kwargs", "status"),
    [
        ("GET", "/api/v1/nothing-here", {}, 404),
        ("DELETE", "/api/v1/public/requests", {}, 405),
        (
            "POST",
            "/api/v1/public/requests",
            {"data": "{oops", "content_type": "application/json"},
            400,
        ),
        (
            "POST",
            "/api/v1/public/requests",
            {"data": "type=delete", "content_type": "application/x-www-form-urlencoded"},
            415,
        ),
        (
            "POST",
            "/api/v1/public/requests",
            {"data": b"{" + b" " * (1024 * 1024 + 10) + b"}", "content_type": "application/json"},
            413,
        ),
        (
            "POST",
            "/api/v1/public/requests",
            {"data": "[]", "content_type": "application/json"},
            422,
        ),
        (
            "POST",
            "/api/v1/public/requests",
            {"data": "null", "content_type": "application/json"},
            422,
        ),
    ],
)
def test_errors_are_problem_json(client, method, url, kwargs, status):
    resp = client.open(url, method=method, **kwargs)
    assert resp.status_code == status, resp.get_data(as_text=True)[:300]
    assert resp.mimetype == "application/problem+json"
    body = resp.get_json()
    assert body["status"] == status and body["title"] and body["detail"] and body["type"]
    if status == 405:
        assert "POST" in resp.headers["Allow"]


def test_failed_request_writes_nothing(app, client):
    from sqlalchemy import func, select

    from pirights.audit.models import AuditEvent
    from pirights.extensions import db

    client.post("/api/v1/public/requests", json={"type": "delete"})
    from tests.conftest import valid_request

    resp = client.post("/api/v1/public/requests", json=valid_request(jurisdiction="XX"))
    assert resp.status_code == 422 and "jurisdiction" in resp.get_json()["errors"]
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(AuditEvent)) == 0
