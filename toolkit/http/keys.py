"""The keys that sign bearer tokens: each has an id (the token's `kid`), and they rotate.

The first key is the deployment's secret (DUALTRACK_SECRET_KEY, or the one generated for the data directory).
`dualtrack keys rotate` adds a newer one under `<data_dir>/keys/token-keys/` (mode 0600): new tokens are signed
with the newest key, tokens signed by an older one stay valid until they expire. A key replaced more than the
longest token lifetime ago signs nothing still valid, so it is no longer honoured. Every process notices a
rotation by itself: it looks at the folder before it signs, and before it verifies at most once a second
(RELOOK_SECONDS), or at once when a token names a key it does not know yet.
"""

from __future__ import annotations

import hashlib
import os
import secrets
import threading
import time
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

LONGEST_TOKEN_LIFETIME = timedelta(days=30)
RELOOK_SECONDS = 1.0
"""How long a process trusts its last look at the keys' folder (a key file removed by hand is honoured this much
longer); a key it does not know yet makes it look again at once."""


@dataclass(frozen=True)
class SigningKey:
    kid: str
    secret: str
    created: float
    """Seconds since the epoch; 0 for the deployment's secret, which is older than any rotation."""


def key_of_secret(secret: str, created: float = 0.0) -> SigningKey:
    """A key with an id derived from the secret (the id tells nothing about the secret: a hash of it)."""
    return SigningKey("k" + hashlib.sha256(b"dualtrack-key-id:" + secret.encode()).hexdigest()[:15], secret, created)


class KeyRing:
    """The deployment's signing keys: the newest signs, every one still honoured verifies."""

    def __init__(self, secret: str, directory: Path | None = None) -> None:
        self._base = key_of_secret(secret)
        self._directory = directory
        self._lock = threading.Lock()
        self._seen: tuple[float, int] | None = None
        self._looked = -RELOOK_SECONDS
        self._rotated: list[SigningKey] = []

    @property
    def directory(self) -> Path | None:
        return self._directory

    def keys(self) -> list[SigningKey]:
        """Every key, oldest first."""
        self._reload()
        return [self._base, *self._rotated]

    def current(self) -> SigningKey:
        """The newest key, after a look at the folder (tokens are signed far less often than verified)."""
        self._reload(look_now=True)
        return self.keys()[-1]

    def honoured(self, now: float | None = None) -> dict[str, SigningKey]:
        """The keys a token may be signed with: the newest, and each older one replaced less than the longest
        token lifetime ago."""
        now = time.time() if now is None else now
        keys = self.keys()
        kept = {keys[-1].kid: keys[-1]}
        for older, newer in zip(keys, keys[1:]):
            if now - newer.created <= LONGEST_TOKEN_LIFETIME.total_seconds():
                kept[older.kid] = older
        return kept

    def find(self, kid: str) -> SigningKey | None:
        found = self.honoured().get(kid)
        if found is None and self._directory is not None:  # rotated since this process last looked?
            self._reload(look_now=True)
            found = self.honoured().get(kid)
        return found

    def rotate(self) -> SigningKey:
        """Add a newer key (written mode 0600); the next tokens are signed with it."""
        if self._directory is None:
            raise RuntimeError("this deployment keeps no rotated keys (no data directory)")
        self._directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        key = key_of_secret(secrets.token_urlsafe(48), created=time.time())
        path = self._directory / f"{time.time_ns():020d}-{key.kid}.key"
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as out:
            out.write(key.secret)
        self._seen = None
        self._looked = -RELOOK_SECONDS
        return key

    def _reload(self, *, look_now: bool = False) -> None:
        directory = self._directory
        now = time.monotonic()
        if directory is None or (not look_now and now - self._looked < RELOOK_SECONDS):
            return
        self._looked = now
        try:
            stat = directory.stat()
            seen = (stat.st_mtime, stat.st_nlink)
        except FileNotFoundError:
            return
        with self._lock:
            if seen == self._seen:
                return
            rotated = []
            for path in sorted(directory.glob("*.key")):
                secret = path.read_text().strip()
                if len(secret) >= 32:
                    stamp = path.name.split("-", 1)[0]
                    rotated.append(key_of_secret(secret, created=int(stamp) / 1e9 if stamp.isdigit() else 0.0))
            self._rotated = rotated
            self._seen = seen
