"""Streaming audit exports (SPEC §6): a window of the chain as JSONL or CSV bytes.

Rows are read in keyset batches (`seq > last ORDER BY seq LIMIT n`), each in its own short
transaction, so memory stays constant however long the log is, and on SQLite (where every
transaction takes the write lock, see database.py) writers wait at most one batch.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.engine import Engine, Row
from sqlalchemy.orm import Session

from pirights.audit.models import AuditEvent, AuditHead
from pirights.audit.recorder import HEAD_ID, format_at, record
from pirights.audit.standalone import CSV_HEADER

FORMATS = ("jsonl", "csv")
MEDIA_TYPES = {"jsonl": "application/x-ndjson", "csv": "text/csv"}
BATCH = 1000
EVENTS = AuditEvent.__table__
COLUMNS = [EVENTS.c[name] for name in CSV_HEADER]


@dataclass(frozen=True)
class Window:
    """The seq range an export covers, fixed when it starts, and what asked for it."""

    first_seq: int
    last_seq: int
    count: int
    since: str | None = None
    until: str | None = None

    @property
    def filter(self) -> dict[str, Any]:
        """The filter as the audit event and the manifest record it."""
        return {"since": self.since, "until": self.until}


def parse_instant(text: str) -> datetime:
    """An ISO 8601 time with an offset, or a date (midnight UTC), in UTC; else ValueError."""
    text = text.strip()
    if len(text) == 10:
        day = date.fromisoformat(text)
        return datetime(day.year, day.month, day.day, tzinfo=UTC)
    moment = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    if moment.tzinfo is None:
        raise ValueError("give a time zone offset, e.g. 2026-09-30T10:00:00+08:00")
    try:
        return moment.astimezone(UTC)
    except OverflowError:
        # e.g. 0001-01-01T00:00+01:00 lies before the first representable UTC time
        raise ValueError("out of range") from None


def resolve_window(
    session: Session,
    since: datetime | None = None,
    until: datetime | None = None,
    from_seq: int | None = None,
    to_seq: int | None = None,
) -> Window:
    """Turn a time window (since <= at < until) and/or a seq range into seq bounds.

    `at` never decreases along the chain (see recorder), so a time window is a seq range;
    the upper bound is the chain head now, so later appends never enter this export.
    """
    head = session.scalar(select(AuditHead.seq).where(AuditHead.id == HEAD_ID)) or 0
    low = max(from_seq or 1, 1)
    high = head if to_seq is None else min(to_seq, head)
    since_text = format_at(since) if since else None
    until_text = format_at(until) if until else None
    if since_text is not None:
        found = session.scalar(select(func.min(EVENTS.c.seq)).where(EVENTS.c.at >= since_text))
        low = max(low, found) if found is not None else high + 1
    if until_text is not None:
        found = session.scalar(select(func.max(EVENTS.c.seq)).where(EVENTS.c.at < until_text))
        high = min(high, found) if found is not None else 0
    count = 0
    if low <= high:
        count = session.scalar(
            select(func.count()).select_from(EVENTS).where(EVENTS.c.seq.between(low, high))
        )
    return Window(low, high, count or 0, since_text, until_text)


def start_export(
    session: Session,
    *,
    actor: str,
    fmt: str,
    since: datetime | None = None,
    until: datetime | None = None,
    from_seq: int | None = None,
    to_seq: int | None = None,
    signed: bool = False,
) -> Window:
    """Fix the window and record `audit.exported` in the caller's unit of work.

    The event is appended after the window's bound is read, so it is not part of the
    export it describes and its count is exactly what will be written.
    """
    window = resolve_window(session, since, until, from_seq, to_seq)
    data: dict[str, Any] = {"filter": window.filter, "format": fmt, "count": window.count}
    if from_seq is not None or to_seq is not None:
        data["seq_range"] = [from_seq, to_seq]
    if signed:
        data["signed"] = True
    record(session, actor=actor, action="audit.exported", data=data)
    return window


def iter_rows(engine: Engine, first_seq: int, last_seq: int, batch: int = BATCH) -> Iterator[Row]:
    """The stored rows with first_seq <= seq <= last_seq, in seq order, batch by batch."""
    after = first_seq - 1
    while after < last_seq:
        with engine.connect() as conn:
            rows = conn.execute(
                select(*COLUMNS)
                .where(EVENTS.c.seq > after, EVENTS.c.seq <= last_seq)
                .order_by(EVENTS.c.seq)
                .limit(batch)
            ).all()
        if not rows:
            return
        yield from rows
        after = rows[-1].seq
        del rows


def row_event(row: Row) -> dict[str, Any]:
    """A stored row as an event object; `data` holds the hashed JSON text, parsed here."""
    return {
        "seq": row.seq,
        "at": row.at,
        "actor": row.actor,
        "action": row.action,
        "request_ref": row.request_ref,
        "data": json.loads(row.data),
        "prev_hash": row.prev_hash,
        "hash": row.hash,
    }


# C-accelerated JSON string encoder; keeps non-ASCII as the canonical form does.
_string = json.encoder.encode_basestring  # type: ignore[attr-defined]
LINE = (
    '{"seq":%d,"at":%s,"actor":%s,"action":%s,"request_ref":%s,"data":%s,"prev_hash":%s,"hash":%s}'
)


def jsonl_line(row: Row) -> str:
    """One event as a JSON line, `data` as an object (not a string).

    The stored `data` is the canonical JSON object text that was hashed, so it is spliced
    in verbatim: the same bytes json.dumps(json.loads(data)) with compact separators would
    give, at a third of the cost (SPEC §10 asks for 100 000 events/s).
    """
    seq, at, actor, action, ref, data, prev_hash, digest = row
    return LINE % (
        seq,
        _string(at),
        _string(actor),
        _string(action),
        "null" if ref is None else _string(ref),
        data,
        _string(prev_hash),
        _string(digest),
    )


def jsonl_chunks(rows: Iterator[Row], batch: int = BATCH) -> Iterator[bytes]:
    """One JSON object per line, yielded a batch of lines at a time."""
    lines: list[str] = []
    for row in rows:
        lines.append(jsonl_line(row))
        if len(lines) >= batch:
            yield ("\n".join(lines) + "\n").encode("utf-8")
            lines = []
    if lines:
        yield ("\n".join(lines) + "\n").encode("utf-8")


def csv_chunks(rows: Iterator[Row], batch: int = BATCH) -> Iterator[bytes]:
    """The CSV header, then the rows with `data` as its stored canonical JSON text."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CSV_HEADER)
    pending = 1
    for row in rows:
        writer.writerow(
            (
                row.seq,
                row.at,
                row.actor,
                row.action,
                row.request_ref or "",
                row.data,
                row.prev_hash,
                row.hash,
            )
        )
        pending += 1
        if pending >= batch:
            yield buffer.getvalue().encode("utf-8")
            buffer.seek(0)
            buffer.truncate()
            pending = 0
    if pending:
        yield buffer.getvalue().encode("utf-8")


