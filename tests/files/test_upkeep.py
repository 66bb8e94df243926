"""Key rotation of stored files, purge, and the orphan sweep (SPEC §8.2, §12.3), on both
stores."""

from __future__ import annotations

import base64
import os
import stat
from datetime import timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from pirights import create_app
from pirights.cli import main
from tests.files.conftest import PDF, PNG, stored_keys, upload

KEY_A = base64.urlsafe_b64encode(b"k" * 32).decode()  # the suite's TEST_KEY
KEY_B = base64.urlsafe_b64encode(b"B" * 32).decode()


def cli(monkeypatch, app_overrides, key: str, old: str | None, *args: str):
    """Run the CLI in-process against this test's database and store."""
    files = app_overrides["files"]
    monkeypatch.setenv("PIRIGHTS_DATABASE_URL", app_overrides["database"]["url"])
    monkeypatch.setenv("PIRIGHTS_ENCRYPTION_KEY", key)
    monkeypatch.setenv("PIRIGHTS_FILES_URL", files["url"])
    monkeypatch.setenv("PIRIGHTS_S3_ENDPOINT_URL", files.get("s3_endpoint_url", ""))
    if old:
        monkeypatch.setenv("PIRIGHTS_ENCRYPTION_OLD_KEYS", old)
    else:
        monkeypatch.delenv("PIRIGHTS_ENCRYPTION_OLD_KEYS", raising=False)
    return CliRunner().invoke(main, list(args))


def rows(app) -> list:
    """Every file row, by id."""
    from pirights.extensions import db
    from pirights.files.models import File

    with app.app_context():
        return list(db.session.scalars(select(File).order_by(File.id)))


@pytest.fixture
def two_files(client, auth, requester) -> tuple[str, dict, list[int]]:
    """A request with the requester's PNG and a staff PDF for them."""
    ref, token = requester
    one = upload(client, f"/api/v1/public/requests/{ref}/files", PNG, "a.png", token)
    two = upload(client, f"/api/v1/requests/{ref}/files", PDF, "b.pdf", auth("agent"),
                 audience="requester")  # fmt: skip
    return ref, token, [one.get_json()["id"], two.get_json()["id"]]


def test_keys_rotate_reseals_files_and_resumes(
    backend, app, app_overrides, store, two_files, monkeypatch, tmp_path
):
    ref, token, ids = two_files
    before = stored_keys(app, store)
    result = cli(monkeypatch, app_overrides, KEY_B, KEY_A, "keys", "rotate", "--batch", "1")
    assert result.exit_code == 0, result.output
    assert "re-sealed 2 stored file(s)" in result.output
    after = stored_keys(app, store)
    assert len(after) == 2 and not set(after) & set(before)  # new objects, old ones gone

    # An app that holds only the new key reads both files, byte for byte.
    overrides = {**app_overrides, "security": {**app_overrides["security"]}}
    overrides["security"]["encryption_key"] = KEY_B
    b_only = create_app(overrides, instance_path=str(tmp_path / "b"))
    client = b_only.test_client()
    got = [client.get(f"/api/v1/public/requests/{ref}/files/{i}", headers=token) for i in ids]
    assert [g.data for g in got] == [PNG, PDF]
    b_only.extensions["pirights_db"].engine.dispose()

    again = cli(monkeypatch, app_overrides, KEY_B, KEY_A, "keys", "rotate")
    assert "re-sealed 0 stored file(s)" in again.output
    assert stored_keys(app, store) == after


def test_rotation_stopped_half_way_goes_on_where_it_stopped(
    backend, app, app_overrides, store, two_files, tmp_path
):
    from pirights.files import upkeep

    overrides = {**app_overrides, "security": {**app_overrides["security"]}}
    overrides["security"].update(encryption_key=KEY_B, encryption_old_keys=KEY_A)
    rotating = create_app(overrides, instance_path=str(tmp_path / "r"))

    def stop(_n):
        raise KeyboardInterrupt

    with rotating.app_context():
        with pytest.raises(KeyboardInterrupt):
            upkeep.rotate(batch=1, progress=stop)
        assert upkeep.count_stale() == 1
        assert upkeep.rotate(batch=1) == 1
        assert upkeep.count_stale() == 0
    assert len(stored_keys(app, store)) == 2
    rotating.extensions["pirights_db"].engine.dispose()


