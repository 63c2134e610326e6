"""A token verified once is not verified again on every request, yet nothing it could not do before gets through:
it ends when it expires and when the key that signed it stops being honoured."""

from __future__ import annotations

import time
from datetime import timedelta
from pathlib import Path

import pytest

from services.common.identity import Role
from toolkit.http import keys as keys_module
from toolkit.http.auth import InvalidToken, issue_token, verify_token
from toolkit.http.keys import LONGEST_TOKEN_LIFETIME, KeyRing

SECRET = "a-secret-for-the-verified-token-tests-long-enough"


def test_given_a_token_verified_once_when_sent_again_then_it_names_the_same_actor(tmp_path: Path) -> None:
    ring = KeyRing(SECRET, tmp_path / "token-keys")
    token = issue_token(ring, role=Role.COORDINATOR, subject="coord-li", school_id="school-1")
    first, again = verify_token(ring, token), verify_token(ring, token)
    assert again.actor == first.actor and again.actor.school_id == "school-1"


def test_given_a_token_verified_once_when_it_expires_then_it_is_refused(tmp_path: Path) -> None:
    ring = KeyRing(SECRET, tmp_path / "token-keys")
    token = issue_token(ring, role=Role.ADMIN, subject="service:short", ttl=timedelta(seconds=1))
    verify_token(ring, token)
    time.sleep(1.1)
    with pytest.raises(InvalidToken, match="expired"):
        verify_token(ring, token)


def test_given_a_token_verified_once_when_its_key_is_no_longer_honoured_then_it_is_refused(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    ring = KeyRing(SECRET, tmp_path / "token-keys")
    token = issue_token(ring, role=Role.ADMIN, subject="service:import")
    verify_token(ring, token)
    ring.rotate()
    assert verify_token(ring, token).actor.subject == "service:import", "honoured while the new key is young"
    later = time.time() + LONGEST_TOKEN_LIFETIME.total_seconds() + 60
    monkeypatch.setattr(keys_module.time, "time", lambda: later)
    with pytest.raises(InvalidToken, match="does not honour"):
        verify_token(ring, token)


def test_given_a_token_verified_by_one_secret_when_checked_against_another_then_it_is_refused() -> None:
    token = issue_token(SECRET, role=Role.ADMIN, subject="service:import")
    verify_token(SECRET, token)
    with pytest.raises(InvalidToken):
        verify_token("another-secret-of-another-deployment-long-enough", token)


def test_given_a_key_rotated_by_another_process_when_its_first_token_arrives_then_it_is_verified_at_once(
        tmp_path: Path) -> None:
    server = KeyRing(SECRET, tmp_path / "token-keys")
    verify_token(server, issue_token(server, role=Role.ADMIN, subject="service:import"))  # the server has looked
    other_process = KeyRing(SECRET, tmp_path / "token-keys")
    other_process.rotate()
    token = issue_token(other_process, role=Role.ADMIN, subject="service:export")
    assert verify_token(server, token).actor.subject == "service:export"


def test_given_a_key_file_removed_by_hand_then_its_tokens_are_refused_once_the_folder_is_looked_at_again(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    ring = KeyRing(SECRET, tmp_path / "token-keys")
    ring.rotate()
    token = issue_token(ring, role=Role.ADMIN, subject="service:import")
    verify_token(ring, token)
    for key_file in (tmp_path / "token-keys").glob("*.key"):
        key_file.unlink()
    later = time.monotonic() + keys_module.RELOOK_SECONDS
    monkeypatch.setattr(keys_module.time, "monotonic", lambda: later)
    with pytest.raises(InvalidToken, match="does not honour"):
        verify_token(ring, token)
