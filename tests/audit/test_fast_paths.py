"""The fast verification and export paths agree with the reference ones (SPEC §6, §10).

The reference is the plain way: json.loads each line or row, canonicalise, hash. The fast
ways splice raw texts (verify) or quote a batch at once (export); on every file here,
valid or tampered, they must give the very same verdict: count, first bad seq and reason.
"""

from __future__ import annotations

import io
import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pirights.audit import chain, export, standalone
from pirights.audit.chain import GENESIS, canonical, event_hash

TEXT = st.text(st.characters(blacklist_categories=("Cs",)), max_size=12)
NASTY = st.one_of(TEXT, st.sampled_from(['a"b', "back\\slash", "tab\there", "日志", "\u2028", ""]))
JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | NASTY,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(NASTY, inner, max_size=3),
    max_leaves=8,
)
EVENT = st.tuples(
    st.one_of(st.just("2026-10-01T00:00:00.000000Z"), NASTY),
    NASTY,
    NASTY,
    st.one_of(st.none(), NASTY),
    st.dictionaries(NASTY, JSON_VALUES, max_size=4),
)


def stored_rows(events: list[tuple], start: int = 1, prev: str = GENESIS) -> list[tuple]:
    """Rows as the recorder stores them: (seq, at, actor, action, ref, data text, prev, hash)."""
    rows = []
    for seq, (at, actor, action, ref, data) in enumerate(events, start):
        payload = json.loads(canonical(data))
        event = {
            "seq": seq,
            "at": at,
            "actor": actor,
            "action": action,
            "request_ref": ref,
            "data": payload,
        }
        digest = event_hash(prev, event)
        rows.append((seq, at, actor, action, ref, canonical(payload), prev, digest))
        prev = digest
    return rows


def exported_lines(rows: list[tuple]) -> list[str]:
    """The JSONL lines our exporter writes for these rows."""
    text = b"".join(export.jsonl_chunks(iter([rows]))).decode("utf-8") if rows else ""
    return text.split("\n")[:-1]


def reference(text: str) -> tuple:
    """The reference verdict on a JSONL text."""
    count, bad, walk, why = standalone.verify_events(standalone.read_jsonl(io.StringIO(text)))
    ends = (walk.first and walk.first["seq"], walk.last and walk.last["seq"])
    return count, bad, why, ends if bad is None else None


def fast(text: str) -> tuple:
    """The fast verdict on the same text, read as bytes."""
    count, bad, ends, why = standalone.verify_jsonl(io.BytesIO(text.encode("utf-8")))
    got = (ends.first and ends.first["seq"], ends.last and ends.last["seq"])
    return count, bad, why, got if bad is None else None


@settings(max_examples=60, deadline=None)
@given(events=st.lists(EVENT, min_size=1, max_size=8), start=st.integers(1, 3))
def test_the_exporter_writes_the_compact_json_of_each_event(events, start):
    rows = stored_rows(events, start)
    expected = [
        json.dumps(export.row_event(row), ensure_ascii=False, separators=(",", ":")) for row in rows
    ]
    assert exported_lines(rows) == expected
    assert [export.jsonl_line(row) for row in rows] == expected


@settings(max_examples=60, deadline=None)
@given(events=st.lists(EVENT, min_size=1, max_size=8), start=st.integers(1, 3))
def test_fast_and_reference_verify_agree_on_valid_exports(events, start):
    prev = GENESIS if start == 1 else "ab" * 32
    text = "".join(line + "\n" for line in exported_lines(stored_rows(events, start, prev)))
    verdict = fast(text)
    assert verdict == reference(text)
    assert verdict[:2] == (len(events), None)


def _respaced(line: str) -> str:
    """The same event re-serialised with other spacing (still valid, not our layout)."""
    return json.dumps(json.loads(line), ensure_ascii=False, indent=None)


