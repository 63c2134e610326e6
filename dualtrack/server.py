"""Serving the API with gunicorn, optionally with the projections running in the same process."""

from __future__ import annotations

import gc
import logging
import threading
from typing import Any

from gunicorn import glogging
from gunicorn.app.base import BaseApplication

from dualtrack.bootstrap import Container
from dualtrack.logs import logging_config
from dualtrack.settings import Settings


class _Gunicorn(BaseApplication):
    def __init__(self, app_factory: Any, options: dict[str, Any]) -> None:
        self._factory = app_factory
        self._options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self._options.items():
            self.cfg.set(key, value)

    def load(self) -> Any:
        return self._factory()


class RequestLogOnly(glogging.Logger):
    """gunicorn's logger without its access log: dualtrack logs every request itself (dualtrack/web/app.py), while
    gunicorn, given a logging configuration, builds an access line for every answer even when its logger drops it."""

    def access(self, resp: Any, req: Any, environ: Any, request_time: Any) -> None:
        if self.cfg.accesslog:
            super().access(resp, req, environ, request_time)


def drop_server_banner() -> None:
    """gunicorn writes `Server: gunicorn` on every answer (it has no setting to leave it out): its HTTP/1 response
    writer is told to leave the line out, so no answer names the software serving it. Called before gunicorn starts
    (its workers are forked from this process and inherit it)."""
    from gunicorn.http import wsgi

    writer: Any = wsgi.Response
    if getattr(writer, "_dualtrack_bannerless", False):
        return
    default_headers = writer.default_headers

    def without_banner(self: Any) -> list[str]:
        return [line for line in default_headers(self) if not line.lower().startswith("server:")]

    writer.default_headers = without_banner
    writer._dualtrack_bannerless = True


def start_embedded_projections(container: Container, stop: threading.Event) -> list[threading.Thread]:
    """Run every projection from the contexts' notification logs, in threads of this process."""
    from dualtrack.bootstrap import PROJECTION_CLASSES
    from dualtrack.messaging.locks import AlreadyRunning

    threads = []
    for name in PROJECTION_CLASSES:
        try:
            container.projector_lock(name)  # held for the life of this process
        except AlreadyRunning as running:
            logging.getLogger("dualtrack").warning("%s: this server does not project %s", running, name)
            continue
        projector = container.projector(name, embedded=True)
        thread = threading.Thread(target=projector.run, args=(stop,), kwargs={"idle_sleep": 0.1},
                                  name=f"projector-{name}", daemon=True)
        thread.start()
        threads.append(thread)
    return threads


def serve(settings: Settings, *, embedded: bool) -> None:
    from dualtrack.web.app import create_app

    def factory() -> Any:
        container = Container(settings).open()  # every store and table ready before the first request
        if embedded:
            start_embedded_projections(container, threading.Event())
        app = create_app(container)
        # What the worker holds from now on lives as long as it does: the collector stops looking through it.
        gc.collect()
        gc.freeze()
        return app

    # Built once here around a container not opened (nothing stored or started) and dropped: the workers, forked
    # from this process, then start with every module imported, instead of a second of CPU each.
    create_app(Container(settings))
    drop_server_banner()
    run_gunicorn(factory, gunicorn_options(settings, embedded=embedded))


def gunicorn_options(settings: Settings, *, embedded: bool = False) -> dict[str, Any]:
    """How gunicorn serves the API (the command-path bench serves its plain reference app with the same)."""
    workers, threads = settings.api_processes()
    return {
        "bind": f"{settings.api_host}:{settings.api_port}",
        # Embedded projections write the views from one process: one worker, more threads.
        "workers": 1 if embedded else workers,
        "threads": max(8, threads) if embedded else threads,
        "worker_class": "gthread",
        "accesslog": None,
        "graceful_timeout": 5,
        # One shared control socket in $HOME would clash between deployments on one machine.
        "control_socket_disable": True,
        "logconfig_dict": logging_config(settings.log_level, "api"),
        "logger_class": "dualtrack.server.RequestLogOnly",
        "timeout": 60,
    }


def run_gunicorn(app_factory: Any, options: dict[str, Any]) -> None:
    """Serve the WSGI app the factory builds (in each worker) with these gunicorn options, until stopped."""
    _Gunicorn(app_factory, options).run()
