"""Liveness and readiness: is the process up; are the database, the broker and the projections keeping up.

Anyone (a load balancer, an orchestrator's probe) learns whether the deployment is ready; only an admin (a bearer
token, or an admin's web session) is shown why: the checks, the event counts and lags per context, the reasons."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, jsonify, request

from services.common.identity import Role
from toolkit.http.context import EXTENSION, SESSION_COOKIE, current_actor

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz() -> Any:
    return jsonify({"status": "ok"})


@bp.get("/readyz")
def readyz() -> Any:
    from dualtrack.status import readiness

    report = readiness(current_app.extensions[EXTENSION])
    status = 200 if report["ready"] else 503
    return jsonify(report if _by_an_admin() else {"ready": report["ready"]}), status


def _by_an_admin() -> bool:
    if "Authorization" not in request.headers and SESSION_COOKIE not in request.cookies:
        return False  # a probe polling: no credentials, nothing to log
    try:
        return current_actor().role is Role.ADMIN
    except Exception:  # no credentials, or refused ones: the short answer
        return False
