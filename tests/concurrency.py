"""Helpers for tests of concurrent writers: hold a row's lock as another writer would.

A test holds a row's lock in a second transaction of its own, starts an API call in a
thread, lets the call reach the lock and then commits the other transaction. On PostgreSQL
the call waits in SELECT ... FOR UPDATE; SQLite serialises whole transactions (BEGIN
IMMEDIATE), so the call waits there instead.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import text


def engine_of(app):
    """The application's engine (SQLite's begins every transaction IMMEDIATE)."""
    return app.extensions["pirights_db"].engine


def _wait_until_blocked(engine, future, seconds: float = 20) -> None:
    """Return once the call in `future` waits for a lock; fail if it finished instead."""
    if engine.dialect.name != "postgresql":
        time.sleep(0.5)  # SQLite has no lock table to look at; the call waits in BEGIN
    else:
        deadline = time.monotonic() + seconds
        with engine.connect() as conn:
            while time.monotonic() < deadline and not future.done():
                # This database only: other databases on the server have their own waiters.
                waiting = conn.execute(
                    text(
                        "SELECT count(*) FROM pg_stat_activity "
                        "WHERE datname = current_database() AND wait_event_type = 'Lock'"
                    )
                ).scalar_one()
                conn.rollback()  # a fresh snapshot of the statistics each time
                if waiting:
                    break
                time.sleep(0.02)
    assert not future.done(), f"the call did not wait for the lock: {future.result()}"


def while_held(app, statement: str, params: dict, call: Callable[[], object]):
    """Run `call` while another transaction that ran `statement` holds its locks.

    That transaction commits once the call waits; returns what the call returned.
    """
    engine = engine_of(app)
    with engine.connect() as conn, ThreadPoolExecutor(1) as pool:
        trans = conn.begin()
        conn.execute(text(statement), params)
        future = pool.submit(call)
        try:
            _wait_until_blocked(engine, future)
        finally:
            trans.commit()
        return future.result(timeout=60)


def count(app, sql: str, **params) -> int:
    """One number from the database."""
    with engine_of(app).connect() as conn:
        return conn.execute(text(sql), params).scalar_one()
