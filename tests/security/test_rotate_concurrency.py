"""A key rotation never overwrites a write made while it runs (issue 11 §1: nothing lost)."""

from __future__ import annotations

import base64

from pirights import create_app
from pirights.crypto import Cipher, decode_key
from tests.concurrency import while_held

KEY_A = base64.urlsafe_b64encode(b"k" * 32).decode()  # the suite's TEST_KEY
KEY_B = base64.urlsafe_b64encode(b"B" * 32).decode()
STAFF = "/api/v1/requests"


def test_a_resolution_written_during_a_rotation_survives_it(
    app, client, submit, auth, app_overrides, tmp_path
):
    sup = auth("supervisor")
    ref = submit()["reference"]
    for body in (
        {"action": "verify_identity", "method": "email_code"},
        {"action": "accept"},
        {"action": "complete", "resolution": "First resolution."},
    ):
        assert client.post(f"{STAFF}/{ref}/transitions", json=body, headers=sup).status_code == 200
    security = {**app_overrides["security"], "encryption_key": KEY_B}
    security["encryption_old_keys"] = KEY_A
    rotating = create_app(
        {**app_overrides, "security": security}, instance_path=str(tmp_path / "b")
    )
    try:

        def rotate():
            from pirights.security.rotate import rotate as run

            with rotating.app_context():
                return run(batch=50)

        # Another writer changes the resolution (under the old key) while the rotation runs.
        later = Cipher(decode_key(KEY_A)).encrypt("Second resolution.")
        while_held(
            app,
            "UPDATE requests SET resolution = :blob WHERE reference = :ref",
            {"blob": later, "ref": ref},
            rotate,
        )
        shown = rotating.test_client().get(f"{STAFF}/{ref}", headers=sup).get_json()
        assert shown["outcome"]["resolution"] == "Second resolution."
    finally:
        rotating.extensions["pirights_db"].engine.dispose()
