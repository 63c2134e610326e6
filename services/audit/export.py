"""A student's or a centre's full record as JSON lines with chain proofs, verifiable offline.

The file (application/x-ndjson, UTF-8) is one JSON object per line, each in canonical form (keys sorted, no spaces,
non-ASCII as is) and ended by "\\n"; only that spelling verifies, so any changed byte makes the file fail.

Line 1, the header, signed with the deployment's Ed25519 key:

    {"type": "dualtrack.audit.export.v1", "what": "student" | "centre", "id", "exported_at",
     "leaf_encoding": "dualtrack.audit.leaf.v1",
     "public_key": {"algorithm": "Ed25519", "key_id", "value": base64 of the raw 32 bytes},
     "checkpoints": [{"context", "position", "hash", "signed_at", "key_id", "signature"}, ...],
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
(services/audit/chain.py), h = SHA-256(previous_hash || leaf), then h = SHA-256(h || l) for each l of `leaves`: h
must be the hash of the named checkpoint, whose signature the header carries. `state` must be the JSON that
`stored_state` holds (unless its context is sealed: then `state` is what the deployment decrypted, not proven).
The verifier sees the digests of other people's events, never their contents.

Which events concern whom:
  student S: placements, the Student aggregate S (their enrolment and every placement of theirs); training, their
             training record (training_record_id(S)); credentials, their credit account (credit_account_id(S)) and
             the order classes that name S; schedules, the rotation plans whose content names S (whole plans);
             audit (when the context exists), the log of reads of S's personal data.
  centre C:  placements, the TrainingCentre aggregate C and the events of every placement proposed at C (from the
             students' aggregates, only the events of those placements); schedules, the plans that name C.
"""

from __future__ import annotations

import base64
import json
import re
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, BinaryIO, Callable, Iterable, Mapping
from uuid import UUID

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from services.audit.chain import (
    GENESIS,
    LEAF_ENCODING,
    AuditChain,
    Checkpoint,
    fold,
    leaf,
    leaf_of,
    originator_text,
)
from services.common.signing import (
    ALGORITHM,
    canonical,
    key_id,
    public_key_base64,
    public_key_from_base64,
    raw_public_key,
    strict_base64,
    strict_json,
)

EXPORT_TYPE = "dualtrack.audit.export.v1"
STUDENT_MENTIONS = ("schedules", "credentials", "audit")
"""Contexts where a student's record includes every aggregate whose events name the student."""
CENTRE_MENTIONS = ("schedules",)
"""Contexts where a centre's record includes every aggregate whose events name the centre."""
MEDIA_TYPE = "application/x-ndjson"
WHAT = ("student", "centre")
HEADER_FIELDS = {"type", "what", "id", "exported_at", "leaf_encoding", "public_key", "checkpoints", "sealed", "index",
                 "signature"}
LINE_FIELDS = {"context", "position", "originator_id", "version", "topic", "state", "stored_state", "proof"}
PROOF_FIELDS = {"checkpoint", "previous_hash", "leaves"}
CHECKPOINT_FIELDS = {"context", "position", "hash", "signed_at", "key_id", "signature"}
_HEX64 = re.compile(r"^[0-9a-f]{64}$")


class TamperDetected(Exception):
    """The store does not verify: an export taken now would not prove anything."""


# -- taking an export -----------------------------------------------------------------------------------
def export_record(container: Any, what: str, ident: str, key: Ed25519PrivateKey, out: BinaryIO,
                  *, contexts: Iterable[str] | None = None, now: datetime | None = None) -> int:
    """Write the export of a student's or centre's record to `out`; the number of event lines.

    Every context's chain is extended and checkpointed first, so the export is provable up to now. NotFound for an
    unknown student or centre; TamperDetected when an exported event is not what its chain row holds."""
    if what not in WHAT:
        raise ValueError(f"export a student or a centre, not {what!r}")
    subject = str(UUID(str(ident)))
    _require_exists(container, what, subject)
    names = list(contexts or container.apps())
    chains = {c: container.chain(c) for c in names}
    try:
        for chain in chains.values():
            chain.extend()
            chain.checkpoint(key)
        lines: list[dict[str, Any]] = []
        used: dict[tuple[str, int], Checkpoint] = {}
        sealed = []
        for context in names:
            app = container.app(context)
            if app.mapper.cipher is not None or app.mapper.compressor is not None:
                sealed.append(context)
            decode = _state_decoder(app)
            chain = chains[context]
            chained_to = chain.head()[0]
            selected = _select(context, what, subject, chain, chained_to, decode)
            lines.extend(_with_proofs(chain, selected, used, decode))
    finally:
        for chain in chains.values():
            chain.close()
    public = key.public_key()
    header: dict[str, Any] = {
        "type": EXPORT_TYPE,
        "what": what,
        "id": subject,
        "exported_at": _stamp(now),
        "leaf_encoding": LEAF_ENCODING,
        "public_key": {"algorithm": ALGORITHM, "key_id": key_id(public), "value": public_key_base64(public)},
        "checkpoints": [cp.as_dict() for cp in sorted(used.values(), key=lambda c: (names.index(c.context),
                                                                                      c.position))],
        "sealed": sealed,
        "index": [[line["context"], line["position"]] for line in lines],
    }
    header["signature"] = base64.b64encode(key.sign(canonical(header))).decode("ascii")
    out.write(canonical(header) + b"\n")
    for line in lines:
        out.write(canonical(line) + b"\n")
    return len(lines)


