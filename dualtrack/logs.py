"""Structured (JSON) logs on stderr, one object a line, for our code and for gunicorn alike."""

from __future__ import annotations

import logging.config
from typing import Any


def logging_config(level: str = "INFO", component: str = "dualtrack") -> dict[str, Any]:
    """A dictConfig that sends every logger through one JSON formatter tagged with the component."""
    json_handler = {"class": "logging.StreamHandler", "formatter": "json", "stream": "ext://sys.stderr"}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {
            "json": {
                "()": "pythonjsonlogger.orjson.OrjsonFormatter",  # the same fields, a third less CPU a line
                "fmt": "%(asctime)s %(levelname)s %(name)s %(message)s",
                "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
                "static_fields": {"component": component},
            }
        },
        "handlers": {"json": json_handler},
        "root": {"level": level, "handlers": ["json"]},
        "loggers": {
            "gunicorn.error": {"level": level, "handlers": [], "propagate": True},
            "gunicorn.access": {"level": "WARNING", "handlers": [], "propagate": True},
            "kafka": {"level": "WARNING"},
            "werkzeug": {"level": "WARNING"},
        },
    }


def configure_logging(level: str = "INFO", component: str = "dualtrack") -> None:
    logging.config.dictConfig(logging_config(level, component))
    # A line names no thread, process or place in the source: a record need not find them (the logging HOWTO's
    # "Optimization"; a worker forked from this process inherits it). The caller's frames were looked up on every
    # line, the process id asked of the kernel.
    logging.logThreads = logging.logProcesses = logging.logMultiprocessing = False
    logging._srcfile = None