def _edit_data(line: str) -> str:
    """The event's data changed, re-serialised as our exporter would."""
    event = json.loads(line)
    event["data"]["tampered"] = True
    return json.dumps(event, ensure_ascii=False, separators=(",", ":"))


def _swap_fields(line: str) -> str:
    """actor and action exchanged, keeping the layout."""
    event = json.loads(line)
    event["actor"], event["action"] = event["action"], event["actor"] + "x"
    return json.dumps(event, ensure_ascii=False, separators=(",", ":"))


TAMPERING = ["respace", "edit_data", "swap_fields", "delete", "reorder", "duplicate"]
TAMPERING += ["blank", "garbage", "truncate", "crlf", "byte"]


def tamper(lines: list[str], index: int, kind: str, offset: int) -> list[str]:
    """One kind of damage (or harmless change) at line `index`."""
    lines = list(lines)
    line = lines[index]
    if kind == "respace":
        lines[index] = _respaced(line)
    elif kind == "edit_data":
        lines[index] = _edit_data(line)
    elif kind == "swap_fields":
        lines[index] = _swap_fields(line)
    elif kind == "delete":
        del lines[index]
    elif kind == "reorder" and index + 1 < len(lines):
        lines[index], lines[index + 1] = lines[index + 1], lines[index]
    elif kind == "duplicate":
        lines.insert(index, line)
    elif kind == "blank":
        lines.insert(index, "")
    elif kind == "garbage":
        lines[index] = "{not json"
    elif kind == "truncate":
        lines[index] = line[: offset % len(line)]
    elif kind == "crlf":
        lines[index] = line + "\r"
    elif kind == "byte":
        at = offset % len(line)
        lines[index] = line[:at] + ("0" if line[at] != "0" else "1") + line[at + 1 :]
    return lines


@settings(max_examples=150, deadline=None)
@given(
    events=st.lists(EVENT, min_size=1, max_size=6),
    data=st.data(),
    kind=st.sampled_from(TAMPERING),
)
def test_fast_and_reference_verify_agree_on_every_kind_of_tampering(events, data, kind):
    lines = exported_lines(stored_rows(events))
    index = data.draw(st.integers(0, len(lines) - 1))
    offset = data.draw(st.integers(0, 10_000))
    text = "".join(line + "\n" for line in tamper(lines, index, kind, offset))
    assert fast(text) == reference(text)


def test_a_respaced_line_still_verifies_through_the_reference_path():
    rows = stored_rows([("2026-10-01T00:00:00.000000Z", "a", "b", None, {"k": "v"})] * 3)
    lines = exported_lines(rows)
    lines[1] = _respaced(lines[1])
    assert lines[1] != exported_lines(rows)[1]
    seen = []

    def parse(line: str, number: int):
        """The reference parse, noting which lines needed it."""
        seen.append(number)
        return standalone.parse_jsonl_line(line, number)

    walk = chain.walk_jsonl(lines, parse)
    assert (walk.count, walk.bad) == (3, None)
    assert seen == [1, 2]  # the first line (no predecessor) and the respaced one


def _rows_reference(rows: list[tuple]) -> tuple:
    """The reference verdict on stored rows (parse data, canonicalise, hash)."""
    return chain.first_bad_seq(export.row_event(row) for row in rows)


@settings(max_examples=100, deadline=None)
@given(
    events=st.lists(EVENT, min_size=1, max_size=6),
    data=st.data(),
    kind=st.sampled_from(["none", "actor", "respace", "delete", "reorder", "hash", "at"]),
)
def test_fast_and_reference_database_walks_agree(events, data, kind):
    rows = stored_rows(events)
    index = data.draw(st.integers(0, len(rows) - 1))
    row = list(rows[index])
    if kind == "actor":
        row[2] += "x"
    elif kind == "respace":
        row[5] = json.dumps(json.loads(row[5]), ensure_ascii=False)
    elif kind == "hash":
        row[7] = "f" * 64
    elif kind == "at":
        row[1] = "2025" + row[1]
    rows[index] = tuple(row)
    if kind == "delete":
        del rows[index]
    elif kind == "reorder" and index + 1 < len(rows):
        rows[index], rows[index + 1] = rows[index + 1], rows[index]
    walk = chain.walk_rows(rows)
    assert (walk.count, walk.bad) == _rows_reference(rows)


