"""Where a request's personal information lives: one registry, read from the table metadata.

A column holds PII when its type is `Encrypted` (SPEC §8.2: everything that holds a
requester's PII is encrypted) or when its `info` says `pii=True` (blind indexes and the
tracking-token hash: not encrypted, but derived from the person's data). A table's PII
belongs to a request when the table is `requests` or reaches it through foreign keys, so a
table added later is covered the day it is declared. `pirights purge` erases what this
registry lists; `tests/security/test_purge.py` fails when an Encrypted column belongs to no
request, so a new kind of PII cannot be left out silently.

Markers in `info` say what erasing means where the default (NULL, or "" for a NOT NULL
column) is not right:
- table `purge="delete"`: the rows go (they have no skeleton worth keeping);
- column `erased=VALUE`: the sentinel of a NOT NULL column (e.g. "[]" for a JSON list);
- column `pii=False`: encrypted, but a secret of the provider's rather than PII;
- column `retained_while_null=NAME`: kept while column NAME is NULL (an active blocklist
  entry's terms keep protecting the person after the request itself is purged).
What is not a column (files, §12.3) registers an eraser in `requests.hooks.pii_erasers`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache

from sqlalchemy import Column, ColumnElement, Table, or_, select

from pirights.crypto import Encrypted
from pirights.database import Base

ROOT = "requests"


def is_pii(column: Column) -> bool:
    """True for a column that holds, or is derived from, a person's data.

    `info={"pii": False}` exempts an encrypted column that holds the provider's own secret
    (a fulfilment system's signing secret), not anyone's personal information.
    """
    marked = column.info.get("pii")
    if marked is not None:
        return bool(marked)
    return isinstance(column.type, Encrypted)


# Rows of a table that belong to the given request ids, as a SQL condition.
Scope = Callable[[Sequence[int]], ColumnElement[bool]]


@dataclass(frozen=True)
class Holder:
    """A table holding PII of requests, and how to erase it."""

    table: Table
    scope: Scope
    columns: tuple[Column, ...]
    delete_rows: bool

    def erased(self, column: Column):
        """The value that replaces `column`'s content."""
        return None if column.nullable else column.info.get("erased", "")


def _scopes() -> dict[Table, Scope]:
    """Every table tied to `requests` by foreign keys, with how to select a request's rows."""
    import pirights.models  # noqa: F401  (registers every table)

    root = Base.metadata.tables[ROOT]
    scopes: dict[Table, Scope] = {root: lambda ids: root.c.id.in_(ids)}
    # sorted_tables lists parents before children, so one pass reaches every depth.
    for table in Base.metadata.sorted_tables:
        if table in scopes:
            continue
        links = [fk for fk in table.foreign_keys if fk.column.table in scopes]
        if links:
            scopes[table] = _via(links, scopes)
    return scopes


def _via(links, scopes: dict[Table, Scope]) -> Scope:
    """Rows whose foreign key points at a row of the request (directly or not)."""

    def scope(ids: Sequence[int]) -> ColumnElement[bool]:
        return or_(
            *(
                fk.parent.in_(ids)
                if fk.column.table.name == ROOT
                else fk.parent.in_(select(fk.column).where(scopes[fk.column.table](ids)))
                for fk in links
            )
        )

    return scope


@cache
def holders() -> tuple[Holder, ...]:
    """Every table with a request's PII, parents first."""
    found = []
    for table, scope in _scopes().items():
        columns = tuple(c for c in table.columns if is_pii(c))
        delete_rows = table.info.get("purge") == "delete"
        if columns or delete_rows:
            found.append(Holder(table, scope, columns, delete_rows))
    return tuple(found)


def unowned() -> list[Column]:
    """PII columns of tables tied to no request: purge cannot reach them (want none)."""
    tied = _scopes()
    return [c for t in Base.metadata.sorted_tables if t not in tied for c in t.columns if is_pii(c)]


def presence_markers() -> list[Column]:
    """Columns of `requests` that an unpurged request has set and a purged one has not."""
    root = Base.metadata.tables[ROOT]
    return [c for c in root.columns if c.info.get("pii") and c.nullable]
