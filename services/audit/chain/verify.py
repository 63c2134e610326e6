"""Verifying a chain: the events recomputed into leaves and hashes and compared with the chain rows and the
signed checkpoints, naming the first bad position and its kind (the kinds are the constants below).

The walk merges the log and the chain rows by position. The first position where they disagree is named with the
explanation that fits: two positions whose contents, exchanged, match what was chained (swapped); the next event
matching what was chained here (inserted) or this event matching what was chained next (removed, the rest
renumbered); a chained position missing (removed), or missing with nothing after it (truncated); a logged position
the chain skipped (inserted); otherwise edited. A checkpoint pins the chain up to its position: whoever rewrites
events and chain rows together is caught by it; a truncation of the log and the chain behind the last checkpoint is
caught by it too. Events (and chain rows) after the last checkpoint are protected by the chain rows alone, until the
next checkpoint.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from services.audit.chain.format import GENESIS, Checkpoint, leaf, leaf_of, link
from services.common.signing import KeySet, PinnedKey, Untrusted, trust_of

if TYPE_CHECKING:
    from services.audit.chain.store import AuditChain

# -- kinds of findings ---------------------------------------------------------------------------------
EDITED = "edited"
"""The event at the position is not what was chained (its payload, topic, id or version changed)."""
REMOVED = "removed"
"""A chained position is missing from the log (with or without the positions after it renumbered)."""
INSERTED = "inserted"
"""The log holds an event the chain skipped: in a gap, or with the positions after it renumbered."""
SWAPPED = "swapped"
"""Two events exchanged their places (or their payloads and topics)."""
TRUNCATED = "truncated"
"""The log ends before a position the chain or a checkpoint holds."""
CHAIN_ROW_EDITED = "chain-row-edited"
"""A chain row's hash does not follow from the row before it and its leaf."""
CHAIN_ROW_MISSING = "chain-row-missing"
"""A checkpointed position has no chain row."""
CHECKPOINT_EDITED = "checkpoint-edited"
"""A checkpoint's signature does not match its fields, or its key is not a trusted checkpoints key (a retired key:
not for checkpoints signed after its retirement)."""
REWRITTEN = "rewritten"
"""Events and chain rows were changed together: a signed checkpoint no longer matches the recomputed chain."""
UNREADABLE = "unreadable"
"""The recorder could not read the log from this position on."""

# -- verification reports -----------------------------------------------------------------------------
@dataclass
class Finding:
    position: int
    kind: str
    message: str
    other: int | None = None
    """The other position of a swap."""

    def as_dict(self) -> dict[str, Any]:
        found = {"position": self.position, "kind": self.kind, "message": self.message}
        if self.other is not None:
            found["other_position"] = self.other
        return found


@dataclass
class Report:
    """What `verify` found in one context: ok, or the first bad position and its kind."""

    context: str
    events: int = 0
    chained_to: int = 0
    checkpoints: int = 0
    last_checkpoint: dict[str, Any] | None = None
    not_yet_chained: int = 0
    """Events after the last chained position: fine, they are chained on the next extend."""
    findings: list[Finding] = field(default_factory=list)

    @property
    def first(self) -> Finding | None:
        order = {CHECKPOINT_EDITED: 0, CHAIN_ROW_EDITED: 1}
        return min(self.findings, key=lambda f: (f.position, order.get(f.kind, 2)), default=None)

    @property
    def ok(self) -> bool:
        return not self.findings

    def as_dict(self) -> dict[str, Any]:
        first = self.first
        return {
            "context": self.context,
            "ok": self.ok,
            "events": self.events,
            "chained_to": self.chained_to,
            "not_yet_chained": self.not_yet_chained,
            "checkpoints": self.checkpoints,
            "last_checkpoint": self.last_checkpoint,
            "first_bad": first.as_dict() if first else None,
        }


@dataclass
class _Pending:
    """The first position where the log and the chain disagree, while the walk looks for what explains it."""

    position: int
    notification: Any
    chained_leaf: bytes
    kind: str = EDITED
    other: int | None = None


# -- the walk -------------------------------------------------------------------------------------------------
PURPOSE = "checkpoints"
"""The purpose of the deployment's keys that sign checkpoints."""