def _require_exists(container: Any, what: str, subject: str) -> None:
    from services.placements.domain.enterprise import TrainingCentre
    from services.placements.domain.student import Student

    kind = Student if what == "student" else TrainingCentre
    container.app("placements").load(kind, UUID(subject))  # NotFound when there is no such student or centre


def _stamp(now: datetime | None) -> str:
    when = (now or datetime.now(timezone.utc)).astimezone(timezone.utc).replace(microsecond=0)
    return when.strftime("%Y-%m-%dT%H:%M:%SZ")


def _state_decoder(app: Any) -> Callable[[bytes], bytes]:
    """Stored state bytes → the transcoder's JSON bytes (undoing eventsourcing's cipher, then its compressor)."""
    cipher, compressor = app.mapper.cipher, app.mapper.compressor

    def decode(state: bytes) -> bytes:
        if cipher is not None:
            state = cipher.decrypt(state)
        if compressor is not None:
            state = compressor.decompress(state)
        return state

    return decode


def _json_or_none(data: bytes) -> Any:
    try:
        return json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return None


# -- which events -----------------------------------------------------------------------------------------
def _select(context: str, what: str, subject: str, chain: AuditChain, chained_to: int,
            decode: Callable[[bytes], bytes]) -> list[Any]:
    """The notifications of `context` (chained ones) that concern the student or centre, in log order."""
    if chained_to == 0:
        return []
    mention = subject.encode()
    own: set[str] = set()
    mentioning: set[str] = set()
    placements: set[str] = set()
    if what == "student":
        if context == "placements":
            own.add(subject)
        elif context == "training":
            from services.training.domain.record import training_record_id

            own.add(str(training_record_id(subject)))
        elif context == "credentials":
            from services.credentials.domain.account import credit_account_id

            own.add(str(credit_account_id(subject)))
    elif context == "placements":
        own.add(subject)
    scans_mentions = context in (STUDENT_MENTIONS if what == "student" else CENTRE_MENTIONS)
    finds_placements = what == "centre" and context == "placements"
    if scans_mentions or finds_placements:
        for n in chain.notifications(upto=chained_to):
            if scans_mentions and mention in decode(n.state):
                mentioning.add(originator_text(n.originator_id))
            if finds_placements and n.topic.endswith(":PlacementProposed"):
                state = _json_or_none(decode(n.state)) or {}
                if state.get("centre_id") == subject:
                    placements.add(str(state.get("placement_id")))
    selected = []
    for n in chain.notifications(upto=chained_to):
        aggregate = originator_text(n.originator_id)
        if aggregate in own or aggregate in mentioning:
            selected.append(n)
        elif placements:
            state = _json_or_none(decode(n.state))
            if isinstance(state, dict) and state.get("placement_id") in placements:
                selected.append(n)
    return selected


