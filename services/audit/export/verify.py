"""Verifying an export offline, with nothing but the file and a trusted key: the deployment's pinned public key or its
published key set (GET /api/v1/keys). The header's signature and checkpoints, then every line's proof; the verdict
names the first bad line. Without a trusted key nothing verifies: the keys the file carries prove nothing alone."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from services.audit.chain import LEAF_ENCODING, Checkpoint, fold, leaf
from services.audit.export.format import (
    CHECKPOINT_FIELDS,
    EXPORT_TYPE,
    HEADER_FIELDS,
    KEY_FIELDS,
    LINE_FIELDS,
    OLD_HEADER_FIELDS,
    PROOF_FIELDS,
    WHAT,
    json_or_none,
)
from services.common.signing import (
    ALGORITHM,
    NO_TRUST,
    KeySet,
    PinnedKey,
    Untrusted,
    canonical,
    key_id,
    public_key_from_base64,
    raw_public_key,
    strict_base64,
    strict_json,
    trust_of,
)

PURPOSE = "exports"
"""The purpose of the deployment's keys that sign exports' headers."""

_HEX64 = re.compile(r"^[0-9a-f]{64}$")


@dataclass(frozen=True)
class ExportVerdict:
    """ok, or the first bad line (1: the header) and what is wrong with it."""

    ok: bool
    message: str
    line: int | None = None
    header: dict[str, Any] | None = None
    events: int = 0


def verify_export(data: bytes, trusted: Ed25519PublicKey | PinnedKey | KeySet | None = None) -> ExportVerdict:
    """Check an export file as taken (bytes) against a pinned public key or the deployment's key set: the header's
    signature and checkpoints, then every line's proof. Without either it is never ok (the file is still checked
    with the keys it carries, to name a changed line)."""
    trust = trust_of(trusted)
    raw_lines = data.split(b"\n")
    if raw_lines[-1] == b"":
        raw_lines.pop()
    else:
        return _bad(len(raw_lines), "the line does not end with a newline (the file was cut or changed)")
    if not raw_lines:
        return _bad(1, "the file is empty")
    header = _parse_line(raw_lines[0])
    if isinstance(header, str):
        return _bad(1, f"header: {header}")
    problem, public, checkpoints = _check_header(header, trust)
    if problem:
        return _bad(1, f"header: {problem}")
    assert public is not None
    index = header["index"]
    sealed = set(header["sealed"])
    for number, raw in enumerate(raw_lines[1:], start=2):
        if number - 2 >= len(index):
            return _bad(number, f"the header lists {len(index)} events; this line is not one of them")
        line = _parse_line(raw)
        if isinstance(line, str):
            return _bad(number, line)
        problem = _check_line(line, index[number - 2], checkpoints, sealed)
        if problem:
            return _bad(number, problem)
    if len(raw_lines) - 1 < len(index):
        return _bad(len(raw_lines) + 1, f"missing: the header lists {len(index)} events, the file holds "
                                        f"{len(raw_lines) - 1}")
    note = f"; the states of {', '.join(sorted(sealed))} are stored encrypted or compressed and not checked" \
        if sealed else ""
    if trust is None:
        return ExportVerdict(False, f"intact as far as the keys it carries go, but {NO_TRUST}", None, header,
                             len(index))
    how = "the pinned key" if isinstance(trust, PinnedKey) else "an exports key of the trusted key set"
    return ExportVerdict(True, f"{len(index)} events of {header['what']} {header['id']}, proven up to "
                               f"{len(checkpoints)} checkpoint(s); signed by key {header['public_key']['key_id']}, "
                               f"{how}{note}", None, header, len(index))


def _bad(line: int, message: str) -> ExportVerdict:
    return ExportVerdict(False, f"line {line}: {message}", line)


def _parse_line(raw: bytes) -> dict[str, Any] | str:
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return "not UTF-8 text"
    try:
        value = strict_json(text)
    except (ValueError, RecursionError) as error:
        return f"not JSON: {error}"
    if not isinstance(value, dict):
        return "not a JSON object"
    try:
        spelled = canonical(value)
    except (TypeError, ValueError):
        return "not plain JSON"
    if spelled != raw:
        return "not in the canonical form it was exported in (keys sorted, no spaces): changed since"
    return value


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _check_header(header: Mapping[str, Any], trust: PinnedKey | KeySet | None
                  ) -> tuple[str | None, Ed25519PublicKey | None, dict[tuple[str, int], Checkpoint]]:
    if set(header) not in (HEADER_FIELDS, OLD_HEADER_FIELDS):
        return f"an export header has exactly the fields {', '.join(sorted(HEADER_FIELDS))}", None, {}
    if header["type"] != EXPORT_TYPE or header["leaf_encoding"] != LEAF_ENCODING:
        return f"not a {EXPORT_TYPE} export with {LEAF_ENCODING} leaves", None, {}
    if header["what"] not in WHAT or not isinstance(header["id"], str) or not isinstance(header["exported_at"], str):
        return "what, id or exported_at is malformed", None, {}
    given = header["public_key"]
    if not isinstance(given, dict) or set(given) != {"algorithm", "key_id", "value"} or given["algorithm"] != ALGORITHM:
        return "public_key is not an Ed25519 key as {algorithm, key_id, value}", None, {}
    public = public_key_from_base64(given["value"])
    if public is None:
        return "public_key.value is not the base64 of a raw 32-byte Ed25519 public key", None, {}
    if given["key_id"] != key_id(public):
        return "public_key.key_id is not the id of the key given", None, {}
    if trust is not None:
        try:
            trusted = trust.public_key(PURPOSE, key_id(public), header["exported_at"])
        except Untrusted as error:
            return str(error), None, {}
        if raw_public_key(trusted) != raw_public_key(public):
            return f"the header carries another public key than the trusted key {key_id(public)}", None, {}
    signature = strict_base64(header["signature"]) if isinstance(header["signature"], str) else None
    if signature is None or len(signature) != 64:
        return "signature is not the base64 of a 64-byte Ed25519 signature", None, {}
    unsigned = {k: v for k, v in header.items() if k != "signature"}
    try:
        public.verify(signature, canonical(unsigned))
    except InvalidSignature:
        return f"the signature does not match the header: changed after key {key_id(public)} signed it", None, {}
    if not isinstance(header["sealed"], list) or not all(isinstance(c, str) for c in header["sealed"]):
        return "sealed is not a list of contexts", None, {}
    vouched = _vouched_keys(header, public)
    if isinstance(vouched, str):
        return vouched, None, {}
    checkpoints: dict[tuple[str, int], Checkpoint] = {}
    if not isinstance(header["checkpoints"], list):
        return "checkpoints is not a list", None, {}
    for entry in header["checkpoints"]:
        if not isinstance(entry, dict) or set(entry) != CHECKPOINT_FIELDS or not _is_int(entry["position"]) \
                or not all(isinstance(entry[f], str) for f in CHECKPOINT_FIELDS - {"position"}) \
                or not _HEX64.match(entry["hash"]):
            return f"a checkpoint is malformed: {entry!r}", None, {}
        cp = Checkpoint(**entry)
        problem = _checkpoint_problem(cp, vouched, trust)
        if problem:
            return f"the checkpoint of {cp.context} at {cp.position} does not verify: {problem}", None, {}
        checkpoints[(cp.context, cp.position)] = cp
    index = header["index"]
    if not isinstance(index, list) or not all(
            isinstance(pair, list) and len(pair) == 2 and isinstance(pair[0], str) and _is_int(pair[1])
            for pair in index):
        return "index is not a list of [context, position] pairs", None, {}
    if len({tuple(pair) for pair in index}) != len(index):
        return "index names an event twice", None, {}
    return None, public, checkpoints


def _vouched_keys(header: Mapping[str, Any], public: Ed25519PublicKey) -> dict[str, Ed25519PublicKey] | str:
    """The checkpoints' keys the (signed) header carries, by key id; the header's own key among them (an export
    taken before key sets signed its checkpoints with it). A text saying what is wrong otherwise."""
    vouched = {key_id(public): public}
    entries = header.get("checkpoint_keys", [])
    if not isinstance(entries, list):
        return "checkpoint_keys is not a list"
    for entry in entries:
        given = public_key_from_base64(entry.get("value")) if isinstance(entry, dict) else None
        if not isinstance(entry, dict) or set(entry) != KEY_FIELDS or entry["algorithm"] != ALGORITHM \
                or given is None or entry["key_id"] != key_id(given):
            return f"a checkpoint key is not an Ed25519 key as {{algorithm, key_id, value}}: {entry!r}"
        vouched[entry["key_id"]] = given
    return vouched


def _checkpoint_problem(cp: Checkpoint, vouched: Mapping[str, Ed25519PublicKey],
                        trust: PinnedKey | KeySet | None) -> str | None:
    """With a key set, a checkpoint's key must be one of its checkpoints keys; with a pinned key (or none), one the
    header (signed by that key) carries."""
    if isinstance(trust, KeySet):
        try:
            public = trust.public_key("checkpoints", cp.key_id, cp.signed_at)
        except Untrusted as error:
            return str(error)
    elif cp.key_id in vouched:
        public = vouched[cp.key_id]
    else:
        return f"its key {cp.key_id} is not one the header carries"
    return None if cp.verifies(public) else f"its signature does not match (key {cp.key_id})"


def _check_line(line: Mapping[str, Any], listed: list[Any], checkpoints: Mapping[tuple[str, int], Checkpoint],
                sealed: set[str]) -> str | None:
    if set(line) != LINE_FIELDS:
        return f"an event line has exactly the fields {', '.join(sorted(LINE_FIELDS))}"
    context, position = line["context"], line["position"]
    if not isinstance(context, str) or not _is_int(position) or [context, position] != listed:
        return f"the header lists {listed[0]} position {listed[1]} here, not {context} position {position}"
    if not isinstance(line["originator_id"], str) or not _is_int(line["version"]) or not isinstance(line["topic"], str):
        return "originator_id, version or topic is malformed"
    stored = strict_base64(line["stored_state"]) if isinstance(line["stored_state"], str) else None
    if stored is None:
        return "stored_state is not base64"
    if context not in sealed:
        parsed = json_or_none(stored)
        if (canonical(parsed) if parsed is not None else b"null") != canonical(line["state"]):
            return f"state is not what stored_state holds ({context} position {position}): it was changed"
    proof = line["proof"]
    if not isinstance(proof, dict) or set(proof) != PROOF_FIELDS or not _is_int(proof["checkpoint"]) \
            or not isinstance(proof["previous_hash"], str) or not _HEX64.match(proof["previous_hash"]) \
            or not isinstance(proof["leaves"], list) \
            or not all(isinstance(d, str) and _HEX64.match(d) for d in proof["leaves"]):
        return "proof is not {checkpoint, previous_hash, leaves} with hex digests"
    cp = checkpoints.get((context, proof["checkpoint"]))
    if cp is None or cp.position < position:
        return f"proof names no checkpoint of {context} at or after position {position} that the header carries"
    own = leaf(position, line["originator_id"], line["version"], line["topic"], stored)
    digests = [own] + [bytes.fromhex(d) for d in proof["leaves"]]
    if fold(bytes.fromhex(proof["previous_hash"]), digests).hex() != cp.hash:
        return (f"the proof of {context} position {position} does not fold to the checkpoint signed at "
                f"{cp.position}: the event or its proof was changed")
    return None
