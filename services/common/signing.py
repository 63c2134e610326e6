"""Ed25519 signing: a key's id and its public key in the forms documents carry, the canonical JSON that signed
documents are made of, and whom a verifier trusts.

The deployment signs with one key per purpose (PURPOSES: credit statements, the audit chain's checkpoints, exports),
each rotatable, kept with its history under <data_dir>/keys/signing/ (services/common/signing_keys.py). A signed
artefact names its key id; a verifier never trusts the public key the artefact carries on its own, only
- a pinned key (`PinnedKey`): the artefact must name that very key, or
- the deployment's published key set (`KeySet`, GET /api/v1/keys): the key must be one of that purpose's keys, and
  what a retired key signs must be dated no later than its retirement (seconds, UTC).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import os
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)

ALGORITHM = "Ed25519"
PURPOSES = ("statements", "checkpoints", "exports")
"""What the deployment signs, each with its own keys."""
KEY_FIELDS = ("kid", "algorithm", "public_key", "public_key_pem", "created_at", "retired_at")
"""A published key's fields (GET /api/v1/keys)."""


# -- canonical JSON -----------------------------------------------------------------------------------
def canonical(value: Any) -> bytes:
    """Keys sorted, separators without spaces, non-ASCII as is, UTF-8; NaN and infinities refused."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False).encode()


# -- keys ---------------------------------------------------------------------------------------------
def load_or_create_signing_key(path: Path) -> Ed25519PrivateKey:
    """The deployment's signing key from its PEM file; on first use a new key is written there (mode 0600).

    Concurrent first uses (several API workers) agree on one key: the new file is written aside and linked into
    place, which fails when another process was first, and then that process's key is read."""
    path = Path(path)
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        pem = Ed25519PrivateKey.generate().private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
        fd, aside = tempfile.mkstemp(prefix=".signing-key-", dir=path.parent)  # mkstemp: mode 0600
        try:
            with os.fdopen(fd, "wb") as out:
                out.write(pem)
                out.flush()
                os.fsync(out.fileno())
            os.chmod(aside, 0o600)
            try:
                os.link(aside, path)
            except FileExistsError:
                pass  # another process created it first: use theirs
        finally:
            os.unlink(aside)
    key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise ValueError(f"{path} holds a {type(key).__name__}, not an Ed25519 private key")
    return key


