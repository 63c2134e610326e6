"""Keeping the chains up to date: the Keeper extends every context's chain and signs checkpoints when due."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from services.audit.chain.format import Checkpoint
from services.audit.chain.store import AuditChain


class Keeper:
    """Extends every context's chain and checkpoints it every `checkpoint_events` new events or every
    `checkpoint_seconds` (when something new was chained), so no proof runs longer than about `checkpoint_events`
    leaves. Several keepers may run: a chain's writers take its lock.

    `key` is the private key that signs, or a function giving it each time (the deployment's current checkpoints key:
    a rotation is picked up at the next checkpoint)."""

    def __init__(self, chains: dict[str, AuditChain], key: Ed25519PrivateKey | Callable[[], Ed25519PrivateKey], *,
                 checkpoint_events: int = 1000,
                 checkpoint_seconds: float = 60.0, clock: Any = None, on_checkpoint: Any = None) -> None:
        import time

        if checkpoint_events < 1 or checkpoint_seconds <= 0:
            raise ValueError("checkpoint every 1 or more events, and every more than 0 seconds")
        self.chains = chains
        self.key = key
        self.checkpoint_events = checkpoint_events
        self.checkpoint_seconds = checkpoint_seconds
        self.clock = clock or time.monotonic
        self.on_checkpoint = on_checkpoint or (lambda checkpoint: None)
        started = self.clock()
        self._signed_at = {context: started for context in chains}

    def _checkpoint(self, chain: AuditChain) -> Checkpoint | None:
        """Sign the chain's head, dated before the key is read: a key retired right after still covers it."""
        when = datetime.now(UTC)
        return chain.checkpoint(self.key if isinstance(self.key, Ed25519PrivateKey) else self.key(), when)

    def tick(self) -> list[Checkpoint]:
        """One round: chain what is new in every context, checkpoint where due; the checkpoints made."""
        made = []
        for context, chain in self.chains.items():
            unsigned = chain.status()["unsigned"]
            while True:
                room = max(1, self.checkpoint_events - unsigned)
                added = chain.extend(limit=room)
                unsigned += added
                now = self.clock()
                due = unsigned >= self.checkpoint_events or (
                    unsigned > 0 and now - self._signed_at[context] >= self.checkpoint_seconds)
                if due:
                    checkpoint = self._checkpoint(chain)
                    self._signed_at[context] = now
                    unsigned = 0
                    if checkpoint is not None:
                        made.append(checkpoint)
                        self.on_checkpoint(checkpoint)
                if added < room:
                    break
        return made

    def checkpoint_now(self) -> dict[str, Checkpoint | None]:
        """Chain everything and checkpoint every context now."""
        done = {}
        for context, chain in self.chains.items():
            chain.extend()
            done[context] = self._checkpoint(chain)
            self._signed_at[context] = self.clock()
        return done
