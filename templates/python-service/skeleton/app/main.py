"""HTTP entry point: FastAPI app with liveness, readiness and metrics endpoints."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, Response
from fastapi.responses import JSONResponse
{%- if values.hasDatabase %}
from starlette.concurrency import run_in_threadpool
{%- endif %}

from app.config import Settings
{%- if values.hasDatabase %}
from app.db import Database
{%- endif %}
from app.logging import configure_logging
from app.metrics import MetricsMiddleware, render_metrics

log = logging.getLogger("app")


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings.from_env()
    configure_logging(settings.log_level, settings.service_name)
{%- if values.hasDatabase %}
    database = Database(settings.database_url)
{%- endif %}

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        log.info("started", extra={"version": settings.version, "environment": settings.environment})
        yield
{%- if values.hasDatabase %}
        database.close()
{%- endif %}
        log.info("stopped")

    app = FastAPI(title=settings.service_name, version=settings.version, lifespan=lifespan)
    app.add_middleware(MetricsMiddleware)

    @app.get("/health", include_in_schema=False)
    def health() -> dict[str, str]:
        # liveness: the process answers. Never check dependencies here, or a database
        # outage restarts every pod.
        return {"status": "ok"}

    @app.get("/ready", include_in_schema=False)
    async def ready() -> JSONResponse:
{%- if values.hasDatabase %}
        error = await run_in_threadpool(database.check)
        if error:
            log.warning("not ready", extra={"check": "database", "error": error})
            return JSONResponse({"status": "unavailable", "checks": {"database": error}}, status_code=503)
        return JSONResponse({"status": "ready", "checks": {"database": "ok"}})
{%- else %}
        return JSONResponse({"status": "ready", "checks": {}})
{%- endif %}

    @app.get("/metrics", include_in_schema=False)
    def metrics() -> Response:
        body, content_type = render_metrics()
        return Response(content=body, media_type=content_type)

    @app.get("/")
    def index() -> dict[str, str]:
        return {"service": settings.service_name, "version": settings.version, "environment": settings.environment}

    return app


app = create_app()