def stream(engine: Engine, window: Window, fmt: str) -> Iterator[bytes]:
    """The export's bytes for `window` in format `fmt`, produced lazily."""
    return encode(iter_rows(engine, window.first_seq, window.last_seq), fmt)


def encode(rows: Iterator[Row], fmt: str) -> Iterator[bytes]:
    """Encode rows in `fmt` as byte chunks."""
    return jsonl_chunks(rows) if fmt == "jsonl" else csv_chunks(rows)


class Summary:
    """What passed through an export: endpoints of the chain, count, SHA-256 and size.

    The manifest is built from this, i.e. from the bytes actually written.
    """

    def __init__(self) -> None:
        self.count = 0
        self.first_seq: int | None = None
        self.last_seq: int | None = None
        self.first_prev_hash: str | None = None
        self.last_hash: str | None = None
        self.size = 0
        self._digest = hashlib.sha256()

    def rows(self, rows: Iterator[Row]) -> Iterator[Row]:
        """Pass rows through, noting the first and last."""
        for row in rows:
            if self.first_seq is None:
                self.first_seq, self.first_prev_hash = row.seq, row.prev_hash
            self.last_seq, self.last_hash = row.seq, row.hash
            self.count += 1
            yield row

    def chunks(self, chunks: Iterator[bytes]) -> Iterator[bytes]:
        """Pass chunks through, hashing and measuring them."""
        for chunk in chunks:
            self._digest.update(chunk)
            self.size += len(chunk)
            yield chunk

    @property
    def sha256(self) -> str:
        """Hex SHA-256 of every byte passed so far."""
        return self._digest.hexdigest()


def summarised(engine: Engine, window: Window, fmt: str, summary: Summary) -> Iterator[bytes]:
    """Like stream(), noting everything a manifest needs in `summary` on the way."""
    rows = summary.rows(iter_rows(engine, window.first_seq, window.last_seq))
    return summary.chunks(encode(rows, fmt))
