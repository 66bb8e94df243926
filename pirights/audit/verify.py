"""Verification of the database's chain and of signed exports (SPEC §6)."""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.engine import Engine

from pirights.audit import standalone
from pirights.audit.chain import GENESIS, walk_rows
from pirights.audit.export import iter_batches
from pirights.audit.models import AuditHead
from pirights.audit.sequencer import HEAD_ID, pending_count


@dataclass(frozen=True)
class Verdict:
    """The outcome of a verification: events checked, and the first bad seq if any."""

    events: int
    first_bad_seq: int | None = None
    why: str = ""
    pending: int = 0  # events accepted but not yet sequenced (not part of the chain yet)

    @property
    def ok(self) -> bool:
        """True when nothing was wrong."""
        return self.first_bad_seq is None


def verify_database(engine: Engine, tick: Callable[[int], None] | None = None) -> Verdict:
    """Walk the stored chain up to the head read at the start (later appends are ignored).

    Beyond the hashes: seq must start at 1, and the head row must name the last event,
    so a deleted first or last event is caught as well as one in the middle. Events still
    waiting for the sequencer are counted, not sequenced: this only reads (a replica too).
    """
    with engine.connect() as conn:
        head = conn.execute(
            select(AuditHead.seq, AuditHead.hash).where(AuditHead.id == HEAD_ID)
        ).one_or_none()
        pending = pending_count(conn)
    head_seq, head_hash = (head.seq, head.hash) if head is not None else (0, GENESIS)
    # closed at once, so a cursor left open by an early verdict does not hold its snapshot
    with closing(iter_batches(engine, 1, head_seq, cursor=True)) as batches:
        walk = walk_rows(itertools.chain.from_iterable(batches), tick=tick)
    count, bad = walk.count, walk.bad
    if walk.first_seq is not None and walk.first_seq != 1:
        return Verdict(count, 1, "the chain does not start at seq 1", pending)
    if bad is not None:
        return Verdict(count, bad, "hash chain broken", pending)
    last_seq = walk.last_seq or 0
    last_hash = walk.last_hash or GENESIS
    if last_seq != head_seq:
        return Verdict(
            count, min(last_seq, head_seq) + 1, "events missing before the head", pending
        )
    if last_hash != head_hash:
        return Verdict(count, max(last_seq, 1), "the head does not match the last event", pending)
    return Verdict(count, pending=pending)


def verify_file(path: Path, tick: Callable[[int], None] | None = None) -> Verdict:
    """Verify an export file (JSONL or CSV, detected) on its own."""
    count, bad, _walk, why = standalone.verify_file(path, tick)
    return Verdict(count, bad, why)


def verify_signed_file(
    path: Path,
    manifest_path: Path,
    public_key_pem: bytes,
    tick: Callable[[int], None] | None = None,
) -> Verdict:
    """Check the manifest's signature, the file's hash, and the chain, all together.

    Raises ValueError for a key or manifest that cannot be read; a mismatch is a Verdict
    whose first_bad_seq is the file's (or its first seq, when only the manifest disagrees).
    """
    from pirights.audit.signing import load_public_key, signature_valid

    public = load_public_key(public_key_pem)
    try:
        document = json.loads(manifest_path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ValueError(f"cannot read the manifest {manifest_path}: {exc}") from None
    if not isinstance(document, dict) or not isinstance(document.get("manifest"), dict):
        raise ValueError(f"{manifest_path} is not a signed manifest")
    count, bad, walk, why = standalone.verify_file(path, tick)
    if bad is not None:
        return Verdict(count, bad, why)
    first = walk.first["seq"] if walk.first else 0
    if not signature_valid(document, public):
        return Verdict(count, first, "the manifest's signature is not valid for this key")
    manifest = document["manifest"]
    problems = standalone.manifest_mismatches(manifest, path, count, walk)
    if manifest.get("format") != standalone.detect_format(path):
        problems.append("the file's format differs from the manifest")
    if walk.first is not None and manifest.get("first_prev_hash") != walk.first["prev_hash"]:
        problems.append("the first prev_hash differs from the manifest")
    if problems:
        return Verdict(count, first, "; ".join(problems))
    return Verdict(count)
