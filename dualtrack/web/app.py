"""The Flask app factory: one API (flask-smorest) with a blueprint per context and read model."""

from __future__ import annotations

import functools
import inspect
import logging
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from flask import Flask, current_app, jsonify, send_from_directory
from flask_smorest import Api

from contracts.http.common import ApiError
from dualtrack.bootstrap import Container
from dualtrack.settings import Settings
from toolkit.http.arguments import reuse_request_schemas
from toolkit.http.caching import register_no_store
from toolkit.http.context import EXTENSION, client_correlation_id, correlation_id, this_g, this_request
from toolkit.http.errors import register_error_handlers
from toolkit.http.idempotency import IdempotencyKeyPlugin, register_idempotency
from toolkit.http.input_limits import register_input_limits
from toolkit.http.query_parameters import register_query_parameter_check
from toolkit.http.rate_limited_routes import register_rate_limits


class DualtrackFlask(Flask):
    """Flask, asking once of each hook and view whether it must be run as a coroutine: Flask asks it for every hook
    of every request (23 times for an enrolment), and the answer for one function never changes."""

    def ensure_sync(self, func: Callable[..., Any]) -> Callable[..., Any]:
        plain = getattr(func, "__func__", func)  # a view's method is bound to the request's view object: ask of its
        if plain in self._sync_functions:  # function, or the set would grow with every request
            return func
        if inspect.iscoroutinefunction(plain):
            return super().ensure_sync(func)
        self._sync_functions.add(plain)
        return func

    @functools.cached_property
    def _sync_functions(self) -> set[Callable[..., Any]]:
        return set()


log = logging.getLogger("dualtrack.http")


class DualtrackApi(Api):
    """flask-smorest's Api, documenting our one error format for the errors it adds itself (422, default)."""

    ERROR_SCHEMA = ApiError


