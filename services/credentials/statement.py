"""A student's credit statement: their certificates and credit ledger as a JSON document signed with the
deployment's current `statements` key (services/common/signing_keys.py), so another institution can check it without
asking us, against the key it pinned or the deployment's published key set (GET /api/v1/keys).

The document is

    {"signature": {"algorithm": "Ed25519", "key_id": ..., "public_key": ..., "value": ...},
     "statement": {"student_id", "school_id", "issued_at", "issuer", "account_version", "certificates",
                   "ledger", "balance"}}

The signed bytes are the canonical JSON of `statement` (keys sorted, no whitespace, UTF-8 as is). The file
itself is issued in that same canonical form, and only that form verifies: a statement has exactly one
spelling, so changing any byte of the file — reformatting included — makes it fail. Keep it as downloaded.

`key_id` is the signing key's id (kid); `public_key` is carried for convenience and never trusted on its own: the
signature is checked with the trusted key of that id, and a retired key only for statements issued before it was
retired.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from services.common.signing import (
    ALGORITHM,
    NO_TRUST,
    KeySet,
    PinnedKey,
    Untrusted,
    canonical,
    key_id,
    load_or_create_signing_key,
    load_public_key,
    public_key_base64,
    public_key_pem,
    raw_public_key,
    strict_json,
    trust_of,
)
from services.common.signing import strict_base64 as _strict_base64
from services.credentials.domain import CreditAccount

# The key handling and canonical JSON live in services/common/signing.py (shared with the audit chain's checkpoints
# and exports); they are re-exported here for the statement's users.
__all__ = [
    "ALGORITHM", "BAD_SIGNATURE", "ISSUER", "KEY_MISMATCH", "MALFORMED", "MEDIA_TYPE", "NO_TRUSTED_KEY", "OK",
    "PURPOSE", "UNTRUSTED_KEY", "Verdict",
    "build_statement", "canonical", "key_id", "load_or_create_signing_key", "load_public_key", "public_key_base64",
    "public_key_pem", "raw_public_key", "serialize", "sign_statement", "verify",
]

ISSUER = "dualtrack credentials"
PURPOSE = "statements"
"""The purpose of the deployment's keys that sign statements."""
MEDIA_TYPE = "application/json"
SIGNATURE_FIELDS = ("algorithm", "key_id", "public_key", "value")
STATEMENT_FIELDS = ("student_id", "school_id", "issued_at", "issuer", "account_version", "certificates", "ledger",
                    "balance")

# -- outcomes of verification -----------------------------------------------------------------------
OK = "ok"
MALFORMED = "malformed"
BAD_SIGNATURE = "bad-signature"
KEY_MISMATCH = "key-mismatch"
UNTRUSTED_KEY = "untrusted-key"
"""Signed with a key that is not in the trusted key set, or with a retired key after its retirement."""
NO_TRUSTED_KEY = "no-trusted-key"
"""Nothing to check it against: the key the file carries is not trusted on its own."""


@dataclass(frozen=True)
class Verdict:
    """What verification found: ok, or exactly what failed (malformed, bad-signature, key-mismatch, untrusted-key,
    no-trusted-key)."""

    outcome: str
    message: str
    key_id: str | None = None
    """The key the document names (when it names one well-formed)."""
    statement: dict[str, Any] | None = None
    """The statement, only when it verifies."""

    @property
    def ok(self) -> bool:
        return self.outcome == OK


# -- building and signing -----------------------------------------------------------------------------
def build_statement(account: CreditAccount | None, *, student_id: str, school_id: str,
                    certificates: Mapping[str, Mapping[str, str]], issued_at: datetime | None = None,
                    issuer: str = ISSUER) -> dict[str, Any]:
    """The statement of a credit account (None: no award yet, an empty statement with balance 0).

    `certificates` gives each certificate code's `title` and `awarding_organisation`. Revoked awards stay on
    the statement, marked revoked, beside the ledger lines that reversed them: the ledger adds up to the balance."""
    issued = (issued_at or datetime.now(UTC)).astimezone(UTC).replace(microsecond=0)
    awards = sorted(account.awards.values(), key=lambda a: (a.awarded_on, a.award_id)) if account else []
    lines = account.lines if account else []
    return {
        "student_id": student_id,
        "school_id": school_id,
        "issued_at": issued.isoformat().replace("+00:00", "Z"),
        "issuer": issuer,
        "account_version": account.version if account else 0,
        "certificates": [{
            "award_id": a.award_id,
            "code": a.certificate_code,
            "title": certificates.get(a.certificate_code, {}).get("title"),
            "awarding_organisation": certificates.get(a.certificate_code, {}).get("awarding_organisation"),
            "level": a.level,
            "credits": a.credits,
            "awarded_on": a.awarded_on.isoformat(),
            "certificate_number": a.certificate_number,
            "by_override": not a.eligible,
            "status": "revoked" if a.revoked else "awarded",
        } for a in awards],
        "ledger": [{
            "line_id": line.line_id,
            "kind": line.kind,
            "award_id": line.award_id,
            "debit": line.debit,
            "credit": line.credit,
            "amount": line.amount,
            "course": line.course,
            "exempt": line.exempt,
            "reverses": line.reverses,
        } for line in lines],
        "balance": account.balance if account else 0,
    }


