"""Readiness and migrations. Runs against SQLite by default; set TEST_DATABASE_URL to a
PostgreSQL URL (CI does, with a postgres service) to run the same tests against PostgreSQL."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic import command
from alembic.config import Config
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, inspect

from app.db import Database, sqlalchemy_url
from app.main import create_app
from tests.conftest import make_settings

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def database_url(tmp_path: Path) -> str:
    return os.environ.get("TEST_DATABASE_URL") or f"sqlite:///{tmp_path / 'test.db'}"


@pytest.fixture
def migrated(database_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    monkeypatch.setenv("DATABASE_URL", database_url)
    cfg = Config(str(ROOT / "alembic.ini"))
    command.upgrade(cfg, "head")
    yield database_url
    command.downgrade(cfg, "base")


def test_sqlalchemy_url_uses_psycopg_for_libpq_urls() -> None:
    assert sqlalchemy_url("postgresql://u:p@h:5432/d") == "postgresql+psycopg://u:p@h:5432/d"
    assert sqlalchemy_url("postgres://u:p@h/d") == "postgresql+psycopg://u:p@h/d"
    assert sqlalchemy_url("sqlite:///x.db") == "sqlite:///x.db"


def test_ready_when_the_database_answers(database_url: str) -> None:
    with TestClient(create_app(make_settings(database_url=database_url))) as client:
        res = client.get("/ready")
    assert res.status_code == 200
    assert res.json()["checks"] == {"database": "ok"}


def test_not_ready_when_the_database_is_unreachable() -> None:
    # a closed local port: fails fast, and the reason never contains the credentials
    url = "postgresql://user:secret@127.0.0.1:9/db"
    with TestClient(create_app(make_settings(database_url=url))) as client:
        res = client.get("/ready")
        assert client.get("/health").status_code == 200  # liveness does not depend on it
    assert res.status_code == 503
    assert res.json()["status"] == "unavailable"
    assert "secret" not in res.text


def test_not_ready_without_database_url(client: TestClient) -> None:
    res = client.get("/ready")
    assert res.status_code == 503
    assert Database(None).check() == "DATABASE_URL is not set"


def test_migrations_upgrade_and_downgrade(migrated: str) -> None:
    engine = create_engine(sqlalchemy_url(migrated))
    try:
        tables = set(inspect(engine).get_table_names())
    finally:
        engine.dispose()
    assert {"items", "alembic_version"} <= tables
