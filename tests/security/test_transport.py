"""What leaves the server besides the body: cache and sniffing headers on the JSON API,
the Secure flag on the session cookie behind HTTPS, and private SQLite files."""

from __future__ import annotations

import stat
from pathlib import Path

from click.testing import CliRunner

from pirights import create_app
from pirights.cli import main
from tests.conftest import valid_request


def test_api_answers_are_not_stored_or_sniffed(client, submit, auth):
    answer = submit()
    ref, token = answer["reference"], answer["tracking_token"]
    admin = auth("admin")
    answers = [
        client.post("/api/v1/public/requests", json={"type": "delete"}),  # 422 problem
        client.get(f"/api/v1/public/requests/{ref}", headers={"X-Tracking-Token": token}),
        client.get(f"/api/v1/public/requests/{ref}"),  # 404 problem
        client.get(f"/api/v1/requests/{ref}", headers=admin),
        client.get("/api/v1/requests", headers=admin),
        client.get(f"/api/v1/requests/{ref}/events", headers=admin),
        client.get("/api/v1/requests"),  # 401 problem
    ]
    for resp in answers:
        assert resp.headers["Cache-Control"] == "no-store", resp.request.path
        assert resp.headers["X-Content-Type-Options"] == "nosniff", resp.request.path
    doc = client.get("/api/v1/openapi.json")
    assert doc.headers["X-Content-Type-Options"] == "nosniff"
    assert "no-store" not in doc.headers.get("Cache-Control", "")


def session_cookie(resp) -> str:
    """The Set-Cookie header of the session cookie."""
    found = [h for h in resp.headers.getlist("Set-Cookie") if h.startswith("session=")]
    assert found, resp.headers
    return found[0]


def test_session_cookie_is_secure_over_https_only(app):
    https = app.test_client().get("/", base_url="https://localhost")
    assert "Secure" in session_cookie(https)
    assert "Secure" not in session_cookie(app.test_client().get("/", base_url="http://localhost"))


def test_session_cookie_is_secure_behind_a_trusted_https_proxy(app_overrides, tmp_path):
    app_overrides["server"] = {"trusted_proxies": 1}
    app = create_app(app_overrides, instance_path=str(tmp_path / "i"))
    proxied = {"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.9"}
    assert "Secure" in session_cookie(app.test_client().get("/", headers=proxied))


def test_untrusted_forwarded_proto_does_not_count(client):
    # Without trusted proxies, anyone could send the header: it is ignored.
    resp = client.get("/", headers={"X-Forwarded-Proto": "https"})
    assert "Secure" not in session_cookie(resp)


def test_secure_cookies_always(app_overrides, tmp_path):
    app_overrides["security"]["secure_cookies"] = "always"
    app = create_app(app_overrides, instance_path=str(tmp_path / "i"))
    assert "Secure" in session_cookie(app.test_client().get("/"))


def mode(path: Path) -> int:
    """Permission bits of a file."""
    return stat.S_IMODE(path.stat().st_mode)


# These two make their own SQLite files, so they run whichever database the suite uses.
def test_sqlite_database_wal_and_shm_are_private(app_overrides, tmp_path, monkeypatch):
    path = tmp_path / "fresh" / "pirights.sqlite3"
    path.parent.mkdir()
    monkeypatch.setenv("PIRIGHTS_DATABASE_URL", f"sqlite:///{path}")
    monkeypatch.setenv("PIRIGHTS_ENCRYPTION_KEY", app_overrides["security"]["encryption_key"])
    result = CliRunner().invoke(main, ["db", "upgrade"])
    assert result.exit_code == 0, result.output
    assert mode(path) == 0o600
    app_overrides["database"]["url"] = f"sqlite:///{path}"
    app = create_app(app_overrides, instance_path=str(tmp_path / "i"))
    assert (
        app.test_client().post("/api/v1/public/requests", json=valid_request()).status_code == 201
    )
    files = [path, Path(f"{path}-wal"), Path(f"{path}-shm")]
    assert all(f.exists() for f in files)
    assert [oct(mode(f)) for f in files] == [oct(0o600)] * 3
    app.extensions["pirights_db"].engine.dispose()


def test_existing_world_readable_sqlite_files_are_tightened(app_overrides, tmp_path):
    path = tmp_path / "old.sqlite3"
    for name in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
        name.write_bytes(b"")  # as an older version left them (empty: a new database)
        name.chmod(0o644)
    app_overrides["database"]["url"] = f"sqlite:///{path}"
    app = create_app(app_overrides, instance_path=str(tmp_path / "i"))
    assert app.test_client().get("/healthz").status_code == 200
    assert [mode(path), mode(Path(f"{path}-wal")), mode(Path(f"{path}-shm"))] == [0o600] * 3
    app.extensions["pirights_db"].engine.dispose()