def create_app(container: Container | None = None, settings: Settings | None = None) -> Flask:
    """Build the WSGI app around a container (built from the environment when not given)."""
    container = container or Container(settings or Settings.from_env())
    app = DualtrackFlask("dualtrack", template_folder="web/templates", static_folder="web/static")
    app.config.update(
        API_TITLE="dualtrack",
        API_VERSION="v1",
        OPENAPI_VERSION="3.0.3",
        OPENAPI_URL_PREFIX="/api",
        OPENAPI_JSON_PATH="openapi.json",
        OPENAPI_SWAGGER_UI_PATH="/docs",
        OPENAPI_SWAGGER_UI_URL="/api/docs/assets/",  # Swagger UI from a pinned package (flask-swagger-ui), no CDN
        API_SPEC_OPTIONS={
            "info": {"description": "School-enterprise apprenticeships, event-sourced. Bearer JWT on every route."},
            "security": [{"bearerAuth": []}],
        },
    )
    app.config["MAX_CONTENT_LENGTH"] = 4 * 1024 * 1024  # no request body is bigger (a CSV batch is at most 2 MiB)
    app.extensions[EXTENSION] = container
    reuse_request_schemas()  # one instance per request schema, not one per request
    api = DualtrackApi(app, spec_kwargs={"extra_plugins": [IdempotencyKeyPlugin()]})
    api.spec.components.security_scheme("bearerAuth", {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"})

    @app.get("/api/docs/assets/<path:name>")
    def swagger_ui_assets(name: str) -> Any:
        """Swagger UI's own files, from the installed package: the docs work with no network."""
        import flask_swagger_ui

        return send_from_directory(Path(flask_swagger_ui.__file__).parent / "dist", name, max_age=86400)

    @app.get("/api/asyncapi.json")
    def asyncapi_json() -> Any:
        """The AsyncAPI 3.0 document of this deployment's topics and event types (public, like the OpenAPI one)."""
        from contracts.asyncapi import asyncapi_document

        return jsonify(asyncapi_document(current_app.extensions[EXTENSION].settings.topic_prefix))

    from dualtrack.web.keys_api import blp as keys_blp
    from dualtrack.web.privacy_api import blp as privacy_blp
    from services.audit.api import blp as audit_history_blp
    from services.audit.export_api import export_blp
    from services.audit.reads_api import reads_blp
    from services.calendars.api import blp as calendars_blp
    from services.centres.api import blp as centres_blp
    from services.credentials.api import blp as credentials_blp
    from services.credit_statements.api import blp as credit_statements_blp
    from services.identity.api import blp as identity_blp
    from services.placement_register.api import blp as placement_register_blp
    from services.placements.api import blp as placements_blp
    from services.progress.api import blp as progress_blp
    from services.schedules.api import blp as schedules_blp
    from services.training.api import blp as training_blp

    api.register_blueprint(identity_blp)
    api.register_blueprint(placements_blp)
    api.register_blueprint(centres_blp)
    api.register_blueprint(placement_register_blp)
    api.register_blueprint(training_blp)
    api.register_blueprint(progress_blp)
    api.register_blueprint(credentials_blp)
    api.register_blueprint(credit_statements_blp)
    api.register_blueprint(calendars_blp)
    api.register_blueprint(schedules_blp)
    api.register_blueprint(audit_history_blp)
    api.register_blueprint(reads_blp)
    api.register_blueprint(export_blp)
    api.register_blueprint(privacy_blp)
    api.register_blueprint(keys_blp)

    from toolkit.http.authentication_door import register_authentication_door
    from toolkit.http.read_only_roles import register_read_only_roles

    register_authentication_door(app)  # no valid token, no answer but the one 401 (whatever the body or the ids)
    register_read_only_roles(app)
    register_query_parameter_check(app)
    register_idempotency(app)  # after the door: an auditor's POST is refused before any key is claimed
    register_no_store(app)  # answers about people are kept by no cache
    register_input_limits(app)  # first of every before-request hook: bounded paths, queries, headers, JSON
    register_rate_limits(app)  # runs before every other hook: each request counts against the rate limits

    from dualtrack.web.health import bp as health_bp
    from dualtrack.web.shell import install_shell, is_page_request, render_page_error
    from services.audit.pages import pages as audit_pages
    from services.audit.reads_pages import pages as reads_pages
    from services.calendars.pages import pages as calendars_pages
    from services.centres.pages import pages as centres_pages
    from services.credentials.pages import pages as credentials_pages
    from services.credit_statements.pages import pages as credit_statements_pages
    from services.identity.admin_pages import pages as identity_admin_pages
    from services.identity.pages import pages as identity_pages
    from services.placements.admin_pages import pages as placements_admin_pages
    from services.placements.coordinator_pages import pages as placements_coordinator_pages
    from services.placements.pages import pages as placements_pages
    from services.progress.cohort_pages import pages as progress_cohort_pages
    from services.progress.pages import pages as progress_pages
    from services.schedules.pages import pages as schedules_pages
    from services.training.catalogue_pages import pages as training_catalogue_pages
    from services.training.pages import pages as training_pages
    from services.training.school_pages import pages as training_school_pages

    install_shell(app, [identity_pages, progress_pages, training_pages, centres_pages, placements_pages,
                        calendars_pages, credit_statements_pages, reads_pages,
                        # coordinators, teachers, auditors and administrators
                        progress_cohort_pages, placements_coordinator_pages, placements_admin_pages, schedules_pages,
                        training_school_pages, training_catalogue_pages, audit_pages, identity_admin_pages,
                        credentials_pages])
    app.register_blueprint(health_bp)
    register_error_handlers(app, pages=(is_page_request, render_page_error))
    from services.placements.refusals import register_refusal_scopes

    register_refusal_scopes(app)  # a refusal names only what the caller may see (another school's placements: counted)

    @app.before_request
    def _start() -> None:
        this_g().started = time.perf_counter()

    @app.after_request
    def _finish(response: Any) -> Any:
        req, started = this_request(), this_g().get("started")
        correlation = response.headers["X-Correlation-ID"] = correlation_id()
        client_id = client_correlation_id()
        if client_id:
            response.headers["X-Client-Correlation-ID"] = client_id
        log.info(
            "request",
            extra={
                "method": req.method,
                "path": req.path,
                "status": response.status_code,
                "ms": round((time.perf_counter() - (started or time.perf_counter())) * 1000, 2),
                "correlation_id": correlation,
                "client_correlation_id": client_id,
            },
        )
        return response

    return app
