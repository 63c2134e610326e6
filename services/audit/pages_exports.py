"""The auditor's pages about proof (part of `services.audit.pages`'s blueprint):

- `/auditor/exports/<student|centre>/<id>`: the key exports are signed with (its id, its fingerprint, the PEM) and
  a button to take an export; `.../take` (a form: it leaves a trace, so another site cannot send it with a link)
  takes it exactly as the API does (every chain extended and checkpointed first; a student's export is recorded as
  a read), checks it at once with the verification
  `dualtrack audit verify-export` runs, against the deployment's key set, keeps the file aside for a day, and
  leads to `/auditor/exports/<token>`: the verdict and the link to download the very bytes checked.
- `/auditor/public-key.pem`: the deployment's current exports key, to check an export elsewhere (GET /api/v1/keys
  publishes every key with its history).
- `/auditor/chains`: each context's chain (chained up to, last checkpoint, last verification from these pages) and
  `/auditor/chains/<context>/verify` (a form too), which recomputes one context's chain now and keeps the verdict
  for the chains page (it writes no record).
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import secrets
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from uuid import UUID

from flask import Response, redirect, render_template
from flask_babel import gettext

from events import CONTEXTS
from services.audit.export import MEDIA_TYPE, TamperDetected, export_record, verify_export
from services.audit.pages import auditor, moment_text, pages, student_or_404
from services.common.errors import NotFound, RuleViolated
from services.common.signing import key_id, public_key_pem, raw_public_key
from services.common.signing_keys import KeyStore, key_store
from toolkit.http.context import deployment
from toolkit.http.pages import Names
from toolkit.http.read_only_roles import read_sent_as_form
from toolkit.http.read_recording import record_read

KEPT_FOR = 24 * 3600
"""Seconds a taken export stays downloadable from its page."""
VERIFY_AT_MOST = 200_000
"""Events of one context the chains page verifies on request; longer chains are verified from a console."""


def _place(name: str) -> Path:
    """A folder of these pages' own in the deployment's data directory (not a record: files to hand out)."""
    base = getattr(deployment().settings, "data_dir", None)
    folder = Path(base) / "audit-pages" / name if base else Path(tempfile.gettempdir()) / "dualtrack-audit-pages" / name
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    return folder


def _write(path: Path, data: bytes) -> None:
    """Written aside and moved into place: another worker never reads half a file."""
    fd, aside = tempfile.mkstemp(dir=path.parent, prefix=".part-")
    with os.fdopen(fd, "wb") as out:
        out.write(data)
    os.replace(aside, path)


def signing_keys() -> KeyStore:
    return key_store(deployment().settings)


def key_facts() -> dict[str, str]:
    """The deployment's current exports key as an auditor checks it: its id (as exports name it), its fingerprint
    (the SHA-256 of the raw key) and the PEM."""
    public = signing_keys().signer("exports")[0].public
    digest = hashlib.sha256(raw_public_key(public)).hexdigest()
    return {"key_id": key_id(public), "fingerprint": ":".join(digest[i:i + 4] for i in range(0, 64, 4)),
            "pem": public_key_pem(public)}


def _subject(what: str, ident: UUID) -> str:
    """The student's or centre's name (404 when there is none)."""
    if what == "student":
        return str(student_or_404(ident).name)
    centre = Names().centre(str(ident))
    if centre is None:
        raise NotFound(gettext("No training centre has this id."), id=str(ident))
    return str(centre.name)


@pages.get("/auditor/exports/<any(student, centre):what>/<uuid:ident>")
def export_page(what: str, ident: UUID) -> Any:
    auditor()
    return render_template("audit/auditor_export.html", what=what, ident=str(ident), name=_subject(what, ident),
                           key=key_facts())


@pages.post("/auditor/exports/<any(student, centre):what>/<uuid:ident>/take")
@read_sent_as_form
def take_export(what: str, ident: UUID) -> Any:
    actor = auditor()
    name = _subject(what, ident)
    keys, out = signing_keys(), io.BytesIO()
    try:
        count = export_record(deployment(), what, str(ident), keys, out)
    except TamperDetected as error:
        raise RuleViolated("tamper-detected", gettext("Nothing was exported: the event store fails verification "
                                                      "(%(why)s).", why=str(error))) from None
    if what == "student":
        record_read(ident, "full record export")
    data = out.getvalue()
    verdict = verify_export(data, keys.key_set())
    folder, token = _place("exports"), secrets.token_hex(16)
    _forget_old(folder)
    _write(folder / f"{token}.jsonl", data)
    _write(folder / f"{token}.json", json.dumps({
        "what": what, "id": str(ident), "name": name, "taken_by": actor.subject, "events": count,
        "taken_at": datetime.now(UTC).isoformat(), "ok": verdict.ok, "message": verdict.message,
        "sha256": hashlib.sha256(data).hexdigest(), "bytes": len(data),
        "key_id": (verdict.header or {}).get("public_key", {}).get("key_id") or key_facts()["key_id"],
    }).encode())
    return redirect(f"/auditor/exports/{token}", 303)


def _forget_old(folder: Path) -> None:
    limit = time.time() - KEPT_FOR
    for path in folder.glob("*.json*"):
        try:
            if path.stat().st_mtime < limit:
                path.unlink()
        except FileNotFoundError:
            pass


def _taken(token: str) -> tuple[dict[str, Any], Path]:
    """A taken export of the caller's (404 for anyone else's, a token never given, or one past its day)."""
    actor = auditor()
    if not (len(token) == 32 and all(c in "0123456789abcdef" for c in token)):
        raise NotFound(gettext("There is no export with this link (they are kept for a day)."))
    folder = _place("exports")
    try:
        facts = json.loads((folder / f"{token}.json").read_text())
    except (FileNotFoundError, ValueError):
        raise NotFound(gettext("There is no export with this link (they are kept for a day).")) from None
    if facts.get("taken_by") != actor.subject or not (folder / f"{token}.jsonl").exists():
        raise NotFound(gettext("There is no export with this link (they are kept for a day)."))
    return facts, folder / f"{token}.jsonl"


@pages.get("/auditor/exports/<string:token>")
def export_taken(token: str) -> Any:
    facts, _ = _taken(token)
    return render_template("audit/auditor_export_taken.html", facts=facts, token=token, key=key_facts(),
                           when=moment_text(facts["taken_at"]))


@pages.get("/auditor/exports/<string:token>/file")
def export_file(token: str) -> Any:
    facts, path = _taken(token)
    return Response(path.read_bytes(), 200, mimetype=MEDIA_TYPE, headers={
        "Content-Disposition": f'attachment; filename="{facts["what"]}-{facts["id"]}.jsonl"',
        "Cache-Control": "no-store"})


@pages.get("/auditor/public-key.pem")
def public_key_file() -> Any:
    auditor()
    return Response(key_facts()["pem"], 200, mimetype="application/x-pem-file", headers={
        "Content-Disposition": 'attachment; filename="dualtrack-public-key.pem"', "Cache-Control": "no-store"})


# -- the chains -------------------------------------------------------------------------------------------------
def _verifications() -> Path:
    return _place("chains") / "last-verifications.json"


def _last_verifications() -> dict[str, Any]:
    try:
        found = json.loads(_verifications().read_text())
    except (FileNotFoundError, ValueError):
        return {}
    return found if isinstance(found, dict) else {}


@pages.get("/auditor/chains")
def chains() -> Any:
    auditor()
    verified, rows = _last_verifications(), []
    for context in CONTEXTS:
        chain = deployment().chain(context)
        try:
            status = chain.status()
        finally:
            chain.close()
        last = status["last_checkpoint"]
        done = verified.get(context)
        rows.append({"context": context, "chained_to": status["chained_to"], "unsigned": status["unsigned"],
                     "checkpoint": last and {**last, "when": moment_text(last["signed_at"].replace("Z", "+00:00"))},
                     "verified": done and {**done, "when": moment_text(done["at"])},
                     "cheap": status["chained_to"] <= VERIFY_AT_MOST})
    return render_template("audit/auditor_chains.html", rows=rows, key=key_facts())


@pages.post(f"/auditor/chains/<any({', '.join(CONTEXTS)}):context>/verify")
@read_sent_as_form
def verify_chain_now(context: str) -> Any:
    auditor()
    chain = deployment().chain(context)
    try:
        if chain.head()[0] > VERIFY_AT_MOST:
            raise RuleViolated("too-long-to-verify-here", gettext(
                "This chain is too long to verify from a page: run `dualtrack audit verify --context %(context)s` "
                "on the server.", context=context))
        report = chain.verify(signing_keys().key_set())
    finally:
        chain.close()
    first = report.first
    found = _last_verifications()
    found[context] = {"at": datetime.now(UTC).isoformat(), "ok": report.ok, "events": report.events,
                      "chained_to": report.chained_to, "checkpoints": report.checkpoints,
                      "first_bad": first.as_dict() if first else None}
    _write(_verifications(), json.dumps(found).encode())
    return redirect(f"/auditor/chains#chain-{context}", 303)
