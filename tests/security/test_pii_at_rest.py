"""PII at rest (SPEC §8.2): the raw database holds none of what the requester typed."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from pirights.database import normalise_url
from tests.conftest import PG_URL
from tests.security.helpers import full_lifecycle

SENSITIVE = (
    "name",
    "email",
    "phone",
    "account_id",
    "on_behalf_of",
    "description",
    "content_ref",
    "requester_message",
    "info_request",
    "note",
    "staff_message",
    "resolution",
    "tracking_token",
    "staff_token",
)


def raw_sqlite(url: str) -> bytes:
    """Every byte of the SQLite database: the main file and its write-ahead log."""
    path = Path(make_url(url).database)
    return b"".join(p.read_bytes() for p in (path, Path(f"{path}-wal")) if p.exists())


def raw_postgres(url: str) -> bytes:
    """Every row of every table as PostgreSQL prints it (bytea as hex), like a dump."""
    engine = create_engine(normalise_url(url))
    try:
        with engine.connect() as conn:
            tables = conn.execute(
                text("SELECT tablename FROM pg_tables WHERE schemaname = current_schema()")
            ).scalars()
            lines = []
            for table in list(tables):
                rows = conn.execute(text(f'SELECT t::text FROM "{table}" t')).scalars()
                lines.extend(rows)
    finally:
        engine.dispose()
    return "\n".join(lines).encode("utf-8")


def test_no_submitted_value_or_token_is_stored_in_clear(app, client, auth, database_url):
    secrets = full_lifecycle(client, auth("admin"))
    app.extensions["pirights_db"].engine.dispose()  # flush connections; keep the WAL file
    raw = raw_postgres(database_url) if PG_URL else raw_sqlite(database_url)
    assert secrets["reference"].encode() in raw  # the search does see stored text
    for key in SENSITIVE:
        value = secrets[key].encode("utf-8")
        assert value not in raw, key
        assert value.hex().encode() not in raw.lower(), key  # nor bytea's hex form
        # Case-folded and partial forms neither (e.g. an index of a lower-cased email).
        assert value.lower() not in raw.lower(), key
