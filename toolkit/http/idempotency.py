"""Idempotent retries: a POST sent again with the same `Idempotency-Key` gets the first answer and writes nothing.

A client that timed out does not know whether its command was stored; it sends the same request again with the
same key. The first request with a key claims it (one row per caller and key, in the deployment's view
database, shared by every worker); its answer is kept for 24 hours, and a retry within that time is answered
with it (header `Idempotent-Replayed: true`) without running the command again. The same key with a different
request (method, path, content type or body) is a 422; a retry while the first is still running is a 409
`idempotency-key-in-use`. An answer of 500 or more is not kept: the key is released, so a retry runs the command;
a claim whose worker died before answering is given up after a minute.

Keys belong to the caller (role and subject of the bearer token): one caller cannot replay another's answer.
"""

from __future__ import annotations

import hashlib
import json
import random
import time
import uuid
from dataclasses import dataclass
from typing import Any

from apispec import BasePlugin
from flask import Flask, Request, Response, g, request
from flask_smorest import abort

from services.common.viewstore import ViewDatabase
from toolkit.http.context import current_actor, deployment, this_g, this_request
from toolkit.http.errors import error_response

HEADER = "Idempotency-Key"
KEPT_FOR_SECONDS = 24 * 3600
ABANDONED_AFTER_SECONDS = 60
"""A claim never answered this long (its worker was killed mid-request) may be claimed again."""
MAX_KEY_LENGTH = 200
REPLAYED_HEADERS = ("Content-Type", "ETag", "Location")
TABLE = "idempotency_keys"


@dataclass(frozen=True)
class Claimed:
    """This request claimed the key: its answer is to be kept."""

    caller: str
    key: str
    claim: str


@dataclass(frozen=True)
class Answered:
    """An earlier request with the key was answered: the answer to give again."""

    status: int
    body: str
    headers: dict[str, str]


class InUse(Exception):
    """An earlier request with the key is still running."""


class UsedForAnotherRequest(Exception):
    """The key was used with another request."""


class IdempotencyKeys:
    """Claimed keys and their kept answers, in the view database."""

    def __init__(self, db: ViewDatabase) -> None:
        self._db = db
        with db.transaction() as tx:
            tx.execute(f"CREATE TABLE IF NOT EXISTS {TABLE} (caller TEXT NOT NULL, key TEXT NOT NULL, "
                       "fingerprint TEXT NOT NULL, claim TEXT NOT NULL, created_at BIGINT NOT NULL, status INTEGER, "
                       "body TEXT, headers TEXT, PRIMARY KEY (caller, key))")

    def claim(self, caller: str, key: str, fingerprint: str) -> Claimed | Answered:
        """Claim the key for this request, or give the earlier answer; InUse, UsedForAnotherRequest."""
        now, claim = int(time.time()), uuid.uuid4().hex
        with self._db.transaction() as tx:
            if random.random() < 0.01:  # now and then, forget every answer past its time
                tx.execute(f"DELETE FROM {TABLE} WHERE created_at < ?", (now - KEPT_FOR_SECONDS,))
            tx.execute(f"DELETE FROM {TABLE} WHERE caller = ? AND key = ? AND (created_at < ? OR (status IS NULL "
                       "AND created_at < ?))", (caller, key, now - KEPT_FOR_SECONDS, now - ABANDONED_AFTER_SECONDS))
            tx.execute(f"INSERT INTO {TABLE} (caller, key, fingerprint, claim, created_at) VALUES (?, ?, ?, ?, ?) "
                       "ON CONFLICT (caller, key) DO NOTHING", (caller, key, fingerprint, claim, now))
            row = tx.execute(f"SELECT fingerprint, claim, status, body, headers FROM {TABLE} "
                             "WHERE caller = ? AND key = ?", (caller, key)).fetchone()
        assert row is not None  # inserted, or there already
        kept_fingerprint, kept_claim, status, body, headers = row
        if kept_claim == claim:
            return Claimed(caller, key, claim)
        if kept_fingerprint != fingerprint:
            raise UsedForAnotherRequest
        if status is None:
            raise InUse
        return Answered(int(status), body or "", json.loads(headers or "{}"))

    def keep(self, claimed: Claimed, status: int, body: str, headers: dict[str, str]) -> None:
        with self._db.transaction() as tx:
            tx.execute(f"UPDATE {TABLE} SET status = ?, body = ?, headers = ? WHERE caller = ? AND key = ? "
                       "AND claim = ?", (status, body, json.dumps(headers), claimed.caller, claimed.key,
                                         claimed.claim))

    def forget_answers_naming(self, text: str) -> int:
        """Drop every kept answer whose body holds `text` (a student's id, when their personal data is erased: an
        answer to their enrolment named them); how many went."""
        with self._db.transaction() as tx:
            return tx.execute(f"DELETE FROM {TABLE} WHERE body LIKE ?", (f"%{text}%",)).rowcount

    def release(self, claimed: Claimed) -> None:
        with self._db.transaction() as tx:
            tx.execute(f"DELETE FROM {TABLE} WHERE caller = ? AND key = ? AND claim = ?",
                       (claimed.caller, claimed.key, claimed.claim))


