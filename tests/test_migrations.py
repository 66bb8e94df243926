"""Models and migrations agree, and migrations go both ways, on either database."""

from __future__ import annotations

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, inspect

import pirights.models  # noqa: F401
from pirights.cli import alembic_config
from pirights.database import Base, normalise_url


def _diff(url: str) -> list:
    """What autogenerate would change to bring the database to the models."""
    engine = create_engine(normalise_url(url))
    with engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"compare_type": True})
        diff = compare_metadata(ctx, Base.metadata)
    engine.dispose()
    return diff


def test_models_and_migrations_agree(database_url):
    assert _diff(database_url) == []


def test_upgrade_downgrade_upgrade(database_url):
    cfg = alembic_config(database_url)
    command.downgrade(cfg, "base")
    engine = create_engine(normalise_url(database_url))
    assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    engine.dispose()
    command.upgrade(cfg, "head")
    assert _diff(database_url) == []
    engine = create_engine(normalise_url(database_url))
    assert {"requests", "audit_events", "audit_head", "staff"} <= set(
        inspect(engine).get_table_names()
    )
    engine.dispose()
