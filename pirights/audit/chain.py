"""The audit hash chain of SPEC §6, using only Python's standard library.

hash = sha256_hex(prev_hash + "\\n" + C), C = UTF-8 JSON of
{seq, at, actor, action, request_ref, data} with sorted keys, separators "," and ":",
non-ASCII kept. Kept free of any pirights import so that it can be copied and run alone.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

GENESIS = "0" * 64
HASHED_FIELDS = ("seq", "at", "actor", "action", "request_ref", "data")


def canonical(value: Any) -> str:
    """The canonical JSON text used inside the hash."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def event_hash(prev_hash: str, event: Mapping[str, Any]) -> str:
    """The hash of one event given its predecessor's hash."""
    body = canonical({k: event[k] for k in HASHED_FIELDS})
    return hashlib.sha256((prev_hash + "\n" + body).encode("utf-8")).hexdigest()


def hash_parts(
    prev_hash: str,
    seq: int,
    at: str,
    actor: str,
    action: str,
    request_ref: str | None,
    data_text: str,
) -> str:
    """event_hash for an event whose `data` is already canonical JSON text.

    Builds C by concatenation in sorted-key order with json's own string encoder, which
    gives exactly the bytes of canonical() without serialising `data` again.
    """
    enc = _string
    ref = "null" if request_ref is None else enc(request_ref)
    return _sha256(
        f'{prev_hash}\n{{"action":{enc(action)},"actor":{enc(actor)},"at":{enc(at)},'
        f'"data":{data_text},"request_ref":{ref},"seq":{seq}}}'.encode()
    ).hexdigest()


STORED_COLUMNS = ("seq", "at", "actor", "action", "request_ref", "data", "prev_hash", "hash")


def stored_event(row: Sequence[Any]) -> dict[str, Any]:
    """A stored or CSV row in STORED_COLUMNS order as an event; `data` is JSON text."""
    event = dict(zip(STORED_COLUMNS, row, strict=True))
    event["data"] = json.loads(event["data"])
    return event


def first_bad_seq(events: Iterable[Mapping[str, Any]]) -> tuple[int, int | None]:
    """Walk events in order; return (count checked, first bad seq or None).

    The first event's prev_hash is taken as given, so a window export verifies alone;
    after it each seq must follow the last and each prev_hash must equal the last hash.
    """
    count = 0
    prev: Mapping[str, Any] | None = None
    for event in events:
        if prev is not None and (
            event["seq"] != prev["seq"] + 1 or event["prev_hash"] != prev["hash"]
        ):
            return count, event["seq"]
        if prev is None and event["seq"] == 1 and event["prev_hash"] != GENESIS:
            return count, event["seq"]
        if event_hash(event["prev_hash"], event) != event["hash"]:
            return count, event["seq"]
        count += 1
        prev = event
    return count, None


class ChainWalk:
    """A walk along the chain: events accepted, the first bad seq, and the endpoints.

    `first_*` describe the first event met (good or not, as the database check needs);
    `last_*` the last event accepted, to which the next one must link.
    """

    __slots__ = ("bad", "count", "first_prev_hash", "first_seq", "last_hash", "last_seq")

    def __init__(self) -> None:
        self.count = 0
        self.bad: int | None = None
        self.first_seq: int | None = None
        self.first_prev_hash: str | None = None
        self.last_seq: int | None = None
        self.last_hash: str | None = None

    def step(self, event: Mapping[str, Any]) -> bool:
        """Check one parsed event the reference way (as first_bad_seq does); False if bad."""
        seq = event["seq"]
        if self.first_seq is None:
            self.first_seq, self.first_prev_hash = seq, event["prev_hash"]
        if self.last_hash is not None:
            if seq != self.last_seq + 1 or event["prev_hash"] != self.last_hash:  # type: ignore[operator]
                self.bad = seq
                return False
        elif seq == 1 and event["prev_hash"] != GENESIS:
            self.bad = seq
            return False
        if event_hash(event["prev_hash"], event) != event["hash"]:
            self.bad = seq
            return False
        self.count += 1
        self.last_seq, self.last_hash = seq, event["hash"]
        return True