def test_purge_erases_file_contents_and_names(backend, app, client, auth, store, two_files, clock):
    from pirights.security.purge import purge

    ref, token, ids = two_files
    agent = auth("supervisor")
    assert client.post(f"/api/v1/public/requests/{ref}/withdraw", headers=token).status_code == 200
    clock.set(clock.moment + timedelta(days=4 * 366))
    with app.app_context():
        assert purge(clock.moment, 3).requests == 1
    assert stored_keys(app, store) == []
    for row in rows(app):
        assert row.name is None and row.blob is None and row.erased_at is not None
        assert row.sha256 and row.size  # what was sent can still be told
    listed = client.get(f"/api/v1/requests/{ref}/files", headers=agent).get_json()["items"]
    assert [f["erased"] for f in listed] == [True, True]
    assert client.get(f"/api/v1/requests/{ref}/files/{ids[0]}", headers=agent).status_code == 410
    refused = upload(client, f"/api/v1/requests/{ref}/files", PNG, headers=agent,
                     audience="internal")  # fmt: skip
    assert refused.status_code == 409


def test_a_purge_that_rolls_back_leaves_the_files_readable(backend, app, client, auth, store,
                                                             two_files):  # fmt: skip
    """The objects go only when the purge's unit of work commits."""
    from pirights.extensions import db
    from pirights.files.service import erase_files
    from pirights.requests.queries import load

    ref, _token, ids = two_files
    before = stored_keys(app, store)
    with app.app_context():
        with pytest.raises(RuntimeError), db.unit_of_work() as s:
            erase_files(s, load(s, ref, for_update=True))
            raise RuntimeError("the purge failed after erasing the rows")
        # The session's next commit does not delete them either.
        with db.unit_of_work() as s:
            load(s, ref)
    assert stored_keys(app, store) == before
    supervisor = auth("supervisor")
    assert client.get(f"/api/v1/requests/{ref}/files/{ids[0]}", headers=supervisor).data == PNG
    with app.app_context(), db.unit_of_work() as s:
        erase_files(s, load(s, ref, for_update=True))
    assert stored_keys(app, store) == []


def test_sweep_removes_orphans_older_than_a_day(
    backend, app, app_overrides, store, two_files, monkeypatch
):
    from pirights import clock
    from pirights.files import upkeep
    from pirights.files.storage import BLOBS, TMP

    kept = stored_keys(app, store)
    first = rows(app)[0]
    with app.app_context():
        store.put(TMP + "a" * 32, [b"an upload that failed"])
        store.put(BLOBS + "b" * 32, [b"a rotation that stopped"])
        # A committed file whose move to its final key was interrupted.
        store.move(first.blob, TMP + first.blob.removeprefix(BLOBS))
        young = upkeep.sweep(clock.now())
        assert (young.removed, young.published) == (0, 0)
    later = clock.now() + timedelta(days=2)
    monkeypatch.setattr("pirights.clock.now", lambda: later)
    result = cli(monkeypatch, app_overrides, KEY_A, None, "files", "sweep")
    assert result.exit_code == 0, result.output
    assert "removed 2 orphan(s), published 1 interrupted upload(s)" in result.output
    assert stored_keys(app, store) == kept


@pytest.fixture
def local_root(app_overrides, tmp_path) -> Path:
    """A folder store at a path of this test's own."""
    root = tmp_path / "store"
    app_overrides["files"] = {"url": root.as_uri()}
    return root


def test_local_store_modes(local_root, client, requester):
    root = local_root
    ref, token = requester
    assert (
        upload(client, f"/api/v1/public/requests/{ref}/files", PNG, headers=token).status_code
        == 201
    )
    for folder in (root, root / "tmp", root / "blobs"):
        assert stat.S_IMODE(os.stat(folder).st_mode) == 0o700
    (blob,) = (root / "blobs").iterdir()
    assert stat.S_IMODE(os.stat(blob).st_mode) == 0o600


def test_default_store_is_files_in_the_instance_folder(client, app, requester):
    ref, token = requester
    assert (
        upload(client, f"/api/v1/public/requests/{ref}/files", PNG, headers=token).status_code
        == 201
    )
    assert len(list((Path(app.instance_path) / "files" / "blobs").iterdir())) == 1


def test_bad_store_urls_stop_start_up(app_overrides, tmp_path):
    from pirights import ConfigError

    for url in ("ftp://x/y", "s3:///prefix", "file://host/x", "file:relative"):
        app_overrides["files"] = {"url": url}
        with pytest.raises(ConfigError, match=r"files\.url"):
            create_app(app_overrides, instance_path=str(tmp_path / "i"))
