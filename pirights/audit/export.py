"""Streaming audit exports (SPEC §6): a window of the chain as JSONL or CSV bytes.

Rows are read in batches, so memory stays constant however long the log is: on PostgreSQL
through one server-side cursor (one snapshot, no re-query per batch); on SQLite in keyset
batches (`seq > last ORDER BY seq LIMIT n`), each in its own short transaction, because
there every transaction takes the write lock (see database.py) and writers should wait at
most one batch. Rows are plain tuples in CSV_HEADER order and are encoded a batch at a time.
"""

from __future__ import annotations

import csv
import hashlib
import io
import itertools
import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.engine import Engine, Row
from sqlalchemy.orm import Session

from pirights.audit import actions
from pirights.audit.chain import stored_event
from pirights.audit.models import AuditEvent, AuditHead
from pirights.audit.recorder import HEAD_ID, format_at, record
from pirights.audit.standalone import CSV_HEADER

FORMATS = ("jsonl", "csv")
MEDIA_TYPES = {"jsonl": "application/x-ndjson", "csv": "text/csv"}
BATCH = 5000
EVENTS = AuditEvent.__table__
COLUMNS = [EVENTS.c[name] for name in CSV_HEADER]
PG_QUERY = (
    f"SELECT {', '.join(CSV_HEADER)} FROM audit_events WHERE seq >= %s AND seq <= %s ORDER BY seq"
)


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
    record(session, actor=actor, action=actions.AUDIT_EXPORTED, data=data)
    return window


Batch = Sequence[Sequence[Any]]


def iter_batches(
    engine: Engine,
    first_seq: int,
    last_seq: int,
    batch: int | None = None,
    cursor: bool = False,
) -> Iterator[Batch]:
    """The stored rows with first_seq <= seq <= last_seq, in seq order, a list at a time.

    `batch` rows at a time (default BATCH, read when called). With `cursor`, on PostgreSQL
    one server-side cursor holds a transaction open until the last batch is taken: only
    for a reader that drains it promptly (the CLI), never for a slow HTTP client.
    """
    batch = batch or BATCH
    query = select(*COLUMNS).where(EVENTS.c.seq >= first_seq, EVENTS.c.seq <= last_seq)
    if cursor and engine.dialect.name == "postgresql":
        # A named (server-side) cursor on the driver's own connection: plain tuples,
        # `batch` rows per round trip, one snapshot for the whole export.
        with engine.connect() as conn:
            driver = conn.connection.dbapi_connection
            with driver.cursor(name="pirights_audit_export") as cursor:  # type: ignore[union-attr]
                cursor.execute(PG_QUERY, (first_seq, last_seq))
                while rows := cursor.fetchmany(batch):
                    yield rows
                    del rows
            conn.rollback()
        return
    after = first_seq - 1
    while after < last_seq:
        with engine.connect() as conn:
            rows = conn.execute(
                query.where(EVENTS.c.seq > after).order_by(EVENTS.c.seq).limit(batch)
            ).all()
        if not rows:
            return
        yield rows
        after = rows[-1][0]
        del rows


def iter_rows(
    engine: Engine, first_seq: int, last_seq: int, batch: int | None = None, cursor: bool = False
) -> Iterator[Row]:
    """The stored rows with first_seq <= seq <= last_seq, in seq order, one by one."""
    return itertools.chain.from_iterable(iter_batches(engine, first_seq, last_seq, batch, cursor))


