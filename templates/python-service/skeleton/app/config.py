"""Settings from the environment (12-factor). No secrets have defaults."""

from __future__ import annotations

import os
from dataclasses import dataclass


@dataclass(frozen=True)
class Settings:
    service_name: str
    environment: str
    version: str
    log_level: str
    latency_threshold_seconds: float
    database_url: str | None

    @classmethod
    def from_env(cls) -> Settings:
        return cls(
            service_name=os.environ.get("SERVICE_NAME", "${{ values.name }}"),
            environment=os.environ.get("APP_ENV", "development"),
            version=os.environ.get("APP_VERSION", "dev"),
            log_level=os.environ.get("LOG_LEVEL", "info"),
            latency_threshold_seconds=float(os.environ.get("SLO_LATENCY_THRESHOLD_SECONDS", "${{ values.latencyThresholdMs / 1000 }}")),
            database_url=os.environ.get("DATABASE_URL") or None,
        )
