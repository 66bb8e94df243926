"""Audit services used by the API and the CLI: start an export, sign one, verify."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from flask import current_app
from sqlalchemy.engine import Engine

from pirights import clock
from pirights.audit import export, sequencer, signing
from pirights.audit.recorder import format_at
from pirights.audit.verify import Verdict, verify_database
from pirights.extensions import db


def signing_key() -> signing.Ed25519PrivateKey:
    """The configured signing key, or SigningUnavailable saying how to configure one."""
    return signing.load_private_key(current_app.config["PIRIGHTS"].audit_signing_key)


def begin_export(
    *,
    actor: str,
    fmt: str,
    since: datetime | None = None,
    until: datetime | None = None,
    from_seq: int | None = None,
    to_seq: int | None = None,
    signed: bool = False,
) -> export.Window:
    """One unit of work: fix the export's window and record `audit.exported`.

    The event is committed before any byte is produced, because a streamed response
    outlives the view: an export that is interrupted half-way is still on record. Events
    still waiting for the sequencer are sequenced first, so the export misses none.
    """
    catch_up()
    with db.unit_of_work() as s:
        return export.start_export(
            s,
            actor=actor,
            fmt=fmt,
            since=since,
            until=until,
            from_seq=from_seq,
            to_seq=to_seq,
            signed=signed,
        )


def engine() -> Engine:
    """The engine exports read from (streams must not depend on the request's session)."""
    assert db.engine is not None
    return db.engine


def sign_summary(
    summary: export.Summary,
    *,
    fmt: str,
    window: export.Window,
    key: signing.Ed25519PrivateKey,
    file: str | None = None,
) -> dict[str, Any]:
    """The signed manifest of the bytes that went through `summary`."""
    manifest = signing.build_manifest(
        fmt=fmt,
        window_filter=window.filter,
        count=summary.count,
        first_seq=summary.first_seq,
        last_seq=summary.last_seq,
        first_prev_hash=summary.first_prev_hash,
        last_hash=summary.last_hash,
        sha256=summary.sha256,
        size=summary.size,
        created_at=format_at(clock.now()),
        key=key,
        file=file,
    )
    return signing.sign(manifest, key)


def sign_export(
    window: export.Window, fmt: str, key: signing.Ed25519PrivateKey
) -> tuple[dict[str, Any], export.Summary]:
    """Produce the export's bytes once, hashing them as they pass (nothing is kept), and sign.

    The window's events are immutable, so exporting the same seq range again gives the
    same bytes: that is what lets the API hand out the manifest and the events separately.
    """
    summary = export.Summary()
    for _chunk in export.summarised(engine(), window, fmt, summary):
        pass
    return sign_summary(summary, fmt=fmt, window=window, key=key), summary


def catch_up() -> int:
    """Sequence every event still waiting, before a read that needs the whole chain.

    The request's own read transaction (authentication) ends first: on SQLite it holds
    the write lock, which the sequencer's and verifier's transactions would wait for.
    """
    if db.session.in_transaction():
        db.session.commit()
    return sequencer.catch_up(engine())


def verify_stored_chain(tick: Callable[[int], None] | None = None) -> Verdict:
    """Verify the database's chain (every waiting event sequenced first), batch by batch."""
    catch_up()
    return verify_database(engine(), tick)
