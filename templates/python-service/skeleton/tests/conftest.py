from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from app.config import Settings
from app.main import create_app


def make_settings(**overrides: object) -> Settings:
    base = {
        "service_name": "${{ values.name }}",
        "environment": "test",
        "version": "test",
        "log_level": "info",
        "latency_threshold_seconds": ${{ values.latencyThresholdMs / 1000 }},
        "database_url": None,
    }
    base.update(overrides)
    return Settings(**base)  # type: ignore[arg-type]


@pytest.fixture
def client() -> Iterator[TestClient]:
    with TestClient(create_app(make_settings())) as c:
        yield c
