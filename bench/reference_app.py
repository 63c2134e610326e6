"""The command path's plain reference: Flask + marshmallow + PyJWT + sqlite3 enrolling a student.

It does the work dualtrack's enrolment does at its barest: verify an HS256 bearer token (issuer, audience, expiry),
validate the body with a marshmallow schema, read the school's row, append one event row (with its metadata: who,
when, correlation id) in one transaction of a SQLite file in WAL mode with `synchronous=FULL` (what eventsourcing's
SQLite store runs with), and answer 201 with the new id and version. No sessions, rate limits, idempotency, sealing,
hash chains or wait tokens: those are what dualtrack adds, and what the bench's ratio prices.

`python -m bench.reference_app --db FILE --secret S --port N` serves it with dualtrack's own gunicorn settings
(`dualtrack.server.gunicorn_options`).
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import threading
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import jwt
from flask import Flask, jsonify, request
from marshmallow import Schema, ValidationError, fields, validate

ISSUER = "reference"
AUDIENCE = "reference-api"


class EnrolStudent(Schema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    major = fields.String(required=True, validate=validate.Length(min=1, max=100))
    cohort = fields.Integer(required=True, strict=True, validate=validate.Range(min=1990, max=2100))
    enrolment_date = fields.Date(required=True)
    date_of_birth = fields.Date(required=True)
    guardian_name = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=200))
    guardian_contact = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=200))


SCHEMA = """
CREATE TABLE IF NOT EXISTS schools (id TEXT PRIMARY KEY, name TEXT NOT NULL, rule_set TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS events (
    notification_id INTEGER PRIMARY KEY AUTOINCREMENT,
    originator_id TEXT NOT NULL, originator_version INTEGER NOT NULL, topic TEXT NOT NULL, state BLOB NOT NULL,
    UNIQUE (originator_id, originator_version));
"""


def connect(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False, timeout=30)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=FULL")
    return conn


def prepare(path: Path, secret: str) -> tuple[str, str]:
    """A fresh database with one school; the school's id and a coordinator's token for it."""
    conn = connect(path)
    conn.executescript(SCHEMA)
    school_id = str(uuid.uuid4())
    conn.execute("INSERT INTO schools VALUES (?, ?, ?)", (school_id, "Reference School", "default"))
    conn.close()
    now = datetime.now(UTC)
    token = jwt.encode({"iss": ISSUER, "aud": AUDIENCE, "sub": "coordinator-1", "jti": uuid.uuid4().hex, "iat": now,
                        "exp": now + timedelta(hours=2), "role": "coordinator", "school": school_id},
                       secret, algorithm="HS256")
    return school_id, token


def create_app(path: Path, secret: str) -> Flask:
    app = Flask(__name__)
    schema = EnrolStudent()
    local = threading.local()

    def db() -> sqlite3.Connection:
        if not hasattr(local, "conn"):
            local.conn = connect(path)
        conn: sqlite3.Connection = local.conn
        return conn

    @app.post("/api/v1/schools/<uuid:school_id>/students")
    def enrol(school_id: uuid.UUID) -> Any:
        header = request.headers.get("Authorization", "")
        try:
            claims = jwt.decode(header.removeprefix("Bearer "), secret, algorithms=["HS256"], issuer=ISSUER,
                                audience=AUDIENCE, options={"require": ["sub", "exp", "iat", "aud", "jti"]})
        except jwt.PyJWTError:
            return jsonify(error="not authenticated"), 401
        if claims.get("role") != "coordinator" or claims.get("school") != str(school_id):
            return jsonify(error="forbidden"), 403
        try:
            body = schema.load(request.get_json(force=True, silent=True) or {})
        except ValidationError as error:
            return jsonify(error="invalid", fields=error.messages), 422
        conn = db()
        conn.execute("BEGIN IMMEDIATE")
        try:
            school = conn.execute("SELECT rule_set FROM schools WHERE id = ?", (str(school_id),)).fetchone()
            if school is None:
                conn.execute("ROLLBACK")
                return jsonify(error="no such school"), 404
            student_id = str(uuid.uuid4())
            state = json.dumps({
                "school_id": str(school_id), **{k: str(v) if v is not None else None for k, v in body.items()},
                "meta": {"actor": claims["sub"], "role": claims["role"], "at": datetime.now(UTC).isoformat(),
                         "correlation_id": request.headers.get("X-Correlation-ID") or uuid.uuid4().hex},
            }).encode()
            cursor = conn.execute(
                "INSERT INTO events (originator_id, originator_version, topic, state) VALUES (?, 1, ?, ?)",
                (student_id, "StudentEnrolled", state))
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        return jsonify(id=student_id, version=1, position=cursor.lastrowid), 201

    return app


def main() -> None:
    from dualtrack.server import gunicorn_options, run_gunicorn
    from dualtrack.settings import Settings

    parser = argparse.ArgumentParser(prog="python -m bench.reference_app", description=__doc__)
    parser.add_argument("--db", type=Path, required=True)
    parser.add_argument("--secret", required=True)
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    settings = Settings(data_dir=args.db.parent, secret_key=args.secret, api_host="127.0.0.1", api_port=args.port,
                        log_level="WARNING")
    run_gunicorn(lambda: create_app(args.db, args.secret), gunicorn_options(settings))


if __name__ == "__main__":
    main()
