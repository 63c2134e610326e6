"""The export file's format: a student's or a centre's full record as JSON lines with chain proofs.

The file (application/x-ndjson, UTF-8) is one JSON object per line, each in canonical form (keys sorted, no spaces,
non-ASCII as is) and ended by "\\n"; only that spelling verifies, so any changed byte makes the file fail.

Line 1, the header, signed with the deployment's current `exports` key:

    {"type": "dualtrack.audit.export.v1", "what": "student" | "centre", "id", "exported_at",
     "leaf_encoding": "dualtrack.audit.leaf.v1",
     "public_key": {"algorithm": "Ed25519", "key_id", "value": base64 of the raw 32 bytes},
     "checkpoints": [{"context", "position", "hash", "signed_at", "key_id", "signature"}, ...],
     "checkpoint_keys": [{"algorithm": "Ed25519", "key_id", "value"}, ...],  the checkpoints' signers (absent from
                                                 exports taken before key sets: their checkpoints are signed by the
                                                 header's key)
     "sealed": [contexts whose stored states are compressed or encrypted],
     "index": [[context, position], ...],        one pair per event line, in the order of the lines
     "signature": base64 of the Ed25519 signature of the canonical JSON of the header without "signature"}

Then one line per event:

    {"context", "position", "originator_id", "version", "topic",
     "state": the stored state decoded to JSON (as eventsourcing stores it: dates as {"_type_", "_data_"}),
     "stored_state": base64 of the stored state bytes exactly as the store holds them,
     "proof": {"checkpoint": the position of the context's checkpoint that covers the event (in the header),
               "previous_hash": hex of the chain's hash before the event's position,
               "leaves": [hex of the leaf of every chained position after the event's, up to the checkpoint's]}}

To verify a line: leaf = SHA-256 of the canonical bytes of (position, originator_id, version, topic, stored_state)
(services.audit.chain.format), h = SHA-256(previous_hash || leaf), then h = SHA-256(h || l) for each l of `leaves`: h
must be the hash of the named checkpoint, whose signature the header carries.

The public keys in the header are never trusted on their own: the header's key must be the pinned key or one of the
deployment's `exports` keys (GET /api/v1/keys), and with a key set each checkpoint's key one of its `checkpoints`
keys (with a pinned key, the checkpoints' keys are those the header, signed by the pinned key, vouches for); a
retired key verifies only what is dated no later than its retirement. `state` must be the JSON that
`stored_state` holds (unless its context is sealed: then `state` is what the deployment decrypted, not proven).
The verifier sees the digests of other people's events, never their contents.
"""

from __future__ import annotations

import json
from typing import Any

EXPORT_TYPE = "dualtrack.audit.export.v1"
MEDIA_TYPE = "application/x-ndjson"
WHAT = ("student", "centre")
HEADER_FIELDS = {"type", "what", "id", "exported_at", "leaf_encoding", "public_key", "checkpoints", "checkpoint_keys",
                 "sealed", "index", "signature"}
OLD_HEADER_FIELDS = HEADER_FIELDS - {"checkpoint_keys"}
"""An export taken before key sets: one key signed its header and its checkpoints."""
KEY_FIELDS = {"algorithm", "key_id", "value"}
LINE_FIELDS = {"context", "position", "originator_id", "version", "topic", "state", "stored_state", "proof"}
PROOF_FIELDS = {"checkpoint", "previous_hash", "leaves"}
CHECKPOINT_FIELDS = {"context", "position", "hash", "signed_at", "key_id", "signature"}


def json_or_none(data: bytes) -> Any:
    """The JSON value of UTF-8 bytes; None when they are not JSON."""
    try:
        return json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return None
