"""Alembic environment: the models' metadata and the URL `pirights db` passes in."""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine, pool

import pirights.models  # noqa: F401  (registers every table on Base.metadata)
from pirights.database import Base, normalise_url, private_sqlite_file

config = context.config
target_metadata = Base.metadata


def _url() -> str:
    """The URL set by `pirights db`, else the configured one."""
    url = config.get_main_option("sqlalchemy.url")
    if url:
        return url
    from pirights import create_app

    return create_app().config["SQLALCHEMY_URL"]


def run_migrations_offline() -> None:
    """Emit SQL without a connection (`alembic upgrade --sql`)."""
    context.configure(
        url=normalise_url(_url()),
        target_metadata=target_metadata,
        literal_binds=True,
        render_as_batch=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    """Apply migrations over a connection; batch mode lets SQLite alter tables."""
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    url = normalise_url(_url())
    private_sqlite_file(url)  # `pirights db upgrade` creates the file: owner-only from the start
    engine = create_engine(url, poolclass=pool.NullPool)
    with engine.begin() as conn:
        _run(conn)
    engine.dispose()


def _run(connection) -> None:
    """Configure the context on a connection and run."""
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=True,
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
