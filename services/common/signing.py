"""The deployment's Ed25519 signing key: loaded from its PEM file (created on first use), its id and its public
key in the forms documents carry; and the canonical JSON that signed documents are made of.

Credit statements (services/credentials/statement.py) and the audit chain's checkpoints and exports
(services/audit/) are signed with this one key (Settings.signing_key_file, DUALTRACK_SIGNING_KEY).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import os
import tempfile
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)

ALGORITHM = "Ed25519"


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