def _big_export(count: int = 3000) -> list[str]:
    """The exported lines of `count` events."""
    event = ("2026-10-01T00:00:00.000000Z", "staff:α", "x.y", "PIR-1", {"n": 1})
    return exported_lines(stored_rows([event] * count))


def test_parallel_verification_agrees_and_defers_anything_odd(tmp_path):
    lines = _big_export()
    path = tmp_path / "audit.jsonl"
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    count, bad, ends, why = standalone.verify_jsonl_parallel(path, workers=2, piece=20_000)
    assert (count, bad, why) == (len(lines), None, "")
    assert ends.first == {"seq": 1, "prev_hash": GENESIS}
    assert ends.last["seq"] == len(lines)
    assert ends.last["hash"] == json.loads(lines[-1])["hash"]
    for kind in ("edit_data", "delete", "respace", "blank"):
        damaged = tamper(lines, 2000, kind, 0)
        path.write_text("".join(line + "\n" for line in damaged), encoding="utf-8")
        assert standalone.verify_jsonl_parallel(path, workers=2, piece=20_000) is None, kind
        text = path.read_text(encoding="utf-8")
        count, bad, _walk, why = standalone.verify_file(path)
        assert (count, bad, why) == reference(text)[:3], kind
    # A missing event is found whether it falls inside a piece or at a seam.
    del lines[1500]
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    assert standalone.verify_jsonl_parallel(path, workers=2, piece=20_000) is None
    count, bad, _walk, why = standalone.verify_file(path)
    assert (count, bad, why) == (1500, 1502, "hash chain broken")
    assert (count, bad, why) == reference(path.read_text(encoding="utf-8"))[:3]


@pytest.mark.postgres_only
@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(events=st.lists(EVENT, min_size=1, max_size=6))
def test_postgres_writes_the_same_jsonl_bytes_as_python(database_url, events):
    """The JSONL PostgreSQL builds for `COPY … TO STDOUT` (export.pg_jsonl) is byte for
    byte what jsonl_chunks writes, escapes included, and its summary is the same."""
    # PostgreSQL stores no NUL in text (the input guard refuses it at the edge); inside
    # `data` it is JSON-escaped, so only the plain columns are spared it.
    events = [
        tuple(v.replace("\x00", "") if isinstance(v, str) else v for v in event) for event in events
    ]
    from sqlalchemy import create_engine, func, insert, select

    from pirights.audit.models import AuditEvent
    from pirights.database import normalise_url

    engine = create_engine(normalise_url(database_url))
    with engine.begin() as conn:  # the table only grows: each example takes new seqs
        start = (conn.scalar(select(func.max(AuditEvent.seq))) or 0) + 1
        rows = stored_rows(events, start)
        conn.execute(
            insert(AuditEvent), [dict(zip(chain.STORED_COLUMNS, r, strict=True)) for r in rows]
        )
    window = export.Window(start, start + len(rows) - 1, len(rows))
    ours, theirs = export.Summary(), export.Summary()
    by_postgres = b"".join(ours.chunks(export.pg_jsonl(engine, window, ours)))
    by_python = b"".join(theirs.chunks(export.jsonl_chunks(theirs.batches(iter([rows])))))
    engine.dispose()
    assert by_postgres == by_python
    assert (ours.count, ours.first_seq, ours.last_seq, ours.sha256) == (
        theirs.count,
        theirs.first_seq,
        theirs.last_seq,
        theirs.sha256,
    )
    assert (ours.first_prev_hash, ours.last_hash) == (theirs.first_prev_hash, theirs.last_hash)
