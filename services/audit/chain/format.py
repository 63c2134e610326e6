"""The chain's format: the canonical bytes of a notification (the leaf's preimage), the hashes that link the
leaves, and the signed checkpoints; pure functions, all a verifier needs.

Canonical bytes of a notification, every integer unsigned 64-bit big-endian (u64):

    b"dualtrack.audit.leaf.v1\\x00"         24 bytes of domain separation
    u64(position)                           the notification id
    u64(len(id))       id                   the originator id as UTF-8 text: str(UUID), lowercase with hyphens
                                            (a non-UUID originator id: its text as the recorder returns it)
    u64(originator_version)
    u64(len(topic))    topic                UTF-8
    u64(len(state))    state                the stored state bytes exactly as the recorder returns them (after
                                            eventsourcing's transcoder, and its compressor and cipher if any)

    leaf_i = SHA-256(canonical bytes of notification i)
    hash_i = SHA-256(hash_prev || leaf_i)   hash_prev: the hash of the chained position before i;
                                            32 zero bytes before the first

Positions are notification ids. They are increasing but may have gaps (a PostgreSQL sequence skips the value of an
insert that rolled back, e.g. a version conflict): the chain covers the positions the log held when it was extended,
in order, and a gap it skipped must stay a gap.

A checkpoint's signature: base64 of the Ed25519 signature of the canonical JSON (keys sorted, no spaces, UTF-8) of
{"algorithm": "Ed25519", "context", "hash", "key_id", "position", "signed_at", "type": "dualtrack.audit.checkpoint.v1"}
(hash: 64 lowercase hex digits; signed_at: ISO 8601 UTC "YYYY-MM-DDTHH:MM:SSZ").
"""

from __future__ import annotations

import base64
import hashlib
import struct
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)

from services.common.signing import ALGORITHM, canonical, key_id, strict_base64

LEAF_DOMAIN = b"dualtrack.audit.leaf.v1\x00"
LEAF_ENCODING = "dualtrack.audit.leaf.v1"
CHECKPOINT_TYPE = "dualtrack.audit.checkpoint.v1"
GENESIS = bytes(32)
"""The hash before the first chained position."""


def originator_text(originator_id: Any) -> str:
    return str(originator_id) if isinstance(originator_id, UUID) else str(originator_id)


def leaf_bytes(position: int, originator_id: Any, originator_version: int, topic: str, state: bytes) -> bytes:
    """The canonical bytes of a notification (see the module's docstring)."""
    ident = originator_text(originator_id).encode("utf-8")
    name = topic.encode("utf-8")
    return b"".join((
        LEAF_DOMAIN,
        struct.pack(">Q", position),
        struct.pack(">Q", len(ident)), ident,
        struct.pack(">Q", originator_version),
        struct.pack(">Q", len(name)), name,
        struct.pack(">Q", len(state)), bytes(state),
    ))


def leaf(position: int, originator_id: Any, originator_version: int, topic: str, state: bytes) -> bytes:
    return hashlib.sha256(leaf_bytes(position, originator_id, originator_version, topic, state)).digest()


def leaf_of(notification: Any) -> bytes:
    """The leaf of an eventsourcing Notification (id, originator_id, originator_version, topic, state)."""
    n = notification
    return leaf(n.id, n.originator_id, n.originator_version, n.topic, n.state)


def link(previous: bytes, leaf_digest: bytes) -> bytes:
    return hashlib.sha256(previous + leaf_digest).digest()


def fold(previous: bytes, leaves: Sequence[bytes]) -> bytes:
    for digest in leaves:
        previous = link(previous, digest)
    return previous


@dataclass(frozen=True)
class Checkpoint:
    """A signed statement that the chain of `context` had `hash` at `position`."""

    context: str
    position: int
    hash: str
    """64 lowercase hex digits."""
    signed_at: str
    key_id: str
    signature: str
    """Base64 of the Ed25519 signature of `checkpoint_message(...)`."""

    def message(self) -> bytes:
        return checkpoint_message(self.context, self.position, self.hash, self.signed_at, self.key_id)

    def verifies(self, public_key: Ed25519PublicKey) -> bool:
        """The signature matches the fields and was made with `public_key`."""
        if self.key_id != key_id(public_key):
            return False
        raw = strict_base64(self.signature) if isinstance(self.signature, str) else None
        if raw is None or len(raw) != 64:
            return False
        try:
            public_key.verify(raw, self.message())
        except (InvalidSignature, TypeError, ValueError):
            return False
        return True

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def checkpoint_message(context: str, position: int, hash_hex: str, signed_at: str, signer: str) -> bytes:
    """The bytes a checkpoint's signature is over (see the module's docstring)."""
    return canonical({"algorithm": ALGORITHM, "context": context, "hash": hash_hex, "key_id": signer,
                      "position": position, "signed_at": signed_at, "type": CHECKPOINT_TYPE})


def sign_checkpoint(context: str, position: int, hash_digest: bytes, key: Ed25519PrivateKey,
                    signed_at: datetime | None = None) -> Checkpoint:
    when = (signed_at or datetime.now(UTC)).astimezone(UTC).replace(microsecond=0)
    stamp = when.strftime("%Y-%m-%dT%H:%M:%SZ")
    signer = key_id(key.public_key())
    message = checkpoint_message(context, position, hash_digest.hex(), stamp, signer)
    return Checkpoint(context, position, hash_digest.hex(), stamp, signer,
                      base64.b64encode(key.sign(message)).decode("ascii"))
