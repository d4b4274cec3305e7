"""gunicorn runs uvicorn workers; logs are JSON like the app's."""

import os
import shutil

from prometheus_client import multiprocess

bind = f"0.0.0.0:{os.environ.get('PORT', '${{ values.port }}')}"
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
worker_class = "uvicorn_worker.UvicornWorker"
# the root filesystem is read-only; /tmp is an emptyDir
worker_tmp_dir = "/tmp"  # noqa: S108
timeout = 30
graceful_timeout = 25
keepalive = 5
accesslog = None  # the app logs every request as JSON
logconfig_dict = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"json": {"()": "app.logging.JsonFormatter"}},
    "handlers": {"stdout": {"class": "logging.StreamHandler", "formatter": "json", "stream": "ext://sys.stdout"}},
    "root": {"level": "INFO", "handlers": ["stdout"]},
    "loggers": {
        "gunicorn.error": {"handlers": ["stdout"], "level": "INFO", "propagate": False},
        "gunicorn.access": {"handlers": [], "level": "WARNING", "propagate": False},
    },
}


def on_starting(server):  # noqa: ARG001
    # a fresh directory for prometheus_client's multiprocess mode on every start
    path = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if path:
        shutil.rmtree(path, ignore_errors=True)
        os.makedirs(path, exist_ok=True)


def child_exit(server, worker):  # noqa: ARG001
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        multiprocess.mark_process_dead(worker.pid)  # type: ignore[no-untyped-call]
