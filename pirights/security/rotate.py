"""Key rotation (SPEC §8.2): re-encrypt every encrypted column under the current key.

Run with the new key as PIRIGHTS_ENCRYPTION_KEY and the old one(s) in
PIRIGHTS_ENCRYPTION_OLD_KEYS. Every Encrypted column of every table is found from the
metadata, so columns added later are rotated too. Rows already under the current key
are skipped (reading the key id from the raw bytes), which makes a run resumable. The
blind indexes are keyed from the encryption key, so they are recomputed as well.

Updates go through Core, not the ORM, so a rotation does not bump request versions (the
ETags staff hold stay valid). Each batch is one unit of work with its `keys.rotated`
audit event.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy import LargeBinary, Table, bindparam, func, select, type_coerce, update

from pirights.audit import actions
from pirights.audit.recorder import record
from pirights.crypto import Cipher, Encrypted, cipher
from pirights.database import Base
from pirights.extensions import db

BATCH = 500
# Blind indexes derived from encrypted columns: index column -> (source column, function).
BLIND_INDEXES = {
    "requests": {"email_index": "requester_email", "phone_index": "requester_phone"},
}


def encrypted_tables() -> dict[Table, list[str]]:
    """Every table with Encrypted columns, and those columns' names."""
    import pirights.models  # noqa: F401  (registers every table)

    found: dict[Table, list[str]] = {}
    for table in Base.metadata.sorted_tables:
        cols = [c.name for c in table.columns if isinstance(c.type, Encrypted)]
        if cols:
            found[table] = cols
    return found


def _index_functions() -> dict[str, Callable[[str], str]]:
    """The functions computing each blind index (imported late: they need the cipher)."""
    from pirights.requests.intake import email_key, phone_key

    return {"email_index": email_key, "phone_index": phone_key}


def key_id_hex(c: Cipher) -> str:
    """The current key's id, as audit data (names the key without revealing it)."""
    return c.current_key_id.hex()


@dataclass
class RotationResult:
    """Rows rewritten per table."""

    rows: dict[str, int] = field(default_factory=dict)
    batches: int = 0

    @property
    def total(self) -> int:
        """All rows rewritten."""
        return sum(self.rows.values())


def _stale(blob: bytes | None, current_id: bytes) -> bool:
    """True when a ciphertext was not made with the current key."""
    return blob is not None and bytes(blob[1:5]) != current_id


def count_rows() -> int:
    """Rows that hold encrypted data (for progress)."""
    return sum(
        db.session.scalar(select(func.count()).select_from(t)) or 0 for t in encrypted_tables()
    )


def _rotate_batch(
    table: Table, cols: list[str], after, batch: int, current_id: bytes
) -> tuple[int, object, int]:
    """Rewrite the next batch of one table; returns (rows seen, last key, rows rewritten)."""
    (pk,) = table.primary_key.columns
    raw = [type_coerce(table.c[c], LargeBinary).label(c) for c in cols]
    # Locked: a write that commits between this read and the UPDATE below would otherwise
    # be overwritten with the re-encrypted old value (a lost write).
    query = select(pk, *raw).order_by(pk).limit(batch).with_for_update()
    if after is not None:
        query = query.where(pk > after)
    indexes = BLIND_INDEXES.get(table.name, {})
    functions = _index_functions()
    with db.unit_of_work() as s:
        rows = s.execute(query).all()
        if not rows:
            return 0, after, 0
        params = []
        for row in rows:
            if not any(_stale(getattr(row, c), current_id) for c in cols):
                continue
            values = {
                c: None if getattr(row, c) is None else cipher().decrypt(bytes(getattr(row, c)))
                for c in cols
            }
            for index, source in indexes.items():
                plain = values.get(source)
                values[index] = functions[index](plain) if plain else None
            params.append(
                {"_pk": getattr(row, pk.name)} | {f"new_{k}": v for k, v in values.items()}
            )
        if params:
            targets = [*cols, *indexes]
            stmt = (
                update(table)
                .where(pk == bindparam("_pk"))
                .values({c: bindparam(f"new_{c}", type_=table.c[c].type) for c in targets})
            )
            s.connection().execute(stmt, params)
            record(
                s,
                actor="system",
                action=actions.KEYS_ROTATED,
                data={"table": table.name, "rows": len(params), "key_id": key_id_hex(cipher())},
            )
        return len(rows), getattr(rows[-1], pk.name), len(params)


def rotate(*, batch: int = BATCH, progress: Callable[[int], None] | None = None) -> RotationResult:
    """Re-encrypt every stale ciphertext under the current key, table by table."""
    current_id = cipher().current_key_id
    result = RotationResult()
    for table, cols in encrypted_tables().items():
        after = None
        result.rows[table.name] = 0
        while True:
            seen, after, rewritten = _rotate_batch(table, cols, after, batch, current_id)
            if not seen:
                break
            result.rows[table.name] += rewritten
            result.batches += 1 if rewritten else 0
            if progress is not None:
                progress(seen)
    return result