def verify_chain(chain: AuditChain, trusted: Ed25519PublicKey | PinnedKey | KeySet) -> Report:
    """Recompute `chain` from the events and compare it with its chain rows and its signed checkpoints, each checked
    with the trusted key it names (a pinned public key, or the deployment's key set)."""
    trust = trust_of(trusted)
    assert trust is not None, "a chain is verified against a trusted key"
    report = Report(chain.context)
    checkpoints = chain.checkpoints()
    report.checkpoints = len(checkpoints)
    if checkpoints:
        last = checkpoints[-1]
        report.last_checkpoint = {"position": last.position, "signed_at": last.signed_at, "key_id": last.key_id}
    # Only what a trusted key signed pins the chain; the others are findings.
    by_position = {}
    for cp in checkpoints:
        why = checkpoint_problem(cp, trust)
        if why:
            report.findings.append(Finding(cp.position, CHECKPOINT_EDITED,
                                           f"the checkpoint at {cp.position} is not valid: {why}"))
        else:
            by_position[cp.position] = cp
    chained_to = chain.head()[0]
    report.chained_to = chained_to
    walk = _Walk(chain, report, by_position)
    walk.run(chained_to)
    return report


def checkpoint_problem(cp: Checkpoint, trust: PinnedKey | KeySet) -> str | None:
    """Why a checkpoint does not verify with the trusted key it names; None when it does."""
    try:
        public = trust.public_key(PURPOSE, cp.key_id, cp.signed_at)
    except Untrusted as error:
        return str(error)
    return None if cp.verifies(public) else "its signature does not match"


