"""Migrations own the schema: upgrade from empty, downgrade to base, and agree with the models."""
from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, inspect

from wellbeing.core.db import db


def _tables(url: str) -> set[str]:
    engine = create_engine(url)
    try:
        return set(inspect(engine).get_table_names())
    finally:
        engine.dispose()


def test_upgrade_from_empty_to_head_and_back_to_base(flask_cli, fresh_database_url):
    flask_cli("db", "upgrade")
    expected = {t.name for t in db.metadata.sorted_tables}
    assert expected <= _tables(fresh_database_url)
    flask_cli("db", "downgrade", "base")
    assert _tables(fresh_database_url) <= {"alembic_version"}
    flask_cli("db", "upgrade")
    assert expected <= _tables(fresh_database_url)


def test_models_and_migrations_agree(app):
    with app.app_context():
        with db.engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True, "render_as_batch": True})
            diff = compare_metadata(context, db.metadata)
    assert diff == []


def test_single_migration_head(flask_cli):
    heads = flask_cli("db", "heads").stdout.strip().splitlines()
    assert len(heads) == 1, heads
