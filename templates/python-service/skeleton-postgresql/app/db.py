"""PostgreSQL access. DATABASE_URL is a libpq URL (postgresql://user:pass@host:5432/db),
the same value pg_dump uses in the backup job; SQLAlchemy gets the psycopg 3 driver."""

from __future__ import annotations

import threading

from sqlalchemy import Engine, create_engine, text


def sqlalchemy_url(url: str) -> str:
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


class Database:
    def __init__(self, url: str | None, connect_timeout: int = 3) -> None:
        self.url = url
        self.connect_timeout = connect_timeout
        self._engine: Engine | None = None
        self._lock = threading.Lock()

    @property
    def engine(self) -> Engine:
        if self.url is None:
            raise RuntimeError("DATABASE_URL is not set")
        with self._lock:
            if self._engine is None:
                url = sqlalchemy_url(self.url)
                connect_args = {"connect_timeout": self.connect_timeout} if url.startswith("postgresql") else {}
                self._engine = create_engine(
                    url, pool_pre_ping=True, pool_size=5, max_overflow=5, connect_args=connect_args
                )
            return self._engine

    def check(self) -> str | None:
        """None when the database answers, otherwise a short reason (no credentials)."""
        if self.url is None:
            return "DATABASE_URL is not set"
        try:
            with self.engine.connect() as conn:
                conn.execute(text("SELECT 1"))
            return None
        except Exception as exc:  # noqa: BLE001 - readiness reports any failure
            return type(exc).__name__

    def close(self) -> None:
        if self._engine is not None:
            self._engine.dispose()
            self._engine = None
