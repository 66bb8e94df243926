"""The completion email lists the files left for the requester (SPEC §12.2, §12.3), through
a real SMTP server; never the token, never an internal file."""

from __future__ import annotations

from tests.files.conftest import PDF, PNG, upload
from tests.outbox.conftest import smtp, work  # noqa: F401  (fixtures)

STAFF = "/api/v1/requests"


def step(client, headers, ref, **body) -> None:
    """A staff transition that must succeed."""
    resp = client.post(f"{STAFF}/{ref}/transitions", json=body, headers=headers)
    assert resp.status_code == 200, resp.get_json()


def test_completion_email_names_the_files_to_fetch(smtp, client, auth, submit, work):  # noqa: F811
    answer = submit(type="copy", locale="en")
    ref, token = answer["reference"], answer["tracking_token"]
    agent = auth("agent")
    upload(client, f"{STAFF}/{ref}/files", PDF, "your-data.pdf", agent, audience="requester")
    upload(client, f"{STAFF}/{ref}/files", PDF, "memo.pdf", agent, audience="internal")
    headers = {"X-Tracking-Token": token}
    upload(client, f"/api/v1/public/requests/{ref}/files", PNG, "mine.png", headers)
    step(client, agent, ref, action="verify_identity", method="email_code")
    step(client, agent, ref, action="accept")
    step(client, agent, ref, action="complete", resolution="A copy is attached.")
    work()
    (last,) = [m for _to, m in smtp.messages if "complete" in m["Subject"]]
    text = last.get_body(("plain",)).get_content()
    assert "Files for you" in text and "- your-data.pdf" in text
    assert "memo.pdf" not in text and "mine.png" not in text
    assert token not in text and token not in last.get_body(("html",)).get_content()
