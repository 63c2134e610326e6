"""Liveness and readiness: is the process up; are the database, the broker and the projections keeping up."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, jsonify

from toolkit.http.context import EXTENSION

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz() -> Any:
    return jsonify({"status": "ok"})


@bp.get("/readyz")
def readyz() -> Any:
    from dualtrack.status import readiness

    report = readiness(current_app.extensions[EXTENSION])
    return jsonify(report), (200 if report["ready"] else 503)