def _fingerprint() -> str:
    digest = hashlib.sha256()
    for part in (request.method, request.full_path, request.content_type or ""):
        digest.update(part.encode())
        digest.update(b"\0")
    digest.update(request.get_data(cache=True))
    return digest.hexdigest()


def _key(req: Request) -> str | None:
    key = req.headers.get(HEADER)
    if key is None:
        return None
    if not (0 < len(key) <= MAX_KEY_LENGTH and key.isascii() and key.isprintable()):
        abort(422, messages={"headers": {HEADER: [
            f"an {HEADER} is 1 to {MAX_KEY_LENGTH} printable ASCII characters, e.g. a UUID"]}})
    return key


def answer_again_or_claim() -> Any:
    """Before a POST: answer a retry with the kept answer, refuse a key misused, or claim the key."""
    req = this_request()
    if req.method != "POST" or req.url_rule is None:
        return None
    key = _key(req)
    if key is None or not req.headers.get("Authorization"):
        return None  # without a token the route answers 401 itself
    actor = current_actor()
    keys: IdempotencyKeys = deployment().idempotency_keys()
    try:
        found = keys.claim(f"{actor.role.value}:{actor.subject}", key, _fingerprint())
    except UsedForAnotherRequest:
        abort(422, messages={"headers": {HEADER: [
            f"this {HEADER} was already used with a different request; use a new key for a new request"]}})
    except InUse:
        return error_response(409, "idempotency-key-in-use", f"a request with this {HEADER} is still being "
                              "answered; retry in a moment to get its answer")
    if isinstance(found, Answered):
        return Response(found.body, found.status, headers={**found.headers, "Idempotent-Replayed": "true"})
    g.idempotency_claim = found
    return None


def keep_the_answer(response: Response) -> Response:
    """After a POST that claimed a key: keep its answer, or release the key after a server error."""
    claimed: Claimed | None = this_g().pop("idempotency_claim", None)
    if claimed is None:
        return response
    keys: IdempotencyKeys = deployment().idempotency_keys()
    if response.status_code >= 500 or response.is_streamed:
        keys.release(claimed)
        return response
    keys.keep(claimed, response.status_code, response.get_data(as_text=True),
              {h: response.headers[h] for h in REPLAYED_HEADERS if h in response.headers})
    return response


def release_if_unanswered(error: BaseException | None) -> None:
    """When a request ends without an answer passing through keep_the_answer, its key is released."""
    claimed: Claimed | None = this_g().pop("idempotency_claim", None)
    if claimed is not None:
        deployment().idempotency_keys().release(claimed)


def register_idempotency(app: Flask) -> None:
    """Install the hooks (the app factory does this once, after the read-only-roles door)."""
    app.before_request(answer_again_or_claim)
    app.after_request(keep_the_answer)
    app.teardown_request(release_if_unanswered)


class IdempotencyKeyPlugin(BasePlugin):
    """Documents the optional `Idempotency-Key` header on every POST of the OpenAPI document (an apispec plugin)."""

    def operation_helper(self, path: str | None = None, operations: dict[str, Any] | None = None,
                         **kwargs: Any) -> None:
        post = (operations or {}).get("post")
        if post is None:
            return
        post.setdefault("parameters", []).append({
            "name": HEADER, "in": "header", "required": False,
            "schema": {"type": "string", "minLength": 1, "maxLength": MAX_KEY_LENGTH},
            "description": "Send the same key again to retry safely: within 24 hours the first answer is given "
                           "again (Idempotent-Replayed: true) and nothing is written twice; the same key with "
                           "another request is a 422."})