def read_ahead(batches: Iterator[Batch], depth: int = 2) -> Iterator[Batch]:
    """The same batches, fetched by a thread up to `depth` ahead of the consumer.

    The database produces the next batch while this process encodes the last one (the
    driver waits without the GIL); memory grows by `depth` batches at most.
    """
    import queue
    import threading

    done = object()
    box: queue.Queue[Any] = queue.Queue(depth)
    stop = threading.Event()

    def fetch() -> None:
        """Move batches into the queue; an exception is passed on to the consumer."""
        try:
            for rows in batches:
                while not stop.is_set():
                    try:
                        box.put(rows, timeout=0.1)
                        break
                    except queue.Full:
                        continue
                if stop.is_set():
                    break
            item: Any = done
        except BaseException as exc:  # re-raised in the consumer
            item = exc
        finally:
            if hasattr(batches, "close"):
                batches.close()
        if not stop.is_set():
            box.put(item)

    thread = threading.Thread(target=fetch, name="audit-export-fetch", daemon=True)
    thread.start()
    try:
        while (item := box.get()) is not done:
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stop.set()
        thread.join()


def row_event(row: Sequence[Any]) -> dict[str, Any]:
    """A stored row as an event object; `data` holds the hashed JSON text, parsed here."""
    return stored_event(row)


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


PLAIN_LINE = (
    '{"seq":%d,"at":"%s","actor":"%s","action":"%s","request_ref":%s,"data":%s,'
    '"prev_hash":"%s","hash":"%s"}'
)


def _needs_no_escaping(text: str) -> bool:
    """True if encode_basestring would only add quotes: no control character, quote or \\."""
    return text.isprintable() and '"' not in text and "\\" not in text


def _plain(rows: Batch) -> bool:
    """True if no text of these rows (but data) needs escaping in JSON: quoting is enough.

    Checked a column at a time on the joined texts: a few C calls per batch.
    """
    _seq, at, actor, action, ref, _data, prev_hash, digest = zip(*rows, strict=True)
    return all(
        _needs_no_escaping("".join(column))
        for column in (at, actor, action, filter(None, ref), prev_hash, digest)
    )


def jsonl_chunks(batches: Iterator[Batch]) -> Iterator[bytes]:
    """One JSON object per line (see jsonl_line), yielded a batch of lines at a time.

    jsonl_line is inlined, and a batch whose texts need no escaping (checked once per
    column with one regex search) is quoted rather than escaped string by string: per-row
    function calls were most of the export's time.
    """
    enc = _string
    for rows in batches:
        if _plain(rows):
            lines = [
                PLAIN_LINE
                % (
                    seq,
                    at,
                    actor,
                    action,
                    "null" if ref is None else f'"{ref}"',
                    data,
                    prev_hash,
                    digest,
                )
                for seq, at, actor, action, ref, data, prev_hash, digest in rows
            ]
        else:
            lines = [
                LINE
                % (
                    seq,
                    enc(at),
                    enc(actor),
                    enc(action),
                    "null" if ref is None else enc(ref),
                    data,
                    enc(prev_hash),
                    enc(digest),
                )
                for seq, at, actor, action, ref, data, prev_hash, digest in rows
            ]
        lines.append("")
        yield "\n".join(lines).encode("utf-8")


def csv_chunks(batches: Iterator[Batch]) -> Iterator[bytes]:
    """The CSV header, then the rows with `data` as its stored canonical JSON text."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CSV_HEADER)
    for rows in batches:
        writer.writerows(
            (seq, at, actor, action, ref or "", data, prev_hash, digest)
            for seq, at, actor, action, ref, data, prev_hash, digest in rows
        )
        yield buffer.getvalue().encode("utf-8")
        buffer.seek(0)
        buffer.truncate()
    if buffer.tell():
        yield buffer.getvalue().encode("utf-8")


def stream(engine: Engine, window: Window, fmt: str) -> Iterator[bytes]:
    """The export's bytes for `window` in format `fmt`, produced lazily."""
    return encode(iter_batches(engine, window.first_seq, window.last_seq), fmt)