class _Walk:
    """One verification pass over a context's log and chain rows, merged by position."""

    def __init__(self, chain: AuditChain, report: Report, checkpoints: dict[int, Checkpoint]) -> None:
        self.chain = chain
        self.report = report
        self.checkpoints = checkpoints
        self.pending: _Pending | None = None
        self.located = False
        """A finding about the log against the chain rows was made (the first one counts)."""
        self.recomputed = GENESIS
        self.recomputed_ok = True
        self.chain_hash = GENESIS
        self.chain_row_ok = True
        self.last_good_checkpoint = 0

    def run(self, chained_to: int) -> None:
        log = _Peekable(self._log())
        rows = _Peekable(self.chain.rows())
        last_log_position = 0
        while True:
            n, r = log.peek(), rows.peek()
            if n is None and r is None:
                break
            if n is not None and n is _UNREADABLE:
                self._locate(Finding(last_log_position + 1, UNREADABLE,
                                     f"the log cannot be read after position {last_log_position}"))
                break
            if r is None or (n is not None and n.id < r[0]):
                log.next()
                last_log_position = n.id
                self.report.events += 1
                if n.id > chained_to:
                    self.report.not_yet_chained += 1
                else:
                    self._inserted_in_gap(n)
                continue
            if n is None or r[0] < n.id:
                rows.next()
                self._chain_row(r)
                self._missing(r, log_exhausted=n is None)
                self._at_checkpoint(r[0], r)
                continue
            log.next()
            rows.next()
            last_log_position = n.id
            self.report.events += 1
            self._chain_row(r)
            self._compare(n, r, log.peek(), rows.peek())
            self._at_checkpoint(r[0], r)
        self._settle()
        for position in self.checkpoints:
            if position > chained_to:
                if position > last_log_position:
                    self._locate(Finding(last_log_position + 1, TRUNCATED,
                                         f"the log ends at {last_log_position}, before the checkpoint at {position}"))
                else:
                    self._add(Finding(chained_to + 1, CHAIN_ROW_MISSING,
                                      f"the chain ends at {chained_to}, but a checkpoint was signed at {position}: "
                                      f"the chain rows after {chained_to} were removed"))
                break

    def _log(self) -> Iterator[Any]:
        try:
            yield from self.chain.notifications()
        except Exception:
            yield _UNREADABLE

    # -- the chain rows themselves --------------------------------------------------------------------
    def _chain_row(self, row: tuple[int, bytes, bytes]) -> None:
        position, leaf_digest, hash_digest = row
        expected = link(self.chain_hash, leaf_digest)
        if self.chain_row_ok and expected != hash_digest:
            self.chain_row_ok = False
            self._add(Finding(position, CHAIN_ROW_EDITED, f"the chain row at {position} was changed: its hash does not "
                                                          "follow from the row before it and its leaf"))
        self.chain_hash = hash_digest

    def _at_checkpoint(self, position: int, row: tuple[int, bytes, bytes]) -> None:
        cp = self.checkpoints.get(position)
        if cp is None:
            return
        if self.chain_row_ok and row[2].hex() != cp.hash:
            self.chain_row_ok = False
            self._add(Finding(position, CHAIN_ROW_EDITED, f"the chain row at {position} does not hold the hash its "
                                                          "signed checkpoint names"))
        if self.recomputed_ok and not self.located and self.recomputed.hex() != cp.hash:
            start = self.last_good_checkpoint + 1
            self._locate(Finding(start, REWRITTEN, f"the events between positions {start} and {position} were "
                                                   f"changed together with their chain rows: the checkpoint signed "
                                                   f"at {position} no longer matches"))
        if self.recomputed_ok and self.recomputed.hex() == cp.hash:
            self.last_good_checkpoint = position
            if self.pending is not None and self.pending.kind == EDITED:
                # The events fold to what was signed: they are authentic, the chain row is what changed.
                self.pending.kind = CHAIN_ROW_EDITED

    # -- the log against the chain ---------------------------------------------------------------------
    def _compare(self, n: Any, row: tuple[int, bytes, bytes], next_log: Any, next_row: Any) -> None:
        digest = leaf_of(n)
        self.recomputed = link(self.recomputed, digest)
        pending = self.pending
        if pending is not None and pending.kind == EDITED and digest != row[1]:
            if _swapped(pending.notification, pending.chained_leaf, n, row[1]):
                pending.kind, pending.other = SWAPPED, n.id
        if digest == row[1] or self.located:
            return
        pending = self.pending = _Pending(n.id, n, row[1])
        self.located = True
        readable = next_log is not None and next_log is not _UNREADABLE
        if readable and next_row is not None and next_log.id == next_row[0] \
                and _swapped(n, row[1], next_log, next_row[1]):
            pending.kind, pending.other = SWAPPED, next_log.id
        elif readable and _leaf_as(next_log, n.id) == row[1]:
            pending.kind = INSERTED
        elif next_row is not None and _leaf_as(n, next_row[0]) == next_row[1]:
            pending.kind = REMOVED

    def _inserted_in_gap(self, n: Any) -> None:
        self.recomputed_ok = False
        self._locate(Finding(n.id, INSERTED, f"the log holds an event at {n.id} ({n.topic} of {n.originator_id} "
                                             f"v{n.originator_version}) that the chain skipped"))

    def _missing(self, row: tuple[int, bytes, bytes], *, log_exhausted: bool) -> None:
        self.recomputed_ok = False
        if log_exhausted:
            self._locate(Finding(row[0], TRUNCATED, f"the log ends before position {row[0]}, which was chained"))
        else:
            self._locate(Finding(row[0], REMOVED, f"the chained position {row[0]} is missing from the log"))

    def _settle(self) -> None:
        pending = self.pending
        if pending is None:
            return
        n = pending.notification
        messages = {
            EDITED: f"the event at {pending.position} ({n.topic} of {n.originator_id} v{n.originator_version}) is not "
                    f"what was chained: its payload, topic, id or version was changed",
            SWAPPED: f"the events at {pending.position} and {pending.other} were swapped",
            INSERTED: f"an event was inserted at {pending.position}, the events after it renumbered",
            REMOVED: f"the event at {pending.position} was removed, the events after it renumbered",
            CHAIN_ROW_EDITED: f"the chain row at {pending.position} was changed: the events fold to the signed "
                              f"checkpoint, its leaf does not",
        }
        self._add(Finding(pending.position, pending.kind, messages[pending.kind], pending.other))

    def _locate(self, finding: Finding) -> None:
        if not self.located:
            self.located = True
            self._add(finding)

    def _add(self, finding: Finding) -> None:
        self.report.findings.append(finding)


def _leaf_as(n: Any, position: int) -> bytes:
    return leaf(position, n.originator_id, n.originator_version, n.topic, n.state)


def _swapped(first: Any, first_chained: bytes, second: Any, second_chained: bytes) -> bool:
    """Whether exchanging the two rows (whole, or their topics and states) gives back what was chained."""
    whole = (_leaf_as(second, first.id) == first_chained and _leaf_as(first, second.id) == second_chained)
    contents = (
        leaf(first.id, first.originator_id, first.originator_version, second.topic, second.state) == first_chained
        and leaf(second.id, second.originator_id, second.originator_version, first.topic, first.state)
        == second_chained)
    return whole or contents


class _Unreadable:
    id = -1


_UNREADABLE: Any = _Unreadable()


class _Peekable:
    def __init__(self, iterator: Iterator[Any]) -> None:
        self._it = iterator
        self._head: Any = None
        self._filled = False

    def peek(self) -> Any:
        if not self._filled:
            self._head = next(self._it, None)
            self._filled = True
        return self._head

    def next(self) -> Any:
        value = self.peek()
        self._filled = False
        return value
