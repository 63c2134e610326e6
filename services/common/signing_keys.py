"""The deployment's signing keys on disk: one key set per purpose (statements, checkpoints, exports), each rotatable,
with its history, under <data_dir>/keys/signing/<purpose>/.

Each key is one file, `<number>.json` (000001.json, 000002.json...: the newest signs), mode 0600 in folders of mode
0700, holding {"algorithm": "Ed25519", "kid", "created_at", "private_key": PEM (PKCS8)}. A key is retired by the next
one: its `retired_at` is the next key's `created_at`. Files are written aside and linked into place, which fails when
another process took the number first: several workers using a purpose for the first time agree on one key, and two
rotations at once make two keys, one after the other.

A deployment from before key sets signed everything with one key (Settings.signing_key_file, DUALTRACK_SIGNING_KEY):
when that file exists, it becomes the first key of every purpose (created_at: the file's time), so what it signed
still verifies; rotating a purpose then gives that purpose a key of its own.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from services.common.signing import (
    ALGORITHM,
    PURPOSES,
    KeySet,
    PublishedKey,
    key_id,
    stamp,
)

_KEY_FILE = re.compile(r"^(\d{6})\.json$")


class KeyStore:
    """The key sets of a deployment (`folder`: <data_dir>/keys/signing), and the key it signed with before key sets
    (`legacy`: its PEM file, used only when it exists)."""

    def __init__(self, folder: Path, legacy: Path | None = None) -> None:
        self.folder = Path(folder)
        self.legacy = Path(legacy) if legacy is not None else None

    # -- signing ----------------------------------------------------------------------------------
    def signer(self, purpose: str) -> tuple[PublishedKey, Ed25519PrivateKey]:
        """The newest key of `purpose` (made on first use) and its private half."""
        files = self._files(purpose)
        if not files:
            self._add(purpose, 1, self._first_key(), self._first_created_at())
            files = self._files(purpose)
        number = files[-1]
        private, created_at = self._read(purpose, number)
        return PublishedKey(purpose, key_id(private.public_key()), private.public_key(), created_at, None), private

    def rotate(self, purpose: str) -> PublishedKey:
        """Retire the current key of `purpose` (kept, to verify what it signed) and start a new one, which signs from
        now on."""
        self.signer(purpose)  # the first key exists (a legacy key is kept as the first one) before it is retired
        while True:
            files = self._files(purpose)
            number = (files[-1] if files else 0) + 1
            key = Ed25519PrivateKey.generate()
            if self._add(purpose, number, key, stamp()):
                return self.signer(purpose)[0]

    # -- publishing ---------------------------------------------------------------------------------
    def keys(self, purpose: str, *, create: bool = True) -> list[PublishedKey]:
        """Every key of `purpose`, oldest first, the current one last (retired_at None). Without `create`, nothing is
        written: a purpose never used has the legacy key if there is one, else no key."""
        if create:
            self.signer(purpose)
        files = self._files(purpose)
        found: list[tuple[Any, str]] = []
        for number in files:
            private, created_at = self._read(purpose, number)
            found.append((private.public_key(), created_at))
        if not found and self.legacy is not None and self.legacy.exists():
            found.append((_load_pem(self.legacy.read_bytes(), self.legacy).public_key(), self._first_created_at()))
        return [PublishedKey(purpose, key_id(public), public, created_at,
                             found[i + 1][1] if i + 1 < len(found) else None)
                for i, (public, created_at) in enumerate(found)]

    def key_set(self, *, create: bool = True) -> KeySet:
        """The deployment's key set, every purpose (GET /api/v1/keys)."""
        return KeySet({purpose: self.keys(purpose, create=create) for purpose in PURPOSES})

    # -- files --------------------------------------------------------------------------------------
    def _place(self, purpose: str) -> Path:
        if purpose not in PURPOSES:
            raise ValueError(f"no signing purpose {purpose!r}: {', '.join(PURPOSES)}")
        return self.folder / purpose

    def _files(self, purpose: str) -> list[int]:
        place = self._place(purpose)
        if not place.is_dir():
            return []
        return sorted(int(m.group(1)) for m in map(_KEY_FILE.match, os.listdir(place)) if m)

    def _read(self, purpose: str, number: int) -> tuple[Ed25519PrivateKey, str]:
        path = self._place(purpose) / f"{number:06d}.json"
        try:
            entry = json.loads(path.read_text())
            return _load_pem(entry["private_key"].encode(), path), str(entry["created_at"])
        except (KeyError, TypeError, AttributeError, ValueError) as error:
            raise ValueError(f"{path} is not a signing key file: {error}") from None

    def _first_key(self) -> Ed25519PrivateKey:
        if self.legacy is not None and self.legacy.exists():
            return _load_pem(self.legacy.read_bytes(), self.legacy)
        return Ed25519PrivateKey.generate()

    def _first_created_at(self) -> str:
        if self.legacy is not None and self.legacy.exists():
            return stamp(datetime.fromtimestamp(self.legacy.stat().st_mtime, UTC))
        return stamp()

    def _add(self, purpose: str, number: int, key: Ed25519PrivateKey, created_at: str) -> bool:
        """Write key `number` of `purpose`; False when another process wrote that number first."""
        place = self._place(purpose)
        for folder in (self.folder, place):
            if not folder.is_dir():
                folder.mkdir(parents=True, exist_ok=True, mode=0o700)
                os.chmod(folder, 0o700)
        pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption()).decode()
        entry = {"algorithm": ALGORITHM, "kid": key_id(key.public_key()), "created_at": created_at,
                 "private_key": pem}
        fd, aside = tempfile.mkstemp(prefix=".signing-key-", dir=place)  # mkstemp: mode 0600
        try:
            with os.fdopen(fd, "w") as out:
                out.write(json.dumps(entry, indent=1))
                out.flush()
                os.fsync(out.fileno())
            os.chmod(aside, 0o600)
            try:
                os.link(aside, place / f"{number:06d}.json")
            except FileExistsError:
                return False  # another process took this number first
        finally:
            os.unlink(aside)
        return True


def _load_pem(data: bytes, where: Path) -> Ed25519PrivateKey:
    key = serialization.load_pem_private_key(data, password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise ValueError(f"{where} holds a {type(key).__name__}, not an Ed25519 private key")
    return key


def key_store(settings: Any) -> KeyStore:
    """The key store of a deployment's settings (dualtrack.settings.Settings: data_dir, signing_key_file)."""
    return KeyStore(Path(settings.data_dir) / "keys" / "signing", settings.signing_key_file)