def encode(batches: Iterator[Batch], fmt: str) -> Iterator[bytes]:
    """Encode batches of rows in `fmt` as byte chunks."""
    return jsonl_chunks(batches) if fmt == "jsonl" else csv_chunks(batches)


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

    def batches(self, batches: Iterator[Batch]) -> Iterator[Batch]:
        """Pass batches of rows through, noting the first and last row."""
        for rows in batches:
            if not rows:
                continue
            if self.first_seq is None:
                self.first_seq, self.first_prev_hash = rows[0][0], rows[0][6]
            self.last_seq, self.last_hash = rows[-1][0], rows[-1][7]
            self.count += len(rows)
            yield rows

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
    """Like stream(), noting everything a manifest needs in `summary` on the way.

    For readers that drain it at once (the CLI, signing): JSONL on PostgreSQL is written
    by the database itself (`pg_jsonl`); otherwise rows are read through a server-side
    cursor, one batch ahead on a thread.
    """
    if fmt == "jsonl" and engine.dialect.name == "postgresql":
        return summary.chunks(pg_jsonl(engine, window, summary))
    rows = read_ahead(iter_batches(engine, window.first_seq, window.last_seq, cursor=True))
    batches = summary.batches(rows)
    return summary.chunks(encode(batches, fmt))


# The JSONL line of jsonl_line(), built by PostgreSQL: to_json() of a text escapes exactly
# as json's encode_basestring does (the quote, the backslash, \b \f \n \r \t, other controls
# as \u00xx in lower-case hex, everything else verbatim); `data` is the stored canonical text.
PG_LINE_SQL = (
    # concat() rather than ||: one call builds the line (measured 3.3 s against 5.5 s for
    # 1 000 000 rows), and a NULL cannot blank out a whole line.
    "SELECT concat('{\"seq\":', seq, ',\"at\":', to_json(at), ',\"actor\":', to_json(actor),"
    " ',\"action\":', to_json(action),"
    " ',\"request_ref\":', coalesce(to_json(request_ref)::text, 'null'),"
    " ',\"data\":', data, ',\"prev_hash\":', to_json(prev_hash), ',\"hash\":', to_json(hash),"
    " '}') FROM audit_events WHERE seq >= %(first)d AND seq <= %(last)d ORDER BY seq"
)
# CSV with a delimiter and a quote character that no JSON text holds raw (JSON escapes
# every control character), so each line arrives exactly as built, with no quoting; the
# text format would double every backslash.
PG_COPY = "COPY (%s) TO STDOUT WITH (FORMAT csv, DELIMITER E'\\x01', QUOTE E'\\x02')"
COPY_CHUNK = 1 << 20  # bytes handed on at a time


def pg_jsonl(engine: Engine, window: Window, summary: Summary) -> Iterator[bytes]:
    """The window as JSONL, written by PostgreSQL through `COPY … TO STDOUT`.

    A JSON line per event with no row crossing into Python objects: the export's cost
    was building lines in Python (SPEC §10: 100 000 events/s). The summary's endpoints
    come from the window's first and last rows (stored events never change), its count
    from the lines.
    """
    if window.count == 0:
        return
    first, last = int(window.first_seq), int(window.last_seq)
    query = PG_LINE_SQL % {"first": first, "last": last}
    with engine.connect() as conn:
        ends = conn.execute(
            select(EVENTS.c.seq, EVENTS.c.prev_hash, EVENTS.c.hash)
            .where(EVENTS.c.seq.in_((first, last)))
            .order_by(EVENTS.c.seq)
        ).all()
        driver = conn.connection.dbapi_connection
        pending: list[bytes] = []
        size = 0
        with driver.cursor() as cur, cur.copy(PG_COPY % query) as copy:  # type: ignore[union-attr]
            for data in copy:
                pending.append(bytes(data))
                size += len(data)
                if size >= COPY_CHUNK:
                    chunk = b"".join(pending)
                    summary.count += chunk.count(b"\n")
                    yield chunk
                    pending, size = [], 0
        if pending:
            chunk = b"".join(pending)
            summary.count += chunk.count(b"\n")
            yield chunk
        conn.rollback()
    summary.first_seq, summary.first_prev_hash = ends[0].seq, ends[0].prev_hash
    summary.last_seq, summary.last_hash = ends[-1].seq, ends[-1].hash
