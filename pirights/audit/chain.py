"""The audit hash chain of SPEC §6, using only Python's standard library.

hash = sha256_hex(prev_hash + "\\n" + C), C = UTF-8 JSON of
{seq, at, actor, action, request_ref, data} with sorted keys, separators "," and ":",
non-ASCII kept. Kept free of any pirights import so that it can be copied and run alone.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
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