def raw_public_key(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def key_id(key: Ed25519PublicKey) -> str:
    """The first 16 hex digits of the SHA-256 of the raw public key."""
    return hashlib.sha256(raw_public_key(key)).hexdigest()[:16]


def public_key_pem(key: Ed25519PublicKey) -> str:
    return key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()


def public_key_base64(key: Ed25519PublicKey) -> str:
    return base64.b64encode(raw_public_key(key)).decode("ascii")


def load_public_key(data: bytes | str) -> Ed25519PublicKey:
    """A public key as PEM (SubjectPublicKeyInfo) or as the base64 of the raw 32 bytes; ValueError otherwise."""
    text = data.decode("utf-8", "replace") if isinstance(data, bytes) else data
    text = text.strip()
    if text.startswith("-----BEGIN"):
        try:
            key = serialization.load_pem_public_key(text.encode())
        except (ValueError, TypeError) as error:
            raise ValueError(f"not a readable PEM public key: {error}") from None
        if not isinstance(key, Ed25519PublicKey):
            raise ValueError(f"the PEM holds a {type(key).__name__}, not an Ed25519 public key")
        return key
    raw = strict_base64(text)
    if raw is None or len(raw) != 32:
        raise ValueError("neither a PEM public key nor the base64 of a raw 32-byte Ed25519 public key")
    return Ed25519PublicKey.from_public_bytes(raw)


def public_key_from_base64(text: Any) -> Ed25519PublicKey | None:
    """The Ed25519 public key whose raw 32 bytes `text` is the strict base64 of; None when it is not one."""
    raw = strict_base64(text) if isinstance(text, str) else None
    if raw is None or len(raw) != 32:
        return None
    try:
        return Ed25519PublicKey.from_public_bytes(raw)
    except ValueError:
        return None


# -- encodings ----------------------------------------------------------------------------------------
def strict_base64(text: str) -> bytes | None:
    """Standard base64 with padding, in its one canonical spelling (unused bits zero); None otherwise."""
    try:
        raw = base64.b64decode(text.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError, ValueError):
        return None
    return raw if base64.b64encode(raw).decode("ascii") == text else None


def strict_json(text: str) -> Any:
    """Parse JSON refusing what a canonical document never holds: a key twice in one object, NaN or Infinity
    (ValueError)."""
    return json.loads(text, object_pairs_hook=_no_duplicate_keys, parse_constant=_no_constant)


def _no_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    keys = [k for k, _ in pairs]
    if len(set(keys)) != len(keys):
        raise ValueError("a key appears twice in one object")
    return dict(pairs)


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


# -- times ----------------------------------------------------------------------------------------------
def stamp(when: datetime | None = None) -> str:
    """A moment as signed documents give it: ISO 8601 UTC to the second, "YYYY-MM-DDTHH:MM:SSZ"."""
    return (when or datetime.now(UTC)).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def moment(text: Any) -> datetime | None:
    """The UTC moment (to the second) of an ISO 8601 text with a zone; None when it is not one."""
    if not isinstance(text, str):
        return None
    try:
        when = datetime.fromisoformat(text)
    except ValueError:
        return None
    if when.tzinfo is None:
        return None
    return when.astimezone(UTC).replace(microsecond=0)


# -- whom a verifier trusts ------------------------------------------------------------------------------
class Untrusted(Exception):
    """The artefact's key is not one the verifier trusts for it (the message says why)."""


@dataclass(frozen=True)
class PublishedKey:
    """One key of a purpose as the deployment publishes it: never a private byte."""

    purpose: str
    kid: str
    public: Ed25519PublicKey
    created_at: str
    retired_at: str | None
    """None: the current key, which signs; otherwise when the next key replaced it."""

    def as_dict(self) -> dict[str, Any]:
        return {"kid": self.kid, "algorithm": ALGORITHM, "public_key": public_key_base64(self.public),
                "public_key_pem": public_key_pem(self.public), "created_at": self.created_at,
                "retired_at": self.retired_at}


class PinnedKey:
    """Trust exactly one public key, whatever the purpose and the time (`--public-key`)."""

    lists_purposes = False

    def __init__(self, public: Ed25519PublicKey) -> None:
        self.public = public
        self.kid = key_id(public)

    def public_key(self, purpose: str, kid: str, signed_at: Any = None) -> Ed25519PublicKey:
        if kid != self.kid:
            raise Untrusted(f"signed with key {kid}, not with the pinned key {self.kid}")
        return self.public


class KeySet:
    """Trust the keys a deployment publishes, purpose by purpose, each up to its retirement (`--key-set`)."""

    lists_purposes = True

    def __init__(self, keys: Mapping[str, list[PublishedKey]]) -> None:
        self.keys = {purpose: list(keys.get(purpose, [])) for purpose in PURPOSES}

    def public_key(self, purpose: str, kid: str, signed_at: Any = None) -> Ed25519PublicKey:
        """The key `kid` of `purpose`, if it may have signed something dated `signed_at`; Untrusted otherwise."""
        for key in self.keys.get(purpose, []):
            if key.kid != kid:
                continue
            if key.retired_at is not None:
                when, retired = moment(signed_at), moment(key.retired_at)
                if when is None:
                    raise Untrusted(f"key {kid} was retired at {key.retired_at}, and the signing time {signed_at!r} "
                                    "is not a time")
                if retired is None or when > retired:
                    raise Untrusted(f"signed at {signed_at} with key {kid}, which was retired at {key.retired_at}: "
                                    "a retired key proves only what it signed before")
            return key.public
        known = ", ".join(k.kid for k in self.keys.get(purpose, [])) or "none"
        raise Untrusted(f"key {kid} is not one of the deployment's {purpose} keys ({known})")

    def current(self, purpose: str) -> PublishedKey | None:
        return next((k for k in reversed(self.keys.get(purpose, [])) if k.retired_at is None), None)

    def document(self) -> dict[str, Any]:
        """The published key set (GET /api/v1/keys): per purpose, its keys oldest first."""
        return {purpose: [k.as_dict() for k in self.keys[purpose]] for purpose in PURPOSES}

    @classmethod
    def from_document(cls, document: Any) -> KeySet:
        """A key set as GET /api/v1/keys answers it; ValueError naming what is wrong."""
        if not isinstance(document, Mapping) or not set(PURPOSES) <= set(document):
            raise ValueError(f"a key set is an object with {', '.join(PURPOSES)}")
        keys: dict[str, list[PublishedKey]] = {}
        for purpose in PURPOSES:
            entries = document[purpose]
            if not isinstance(entries, list):
                raise ValueError(f"{purpose} is not a list of keys")
            keys[purpose] = [_published(purpose, entry) for entry in entries]
        return cls(keys)


def _published(purpose: str, entry: Any) -> PublishedKey:
    if not isinstance(entry, Mapping) or not set(KEY_FIELDS) <= set(entry):
        raise ValueError(f"a key of {purpose} has the fields {', '.join(KEY_FIELDS)}")
    if entry["algorithm"] != ALGORITHM:
        raise ValueError(f"a key of {purpose} is {entry['algorithm']!r}; only {ALGORITHM} is used")
    public = public_key_from_base64(entry["public_key"])
    if public is None:
        raise ValueError(f"a key of {purpose}: public_key is not the base64 of a raw 32-byte Ed25519 public key")
    if entry["kid"] != key_id(public):
        raise ValueError(f"a key of {purpose}: kid {entry['kid']!r} is not the id of its public key ({key_id(public)})")
    pem = entry["public_key_pem"]
    if pem is not None and (not isinstance(pem, str) or raw_public_key(load_public_key(pem)) != raw_public_key(public)):
        raise ValueError(f"key {entry['kid']} of {purpose}: its PEM is not its public key")
    if moment(entry["created_at"]) is None or (entry["retired_at"] is not None and moment(entry["retired_at"]) is None):
        raise ValueError(f"key {entry['kid']} of {purpose}: created_at and retired_at are ISO 8601 times (or null)")
    return PublishedKey(purpose, entry["kid"], public, entry["created_at"], entry["retired_at"])


def read_key_set(data: bytes) -> KeySet:
    """A key set file (the JSON of GET /api/v1/keys); ValueError naming what is wrong."""
    try:
        document = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as error:
        raise ValueError(f"not a JSON key set: {error}") from None
    return KeySet.from_document(document)


Trust = PinnedKey | KeySet
"""Whom a verifier trusts."""


def trust_of(given: Ed25519PublicKey | PinnedKey | KeySet | None) -> PinnedKey | KeySet | None:
    """A bare public key is a pinned one."""
    return PinnedKey(given) if isinstance(given, Ed25519PublicKey) else given


NO_TRUST = ("no trusted key to check it against: the public key a file carries proves nothing on its own (anyone can "
            "re-sign a changed file with a key of theirs); pin the deployment's key (--public-key FILE), or give its "
            "published key set (--key-set FILE: GET /api/v1/keys saved), or on the deployment itself --deployment")
