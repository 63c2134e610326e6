"""The deployment's signing keys on disk: one key set per purpose, private files, one key however many workers start at
once, a rotation that keeps the history, the key of a deployment from before key sets kept as the first key of each
purpose, and the published key set a verifier reads (strictly: a key whose id is not its own is refused)."""

from __future__ import annotations

import json
import os
import stat
from concurrent.futures import ProcessPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from services.common.signing import PURPOSES, KeySet, PinnedKey, Untrusted, key_id, load_or_create_signing_key
from services.common.signing_keys import KeyStore
from services.credentials.statement import NO_TRUSTED_KEY, UNTRUSTED_KEY, build_statement, sign_statement, verify

pytestmark = pytest.mark.unit


def _current_kid(folder: str) -> str:
    return KeyStore(Path(folder)).signer("statements")[0].kid


def test_given_a_new_deployment_then_each_purpose_has_its_own_key_in_private_files(tmp_path: Path) -> None:
    store = KeyStore(tmp_path / "keys" / "signing")

    kids = {purpose: store.signer(purpose)[0].kid for purpose in PURPOSES}

    assert len(set(kids.values())) == 3
    assert stat.S_IMODE(os.stat(store.folder).st_mode) == 0o700
    for purpose in PURPOSES:
        assert stat.S_IMODE(os.stat(store.folder / purpose).st_mode) == 0o700
        [path] = (store.folder / purpose).iterdir()
        assert path.name == "000001.json" and stat.S_IMODE(os.stat(path).st_mode) == 0o600
        assert store.signer(purpose)[0].kid == kids[purpose], "made once, used after"


def test_given_several_workers_using_the_keys_for_the_first_time_at_once_then_they_agree_on_one_key(
        tmp_path: Path) -> None:
    with ProcessPoolExecutor(max_workers=6) as workers:
        kids = set(workers.map(_current_kid, [str(tmp_path / "signing")] * 12))

    assert len(kids) == 1
    assert [p.name for p in (tmp_path / "signing" / "statements").iterdir()] == ["000001.json"]


def test_given_rotations_then_the_newest_signs_and_each_older_key_is_kept_retired_when_the_next_began(
        tmp_path: Path) -> None:
    store = KeyStore(tmp_path / "signing")
    first = store.signer("exports")[0]

    second = store.rotate("exports")
    third = store.rotate("exports")

    keys = store.keys("exports")
    assert [k.kid for k in keys] == [first.kid, second.kid, third.kid]
    assert [k.retired_at for k in keys] == [second.created_at, third.created_at, None]
    assert store.signer("exports")[0].kid == third.kid
    assert [k.kid for k in store.keys("statements")] != [first.kid], "a purpose rotates alone"


def test_given_a_deployment_from_before_key_sets_then_its_one_key_is_the_first_key_of_every_purpose(
        tmp_path: Path) -> None:
    legacy = tmp_path / "keys" / "statement-signing.pem"
    old_key = load_or_create_signing_key(legacy)
    issued = datetime.now(UTC)
    old_statement = sign_statement(build_statement(None, student_id="s-1", school_id="school-1", certificates={},
                                                   issued_at=issued), old_key)
    store = KeyStore(tmp_path / "keys" / "signing", legacy)

    untouched = store.key_set(create=False)
    assert not (tmp_path / "keys" / "signing").exists(), "reading the key set writes nothing"
    rotated = store.rotate("statements")
    published = store.key_set()

    assert [k.kid for k in untouched.keys["statements"]] == [key_id(old_key.public_key())]
    assert all(published.keys[p][0].kid == key_id(old_key.public_key()) for p in PURPOSES)
    assert published.keys["statements"][-1].kid == rotated.kid != key_id(old_key.public_key())
    assert verify(old_statement, published).ok, verify(old_statement, published).message
    assert key_id(store.signer("checkpoints")[1].public_key()) == key_id(old_key.public_key())


def test_given_a_key_set_then_a_retired_key_verifies_only_what_it_signed_before_its_retirement(tmp_path: Path) -> None:
    store = KeyStore(tmp_path / "signing")
    old, old_private = store.signer("statements")
    store.rotate("statements")
    key_set = KeySet.from_document(json.loads(json.dumps(store.key_set().document())))
    retired = key_set.keys["statements"][0]

    assert key_set.public_key("statements", old.kid, retired.retired_at) == old.public
    with pytest.raises(Untrusted, match="retired"):
        key_set.public_key("statements", old.kid, "2999-01-01T00:00:00Z")
    with pytest.raises(Untrusted, match="is not one of the deployment's checkpoints keys"):
        key_set.public_key("checkpoints", old.kid, retired.retired_at)
    late = sign_statement(build_statement(None, student_id="s-1", school_id="school-1", certificates={},
                                          issued_at=datetime(2999, 1, 1, tzinfo=UTC)), old_private)
    assert verify(late, key_set).outcome == UNTRUSTED_KEY
    assert verify(late).outcome == NO_TRUSTED_KEY
    assert verify(late, PinnedKey(old.public)).ok, "a pinned key is trusted whatever the date"


def test_given_a_published_key_set_then_it_holds_no_private_byte_and_a_doctored_one_is_refused(tmp_path: Path) -> None:
    store = KeyStore(tmp_path / "signing")
    document = store.key_set().document()
    text = json.dumps(document)
    privates = [json.loads(p.read_text())["private_key"] for p in (tmp_path / "signing").glob("*/*.json")]

    assert "PRIVATE" not in text and all(private.splitlines()[1] not in text for private in privates)
    assert set(document) == set(PURPOSES) and all(len(document[p]) == 1 for p in PURPOSES)
    other = Ed25519PrivateKey.generate().public_key()
    doctored = json.loads(text)
    doctored["statements"][0]["kid"] = key_id(other)
    refused: list[Any] = [doctored, {"statements": []}, [], {**document, "exports": "all of them"}]
    for bad in refused:
        with pytest.raises(ValueError):
            KeySet.from_document(bad)