_string = json.encoder.encode_basestring  # type: ignore[attr-defined]
_sha256 = hashlib.sha256
# ,"prev_hash":"<64>","hash":"<64>"} closes every line our exporter writes
_TAIL = len(',"prev_hash":"') + 64 + len('","hash":"') + 64 + len('"}')


def walk_rows(
    rows: Iterable[Sequence[Any]],
    walk: ChainWalk | None = None,
    tick: Callable[[int], None] | None = None,
) -> ChainWalk:
    """Walk stored rows (seq, at, actor, action, request_ref, data, prev_hash, hash).

    `at` and `data` are stored as the exact text that was hashed, so C is rebuilt by
    concatenation and the strings encoded with json's C encoder, with no json.loads.
    A row that does not check out that way is checked again the reference way (parse,
    canonicalise), so the verdict is the reference one.
    """
    walk = walk if walk is not None else ChainWalk()
    last_seq, last_hash = walk.last_seq, walk.last_hash
    count = walk.count
    for row in rows:
        seq, at, actor, action, ref, data, prev, digest = row
        if (
            last_hash is not None
            and prev == last_hash
            and seq == last_seq + 1  # type: ignore[operator]
            and hash_parts(prev, seq, at, actor, action, ref, data) == digest
        ):
            last_seq, last_hash = seq, digest
            count += 1
            if tick is not None and not count % 10_000:
                tick(count)
            continue
        walk.count, walk.last_seq, walk.last_hash = count, last_seq, last_hash
        if not walk.step(stored_event(row)):
            return walk
        count, last_seq, last_hash = walk.count, walk.last_seq, walk.last_hash
    walk.count, walk.last_seq, walk.last_hash = count, last_seq, last_hash
    return walk


def walk_jsonl(
    lines: Iterable[str],
    parse: Callable[[str, int], Mapping[str, Any] | None],
    walk: ChainWalk | None = None,
    number: int = 0,
) -> ChainWalk:
    """Walk the lines of a JSONL export (without their line ends), numbered from number+1.

    A line laid out as our exporter writes it is checked without parsing: the raw JSON
    texts of the hashed fields are cut out and spliced into C in sorted-key order, and
    hashed. Cutting at the next `","actor":"` etc. is sound for valid JSON, since inside
    a JSON string every quote is escaped; for anything else the spliced text is not what
    was hashed, so the hash differs. Any line that does not check out that way goes to
    `parse(line, number)` (None for a blank line; may raise) and is checked the reference
    way, so a faithful export gets the reference verdict, first bad seq included.
    """
    walk = walk if walk is not None else ChainWalk()
    sha, tail = _sha256, _TAIL
    last_seq, last_hash = walk.last_seq, walk.last_hash
    count = walk.count
    middle = None if last_hash is None else f',"prev_hash":"{last_hash}","hash":"'
    for line in lines:
        number += 1
        if middle is not None:
            seq = last_seq + 1  # type: ignore[operator]
            head = f'{{"seq":{seq},"at":"'
            if line.startswith(head) and line[-tail:-66] == middle and line[-2:] == '"}':
                p = len(head)
                e1 = line.find('","actor":"', p)
                e2 = line.find('","action":"', e1)
                e3 = line.find('","request_ref":', e2)
                e4 = line.find(',"data":{', e3)
                digest = line[-66:-2]
                text = (
                    f'{last_hash}\n{{"action":{line[e2 + 11 : e3 + 1]},'
                    f'"actor":{line[e1 + 10 : e2 + 1]},"at":{line[p - 1 : e1 + 1]},'
                    f'"data":{line[e4 + 8 : -tail]},"request_ref":{line[e3 + 16 : e4]},'
                    f'"seq":{seq}}}'
                )
                if e1 > 0 and sha(text.encode()).hexdigest() == digest:
                    last_seq, last_hash = seq, digest
                    middle = f',"prev_hash":"{digest}","hash":"'
                    count += 1
                    continue
        walk.count, walk.last_seq, walk.last_hash = count, last_seq, last_hash
        event = parse(line, number)
        if event is None:
            continue
        if not walk.step(event):
            return walk
        count, last_seq, last_hash = walk.count, walk.last_seq, walk.last_hash
        middle = f',"prev_hash":"{last_hash}","hash":"'
    walk.count, walk.last_seq, walk.last_hash = count, last_seq, last_hash
    return walk