# -- proofs -----------------------------------------------------------------------------------------------
def _with_proofs(chain: AuditChain, selected: list[Any], used: dict[tuple[str, int], Checkpoint],
                 decode: Callable[[bytes], bytes]) -> list[dict[str, Any]]:
    """The export's lines of the selected notifications, each with its proof up to its covering checkpoint.

    The chain rows are read one checkpoint interval at a time: (previous checkpoint, covering checkpoint]."""
    lines = []
    window: tuple[int, list[tuple[int, bytes, bytes]], dict[int, int]] | None = None
    for n in selected:
        cp = chain.covering_checkpoint(n.id)
        if cp is None:
            raise TamperDetected(f"{chain.context}: no checkpoint covers position {n.id}")
        if window is None or window[0] != cp.position:
            before = chain.row_before(n.id)
            rows = ([before] if before else []) + list(chain.rows(after=before[0] if before else None,
                                                                  upto=cp.position))
            window = (cp.position, rows, {r[0]: i for i, r in enumerate(rows)})
        _, rows, index = window
        at = index.get(n.id)
        if at is None:
            raise TamperDetected(f"{chain.context}: position {n.id} is in the log but not in the chain")
        if leaf_of(n) != rows[at][1]:
            raise TamperDetected(f"{chain.context}: the event at {n.id} is not what was chained; run "
                                 f"`dualtrack audit verify --context {chain.context}`")
        previous = rows[at - 1][2] if at > 0 else GENESIS  # at 0: no chained position before this one
        if fold(previous, [r[1] for r in rows[at:]]).hex() != cp.hash:
            raise TamperDetected(f"{chain.context}: the chain up to {cp.position} does not fold to its signed "
                                 f"checkpoint; run `dualtrack audit verify --context {chain.context}`")
        used[(cp.context, cp.position)] = cp
        decoded = decode(n.state)
        lines.append({
            "context": chain.context,
            "position": n.id,
            "originator_id": originator_text(n.originator_id),
            "version": n.originator_version,
            "topic": n.topic,
            "state": _json_or_none(decoded),
            "stored_state": base64.b64encode(bytes(n.state)).decode("ascii"),
            "proof": {"checkpoint": cp.position, "previous_hash": previous.hex(),
                      "leaves": [r[1].hex() for r in rows[at + 1:]]},
        })
    return lines


# -- verifying an export offline ----------------------------------------------------------------------------
@dataclass(frozen=True)
class ExportVerdict:
    """ok, or the first bad line (1: the header) and what is wrong with it."""

    ok: bool
    message: str
    line: int | None = None
    header: dict[str, Any] | None = None
    events: int = 0


def verify_export(data: bytes, expected_public_key: Ed25519PublicKey | None = None) -> ExportVerdict:
    """Check an export file as taken (bytes): the header's signature and checkpoints, then every line's proof."""
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
    problem, public, checkpoints = _check_header(header, expected_public_key)
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
    pinned = "" if expected_public_key is not None else " (key not pinned: pass the deployment's public key to " \
                                                        "check who signed it)"
    return ExportVerdict(True, f"{len(index)} events of {header['what']} {header['id']}, proven up to "
                               f"{len(checkpoints)} checkpoint(s) signed by key {header['public_key']['key_id']}"
                               f"{pinned}{note}", None, header, len(index))


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


def _check_header(header: Mapping[str, Any], expected: Ed25519PublicKey | None
                  ) -> tuple[str | None, Ed25519PublicKey | None, dict[tuple[str, int], Checkpoint]]:
    if set(header) != HEADER_FIELDS:
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
    if expected is not None and raw_public_key(expected) != raw_public_key(public):
        return f"signed with key {key_id(public)}, not with the expected key {key_id(expected)}", None, {}
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
    checkpoints: dict[tuple[str, int], Checkpoint] = {}
    if not isinstance(header["checkpoints"], list):
        return "checkpoints is not a list", None, {}
    for entry in header["checkpoints"]:
        if not isinstance(entry, dict) or set(entry) != CHECKPOINT_FIELDS or not _is_int(entry["position"]) \
                or not all(isinstance(entry[f], str) for f in CHECKPOINT_FIELDS - {"position"}) \
                or not _HEX64.match(entry["hash"]):
            return f"a checkpoint is malformed: {entry!r}", None, {}
        cp = Checkpoint(**entry)
        if not cp.verifies(public):
            return f"the checkpoint of {cp.context} at {cp.position} does not verify with key {key_id(public)}", \
                None, {}
        checkpoints[(cp.context, cp.position)] = cp
    index = header["index"]
    if not isinstance(index, list) or not all(
            isinstance(pair, list) and len(pair) == 2 and isinstance(pair[0], str) and _is_int(pair[1])
            for pair in index):
        return "index is not a list of [context, position] pairs", None, {}
    if len({tuple(pair) for pair in index}) != len(index):
        return "index names an event twice", None, {}
    return None, public, checkpoints


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
        parsed = _json_or_none(stored)
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
