"""Taking an export: every context's chain extended and checkpointed, the events that concern a student or a
centre selected, and each written as a line with its proof up to the checkpoint that covers it.

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
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import Any, BinaryIO
from uuid import UUID

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from services.audit.chain import (
    GENESIS,
    LEAF_ENCODING,
    AuditChain,
    Checkpoint,
    fold,
    leaf_of,
    originator_text,
)
from services.audit.export.format import EXPORT_TYPE, WHAT, json_or_none
from services.common.signing import ALGORITHM, canonical, key_id, public_key_base64

STUDENT_MENTIONS = ("schedules", "credentials", "audit")
"""Contexts where a student's record includes every aggregate whose events name the student."""
CENTRE_MENTIONS = ("schedules",)
"""Contexts where a centre's record includes every aggregate whose events name the centre."""


class TamperDetected(Exception):
    """The store does not verify: an export taken now would not prove anything."""


# -- taking an export -----------------------------------------------------------------------------------
def export_record(container: Any, what: str, ident: str, key: Ed25519PrivateKey | Any, out: BinaryIO,
                  *, contexts: Iterable[str] | None = None, now: datetime | None = None) -> int:
    """Write the export of a student's or centre's record to `out`; the number of event lines.

    `key`: the deployment's key store (services.common.signing_keys.KeyStore: the current checkpoints key signs new
    checkpoints, the current exports key the header, which carries the public keys of the checkpoints' signers), or
    one private key for both. Every context's chain is extended and checkpointed first, so the export is provable up
    to now. NotFound for an unknown student or centre; TamperDetected when an exported event is not what its chain
    row holds, or a checkpoint is signed by a key the deployment does not have."""
    if what not in WHAT:
        raise ValueError(f"export a student or a centre, not {what!r}")
    exported_at = _stamp(now)  # before the keys are read: a key retired meanwhile still covers the export
    subject = str(UUID(str(ident)))
    _require_exists(container, what, subject)
    names = list(contexts or container.apps())
    chains = {c: container.chain(c) for c in names}
    try:
        for chain in chains.values():
            chain.extend()
            when = datetime.now(UTC)  # before the key is read: a key retired right after still covers it
            chain.checkpoint(key if isinstance(key, Ed25519PrivateKey) else key.signer("checkpoints")[1], when)
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
    signer = key if isinstance(key, Ed25519PrivateKey) else key.signer("exports")[1]
    public = signer.public_key()
    header: dict[str, Any] = {
        "type": EXPORT_TYPE,
        "what": what,
        "id": subject,
        "exported_at": exported_at,
        "leaf_encoding": LEAF_ENCODING,
        "public_key": _key_entry(public),
        "checkpoints": [cp.as_dict() for cp in sorted(used.values(), key=lambda c: (names.index(c.context),
                                                                                      c.position))],
        "checkpoint_keys": _checkpoint_keys(key, used.values()),
        "sealed": sealed,
        "index": [[line["context"], line["position"]] for line in lines],
    }
    header["signature"] = base64.b64encode(signer.sign(canonical(header))).decode("ascii")
    out.write(canonical(header) + b"\n")
    for line in lines:
        out.write(canonical(line) + b"\n")
    return len(lines)


def _key_entry(public: Ed25519PublicKey) -> dict[str, str]:
    return {"algorithm": ALGORITHM, "key_id": key_id(public), "value": public_key_base64(public)}


def _checkpoint_keys(key: Any, used: Iterable[Checkpoint]) -> list[dict[str, str]]:
    """The public keys of the checkpoints' signers, by key id: the header vouches for them."""
    if isinstance(key, Ed25519PrivateKey):
        known = {key_id(key.public_key()): key.public_key()}
    else:
        known = {k.kid: k.public for k in key.keys("checkpoints")}
    entries = {}
    for cp in used:
        if cp.key_id not in known:
            raise TamperDetected(f"{cp.context}: the checkpoint at {cp.position} is signed by key {cp.key_id}, which "
                                 f"is not one of the deployment's checkpoints keys")
        entries[cp.key_id] = _key_entry(known[cp.key_id])
    return [entries[kid] for kid in sorted(entries)]


def _require_exists(container: Any, what: str, subject: str) -> None:
    from services.placements.domain.enterprise import TrainingCentre
    from services.placements.domain.student import Student

    kind = Student if what == "student" else TrainingCentre
    container.app("placements").load(kind, UUID(subject))  # NotFound when there is no such student or centre


def _stamp(now: datetime | None) -> str:
    when = (now or datetime.now(UTC)).astimezone(UTC).replace(microsecond=0)
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
                state = json_or_none(decode(n.state)) or {}
                if state.get("centre_id") == subject:
                    placements.add(str(state.get("placement_id")))
    selected = []
    for n in chain.notifications(upto=chained_to):
        aggregate = originator_text(n.originator_id)
        if aggregate in own or aggregate in mentioning:
            selected.append(n)
        elif placements:
            state = json_or_none(decode(n.state))
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
            "state": json_or_none(decoded),
            "stored_state": base64.b64encode(bytes(n.state)).decode("ascii"),
            "proof": {"checkpoint": cp.position, "previous_hash": previous.hex(),
                      "leaves": [r[1].hex() for r in rows[at + 1:]]},
        })
    return lines
