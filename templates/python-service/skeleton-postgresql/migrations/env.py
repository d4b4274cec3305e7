"""Alembic environment: online migrations against DATABASE_URL, one transaction, with a
PostgreSQL advisory lock so that two concurrent runs cannot interleave."""

from __future__ import annotations

import os

from alembic import context
from sqlalchemy import create_engine, pool, text

from app.db import sqlalchemy_url

config = context.config
target_metadata = None  # migrations are written by hand; see versions/

LOCK_ID = 0x5E55  # any constant shared by all runs of this service


def run_migrations_online() -> None:
    url = config.get_main_option("sqlalchemy.url") or os.environ.get("DATABASE_URL")
    if not url:
        raise SystemExit("DATABASE_URL is not set")
    engine = create_engine(sqlalchemy_url(url), poolclass=pool.NullPool)
    with engine.connect() as connection:
        is_postgres = connection.dialect.name == "postgresql"
        if is_postgres:
            connection.execute(text("SELECT pg_advisory_lock(:id)"), {"id": LOCK_ID})
            connection.commit()
        try:
            context.configure(connection=connection, target_metadata=target_metadata, transaction_per_migration=False)
            with context.begin_transaction():
                context.run_migrations()
        finally:
            if is_postgres:
                connection.execute(text("SELECT pg_advisory_unlock(:id)"), {"id": LOCK_ID})
                connection.commit()


if context.is_offline_mode():
    raise SystemExit("offline (SQL script) mode is not used; run `alembic upgrade head` against the database")
run_migrations_online()
