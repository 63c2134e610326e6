"""Schemas of the published signing keys (GET /api/v1/keys): public keys only, never a private byte."""

from __future__ import annotations

from marshmallow import Schema, fields


class PublishedKeySchema(Schema):
    """One signing key of a purpose."""

    kid = fields.String(required=True, metadata={
        "description": "The key id artefacts name (`key_id`): the first 16 hex digits of the SHA-256 of the raw key"})
    algorithm = fields.String(required=True, metadata={"description": "Always Ed25519"})
    public_key = fields.String(required=True, metadata={"description": "The raw 32-byte public key, base64"})
    public_key_pem = fields.String(required=True, metadata={"description": "The same key, PEM (SubjectPublicKeyInfo)"})
    created_at = fields.String(required=True, metadata={"description": "When it was made (ISO 8601 UTC, seconds)"})
    retired_at = fields.String(required=True, allow_none=True, metadata={
        "description": "null: the current key, which signs now; otherwise when the next key replaced it: it verifies "
                       "only what is dated no later than this"})


class KeySetSchema(Schema):
    """The deployment's signing keys, per purpose, oldest first. Save it and verify with `--key-set FILE`."""

    statements = fields.List(fields.Nested(PublishedKeySchema), required=True, metadata={
        "description": "The keys of signed credit statements (their `signature.key_id`, dated by `issued_at`)"})
    checkpoints = fields.List(fields.Nested(PublishedKeySchema), required=True, metadata={
        "description": "The keys of the audit chain's checkpoints (their `key_id`, dated by `signed_at`)"})
    exports = fields.List(fields.Nested(PublishedKeySchema), required=True, metadata={
        "description": "The keys of audit exports' headers (`public_key.key_id`, dated by `exported_at`)"})