def sign_statement(statement: Mapping[str, Any], key: Ed25519PrivateKey) -> dict[str, Any]:
    """The signed document: the statement and an Ed25519 signature over its canonical JSON."""
    public = key.public_key()
    return {
        "statement": dict(statement),
        "signature": {
            "algorithm": ALGORITHM,
            "key_id": key_id(public),
            "public_key": public_key_base64(public),
            "value": base64.b64encode(key.sign(canonical(statement))).decode("ascii"),
        },
    }


def serialize(document: Mapping[str, Any]) -> bytes:
    """The file as issued: the canonical JSON of the whole document."""
    return canonical(document)


# -- verifying ----------------------------------------------------------------------------------------
def verify(data: bytes | str | Mapping[str, Any],
           trusted: Ed25519PublicKey | PinnedKey | KeySet | None = None) -> Verdict:
    """Check a signed statement: its file as issued (bytes or text), or an already parsed document, against the
    trusted key (a pinned public key) or key set.

    Fails as `malformed` when it is not such a document (not UTF-8 JSON, not in its canonical form, fields
    missing or unknown, a key id that is not its public key's), as `no-trusted-key` when nothing is trusted (the
    key the file carries proves nothing), as `key-mismatch` when it names another key than the pinned one, as
    `untrusted-key` when its key is not one of the key set's statement keys or was retired before it was issued,
    as `bad-signature` when the signature does not match the statement."""
    trust = trust_of(trusted)
    if isinstance(data, Mapping):
        document: Any = data
    else:
        parsed = _parse(data.encode() if isinstance(data, str) else data)
        if isinstance(parsed, Verdict):
            return parsed
        document = parsed
    if not isinstance(document, Mapping) or set(document) != {"statement", "signature"}:
        return _malformed("a signed statement is an object with exactly `statement` and `signature`")
    statement, signature = document["statement"], document["signature"]
    if not isinstance(statement, dict):
        return _malformed("`statement` is not an object")
    missing = [f for f in STATEMENT_FIELDS if f not in statement]
    if missing:
        return _malformed(f"the statement lacks {', '.join(missing)}")
    if not isinstance(signature, Mapping) or set(signature) != set(SIGNATURE_FIELDS):
        return _malformed(f"`signature` is an object with exactly {', '.join(SIGNATURE_FIELDS)}")
    if not all(isinstance(signature[f], str) for f in SIGNATURE_FIELDS):
        return _malformed("every field of `signature` is a string")
    if signature["algorithm"] != ALGORITHM:
        return _malformed(f"the algorithm is {signature['algorithm']!r}; only {ALGORITHM} is used")
    raw_key = _strict_base64(signature["public_key"])
    if raw_key is None or len(raw_key) != 32:
        return _malformed("`public_key` is not the base64 of a raw 32-byte Ed25519 public key")
    try:
        public = Ed25519PublicKey.from_public_bytes(raw_key)
    except ValueError:
        return _malformed("`public_key` is not an Ed25519 public key")
    named = key_id(public)
    if signature["key_id"] != named:
        return _malformed(f"`key_id` {signature['key_id']!r} is not the id of the public key given ({named})")
    value = _strict_base64(signature["value"])
    if value is None or len(value) != 64:
        return _malformed("`value` is not the base64 of a 64-byte Ed25519 signature", key_id=named)
    try:
        message = canonical(statement)
    except (TypeError, ValueError):
        return _malformed("the statement is not plain JSON", key_id=named)
    if trust is None:  # still say whether it was changed since; never that it is genuine
        try:
            public.verify(value, message)
        except InvalidSignature:
            return Verdict(BAD_SIGNATURE, "the signature does not match the statement (and no trusted key was "
                                          "given)", key_id=named)
        return Verdict(NO_TRUSTED_KEY, NO_TRUST, key_id=named)
    try:
        public = trust.public_key(PURPOSE, named, statement.get("issued_at"))
    except Untrusted as error:
        return Verdict(KEY_MISMATCH if isinstance(trust, PinnedKey) else UNTRUSTED_KEY, str(error), key_id=named)
    if raw_public_key(public) != raw_key:
        return Verdict(KEY_MISMATCH, f"the file carries another public key than the trusted key {named}", key_id=named)
    try:
        public.verify(value, message)
    except InvalidSignature:
        return Verdict(BAD_SIGNATURE, f"the signature does not match the statement: it was changed after key "
                                      f"{named} signed it, or that key never signed it", key_id=named)
    how = "the pinned key" if isinstance(trust, PinnedKey) else "a statements key of the trusted key set"
    return Verdict(OK, f"signed by key {named}, {how}", key_id=named, statement=dict(statement))


def _parse(data: bytes) -> Any:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return _malformed("not UTF-8 text")
    try:
        document = strict_json(text)
    except (ValueError, RecursionError) as error:
        return _malformed(f"not JSON: {error}")
    try:
        issued_form = canonical(document)
    except (TypeError, ValueError):
        return _malformed("not plain JSON")
    if data not in (issued_form, issued_form + b"\n"):
        return _malformed("not in the canonical form it was issued in (keys sorted, no spaces): changed or "
                          "reformatted since")
    return document


def _malformed(message: str, key_id: str | None = None) -> Verdict:
    return Verdict(MALFORMED, f"malformed: {message}", key_id=key_id)
