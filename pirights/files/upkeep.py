"""Keeping the store right: key rotation of file contents and the orphan sweep (SPEC §8.2,
§12.3). Both work in batches, stream every file (one segment in memory at a time), and
can be stopped and run again: what a run finished it does not redo.

Rotation writes each stale file again, sealed under the current key, to a new temporary
key; one unit of work then points the batch's rows at the new objects and records
`keys.rotated`; only then are the new objects published and the old ones deleted. A run
stopped anywhere leaves every row pointing at an object that opens: at worst objects no
row names, which the sweep removes.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select

from pirights.audit import actions
from pirights.audit.recorder import record
from pirights.crypto import cipher
from pirights.extensions import db
from pirights.files import sealing
from pirights.files.models import File
from pirights.files.service import open_blob, store
from pirights.files.storage import BLOBS, TMP, Store

BATCH = 100
ORPHAN_AGE = timedelta(days=1)


class Corrupt(ValueError):
    """A stored file whose content no longer matches its SHA-256."""


def _stale(current: str):
    """SQL for: a file with content, sealed under another key."""
    return File.blob.is_not(None) & ((File.key_id != current) | File.key_id.is_(None))


def count_stale() -> int:
    """Files still sealed under an old key (for progress)."""
    current = cipher().current_key_id.hex()
    return db.session.scalar(select(func.count()).select_from(File).where(_stale(current))) or 0


def _checked(chunks: Iterator[bytes], row: File) -> Iterator[bytes]:
    """Pass the plaintext through, insisting it still hashes to the row's SHA-256."""
    digest = hashlib.sha256()
    for chunk in chunks:
        digest.update(chunk)
        yield chunk
    if digest.hexdigest() != row.sha256:
        raise Corrupt(f"file {row.id}: its content does not match its SHA-256")


def _reseal(st: Store, row: File) -> str:
    """A copy of the file sealed under the current key, at a new temporary key."""
    c = cipher()
    tmp = TMP + uuid.uuid4().hex
    plain = sealing.unseal(c, open_blob(st, row))
    st.put(tmp, sealing.seal(c, _checked(plain, row)))
    return tmp


def _rotate_batch(after: int, batch: int, current: str) -> tuple[list[int], int]:
    """Re-seal the next batch; returns (ids seen, files rotated)."""
    st = store()
    with db.unit_of_work() as s:
        rows = list(
            s.scalars(
                select(File).where(_stale(current), File.id > after).order_by(File.id).limit(batch)
            )
        )
    if not rows:
        return [], 0
    staged: dict[int, tuple[str, str]] = {}  # id -> (old blob, new temporary key)
    try:
        for row in rows:
            staged[row.id] = (row.blob or "", _reseal(st, row))
        with db.unit_of_work() as s:
            locked = s.scalars(
                select(File)
                .where(File.id.in_(list(staged)))
                .with_for_update()
                .execution_options(populate_existing=True)
            ).all()
            done = []
            for row in locked:
                old, tmp = staged[row.id]
                if row.blob != old:  # purged or rotated meanwhile: keep what is there
                    continue
                row.blob, row.key_id = BLOBS + tmp.removeprefix(TMP), current
                done.append(row.id)
            if done:
                record(
                    s,
                    actor="system",
                    action=actions.KEYS_ROTATED,
                    data={"table": File.__tablename__, "rows": len(done), "key_id": current},
                )
    except BaseException:
        for _old, tmp in staged.values():
            st.delete(tmp)
        raise
    for file_id, (old, tmp) in staged.items():
        if file_id in done:
            st.move(tmp, BLOBS + tmp.removeprefix(TMP))
            st.delete(old)
        else:
            st.delete(tmp)
    return [r.id for r in rows], len(done)


def rotate(*, batch: int = BATCH, progress: Callable[[int], None] | None = None) -> int:
    """Re-seal every file sealed under an old key; returns how many were rotated."""
    current = cipher().current_key_id.hex()
    after, total = 0, 0
    while True:
        ids, rotated = _rotate_batch(after, batch, current)
        if not ids:
            return total
        after, total = ids[-1], total + rotated
        if progress is not None:
            progress(len(ids))


# --- the orphan sweep ----------------------------------------------------------------


@dataclass
class SweepResult:
    """What a sweep did."""

    checked: int = 0
    removed: int = 0
    published: int = 0


def _named(keys: list[str]) -> set[str]:
    """Which of these final keys a row names."""
    if not keys:
        return set()
    with db.unit_of_work() as s:
        return set(s.scalars(select(File.blob).where(File.blob.in_(keys))))


def _batches(items: Iterator[tuple[str, datetime]], size: int) -> Iterator[list[str]]:
    """Keys in lists of `size`."""
    batch: list[str] = []
    for key, _at in items:
        batch.append(key)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def sweep(
    now: datetime,
    *,
    age: timedelta = ORPHAN_AGE,
    batch: int = 500,
    progress: Callable[[int], None] | None = None,
) -> SweepResult:
    """Remove objects no row names that are older than `age` (failed or interrupted
    uploads, rotations and purges); publish the temporary objects whose row committed
    but whose move was interrupted. Objects younger than `age` may belong to an upload
    in progress and are left alone."""
    st = store()
    limit = now - age
    result = SweepResult()
    for prefix in (TMP, BLOBS):
        old = ((k, at) for k, at in st.list(prefix) if at < limit)
        for keys in _batches(old, batch):
            finals = [BLOBS + k.removeprefix(prefix) for k in keys]
            named = _named(finals)
            for key, final in zip(keys, finals, strict=True):
                if final not in named:
                    st.delete(key)
                    result.removed += 1
                elif prefix == TMP:
                    st.move(key, final)
                    result.published += 1
            result.checked += len(keys)
            if progress is not None:
                progress(len(keys))
    if result.removed or result.published:
        with db.unit_of_work() as s:
            record(
                s,
                actor="system",
                action=actions.FILES_SWEPT,
                data={"removed": result.removed, "published": result.published},
            )
    return result
