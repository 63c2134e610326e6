"""The signed credit statement: built from a credit account, signed with the deployment's statements key, verified
by anyone holding the file and a trusted key (the issuer's pinned public key, or its published key set): the key the
file carries proves nothing on its own. Any changed byte fails."""

from __future__ import annotations

import base64
import json
import os
import stat
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from dualtrack.cli import main
from dualtrack.settings import Settings
from events.base import EventMeta
from services.credentials.domain import Certificate, CreditAccount
from services.credentials.statement import (
    BAD_SIGNATURE,
    KEY_MISMATCH,
    MALFORMED,
    NO_TRUSTED_KEY,
    build_statement,
    canonical,
    key_id,
    load_or_create_signing_key,
    load_public_key,
    public_key_base64,
    public_key_pem,
    serialize,
    sign_statement,
    verify,
)

pytestmark = pytest.mark.unit

META = EventMeta(subject="admin-1", role="admin", correlation_id="corr-1")
STUDENT = "0c91b1bc-df9c-4439-9267-1a8295b1e884"
SCHOOL = "bd6cf144-f851-4894-823c-0518ddca0238"
ISSUED = datetime(2026, 11, 30, 9, 15, tzinfo=UTC)


def _account() -> tuple[CreditAccount, Certificate]:
    """Two awards: one converted (4 deposited, 3 used: balance 1), one revoked (everything reversed)."""
    certificate = Certificate.list(code="X-RTM", title="轨道交通车辆检修 — rail vehicle maintenance",
                                   awarding_organisation="CRRC Vocational Skills Assessment Centre", levels=[
                                       {"level": "junior", "credits": 4, "requirements": [
                                           {"competency": "M1", "min_signed_hours": 6.5, "min_assessment": 3}]},
                                       {"level": "intermediate", "credits": 8, "requirements": []}], meta=META)
    certificate.adopt_conversion_rule(level="junior", effective_from=date(2026, 9, 1), meta=META,
                                      conversions=[{"course": "MEC-201 Drive systems", "credits": 3, "exempt": True}])
    account = CreditAccount.open(student_id=STUDENT, school_id=SCHOOL, meta=META)
    junior = account.award_certificate(certificate, certificate.level("junior"), awarded_on=date(2026, 11, 30),
                                       certificate_number="RTM-J-2026-0171", eligibility=[], eligible=True, meta=META)
    account.convert(junior, certificate.rule_in_force("junior", date(2026, 11, 30)), META)
    overridden = EventMeta(subject="admin-1", role="admin", correlation_id="corr-2", reason="national contest")
    intermediate = account.award_certificate(certificate, certificate.level("intermediate"),
                                             awarded_on=date(2026, 11, 30), certificate_number=None, eligibility=[],
                                             eligible=False, meta=overridden)
    account.revoke(intermediate, "the contest result was annulled", META)
    return account, certificate


def _statement() -> dict:
    account, certificate = _account()
    titles = {certificate.code: {"title": certificate.title, "awarding_organisation": certificate.awarding_organisation}}
    return build_statement(account, student_id=STUDENT, school_id=SCHOOL, certificates=titles, issued_at=ISSUED)


@pytest.fixture(scope="module")
def key() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.generate()


@pytest.fixture(scope="module")
def issued(key: Ed25519PrivateKey) -> bytes:
    return serialize(sign_statement(_statement(), key))


# -- building and signing ---------------------------------------------------------------------------
def test_given_an_account_when_its_statement_is_built_then_it_lists_every_award_and_line_and_the_balance() -> None:
    statement = _statement()
    assert statement["student_id"] == STUDENT and statement["school_id"] == SCHOOL
    assert statement["issued_at"] == "2026-11-30T09:15:00Z"
    assert sorted((c["level"], c["status"], c["by_override"]) for c in statement["certificates"]) == [
        ("intermediate", "revoked", True), ("junior", "awarded", False)]
    assert all(c["title"].startswith("轨道交通") for c in statement["certificates"])
    assert [line["kind"] for line in statement["ledger"]] == ["deposit", "conversion", "deposit", "reversal"]
    balance = sum(line["amount"] * ((line["credit"] == "available") - (line["debit"] == "available"))
                  for line in statement["ledger"])
    assert statement["balance"] == balance == 1


def test_given_no_account_yet_then_the_statement_is_empty_with_balance_zero() -> None:
    statement = build_statement(None, student_id=STUDENT, school_id=SCHOOL, certificates={}, issued_at=ISSUED)
    assert (statement["certificates"], statement["ledger"], statement["balance"]) == ([], [], 0)


def test_given_a_signed_statement_then_it_names_the_key_and_the_signature_covers_the_canonical_json(
    key: Ed25519PrivateKey, issued: bytes
) -> None:
    document = json.loads(issued)
    signature = document["signature"]
    public = key.public_key()
    assert signature["algorithm"] == "Ed25519"
    assert signature["public_key"] == public_key_base64(public)
    assert signature["key_id"] == key_id(public) and len(signature["key_id"]) == 16
    signed = json.dumps(document["statement"], sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
    public.verify(base64.b64decode(signature["value"]), signed)  # raises when it does not match
    assert "轨道交通".encode() in issued  # UTF-8 as is, not \u escapes
    assert issued == canonical(document)


# -- verifying --------------------------------------------------------------------------------------
def test_given_the_file_as_issued_then_it_verifies_against_the_pinned_key_and_never_without_a_trusted_key(
    key: Ed25519PrivateKey, issued: bytes
) -> None:
    pinned = verify(issued, key.public_key())
    assert pinned.ok, pinned.message
    assert pinned.statement is not None and pinned.statement["balance"] == 1
    assert "the pinned key" in pinned.message
    alone = verify(issued)
    assert not alone.ok and alone.outcome == NO_TRUSTED_KEY and alone.statement is None
    assert verify(issued + b"\n", key.public_key()).ok  # an editor's final newline does no harm
    assert verify(issued.decode(), key.public_key()).ok


def test_given_the_file_when_any_single_byte_is_changed_then_it_no_longer_verifies(
    key: Ed25519PrivateKey, issued: bytes
) -> None:
    text = issued.decode()
    value = json.loads(issued)["signature"]["value"]
    targets = {
        "the signature value": issued.index(value.encode()) + 10,
        "the last character of the signature before its padding": issued.index(value.encode()) + len(value) - 3,
        "the public key": issued.index(b'"public_key":"') + 20,
        "the key id": issued.index(b'"key_id":"') + 12,
        "the algorithm": issued.index(b'"Ed25519"') + 3,
        "the balance": issued.index(b'"balance":') + len('"balance":'),
        "a course name": issued.index(b"MEC-201"),
        "a title in Chinese": issued.index("轨".encode()),
        "a key of the statement": issued.index(b'"ledger"') + 2,
        "a structural character": text.index("{", 1),
    }
    positions = set(targets.values()) | set(range(0, len(issued), 7)) | {len(issued) - 1}
    assert len(positions) > 100
    for position in sorted(positions):
        for flip in (0x01, 0x02, 0x20, 0x80):
            changed = bytearray(issued)
            changed[position] ^= flip
            verdict = verify(bytes(changed), key.public_key())
            assert not verdict.ok, f"byte {position} ^ {flip:#x} ({issued[position:position + 1]!r}) still verifies"
            assert verdict.outcome in (MALFORMED, BAD_SIGNATURE)
    changed = bytearray(issued)
    changed[targets["the balance"]] = ord("7")  # a plausible lie, still well-formed
    assert verify(bytes(changed), key.public_key()).outcome == BAD_SIGNATURE
    assert verify(bytes(changed)).outcome == BAD_SIGNATURE, "changed: said even without a trusted key"


def test_given_every_byte_position_when_its_lowest_bit_flips_then_none_verifies(
    key: Ed25519PrivateKey, issued: bytes
) -> None:
    for position in range(len(issued)):
        changed = bytearray(issued)
        changed[position] ^= 0x01
        assert not verify(bytes(changed), key.public_key()).ok, f"byte {position} ({issued[position:position + 1]!r})"


def test_given_a_statement_re_signed_with_another_key_then_it_fails_pinned_and_without_a_trusted_key(
    key: Ed25519PrivateKey, issued: bytes
) -> None:
    forged_statement = dict(json.loads(issued)["statement"], balance=40)
    forger = Ed25519PrivateKey.generate()
    forged = serialize(sign_statement(forged_statement, forger))
    alone = verify(forged)  # self-consistent (a valid signature by the key it carries), and still not verified
    assert not alone.ok and alone.outcome == NO_TRUSTED_KEY
    verdict = verify(forged, key.public_key())
    assert verdict.outcome == KEY_MISMATCH
    assert key_id(forger.public_key()) in verdict.message and key_id(key.public_key()) in verdict.message


@pytest.mark.parametrize("content, why", [
    (b"", "not JSON"),
    (b"not json at all", "not JSON"),
    (b"\xff\xfe{}", "not UTF-8"),
    (b"[]", "exactly `statement` and `signature`"),
    (b'{"statement":{}}', "exactly `statement` and `signature`"),
])
def test_given_something_that_is_not_a_signed_statement_then_it_is_reported_malformed(content: bytes, why: str) -> None:
    verdict = verify(content)
    assert verdict.outcome == MALFORMED and why in verdict.message


def test_given_a_reformatted_or_extended_document_then_it_is_malformed(issued: bytes) -> None:
    document = json.loads(issued)
    pretty = json.dumps(document, indent=2, ensure_ascii=False).encode()
    assert "canonical form" in verify(pretty).message
    document["signature"]["comment"] = "hello"
    assert verify(canonical(document)).outcome == MALFORMED
    duplicated = issued.replace(b'{"signature":', b'{"signature":{},"signature":', 1)
    assert verify(duplicated).outcome == MALFORMED


# -- keys -------------------------------------------------------------------------------------------
def test_given_no_key_file_when_first_used_then_it_is_created_private_and_reused_after(tmp_path: Path) -> None:
    path = tmp_path / "var" / "keys" / "statement-signing.pem"
    first = load_or_create_signing_key(path)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert path.read_bytes().startswith(b"-----BEGIN PRIVATE KEY-----")
    again = load_or_create_signing_key(path)
    assert public_key_base64(again.public_key()) == public_key_base64(first.public_key())
    assert [p.name for p in path.parent.iterdir()] == ["statement-signing.pem"]


def test_given_the_settings_then_the_key_lives_under_the_data_dir_unless_configured(tmp_path: Path) -> None:
    assert Settings.from_env({"DUALTRACK_DATA_DIR": "/srv/dt"}).signing_key_file == Path(
        "/srv/dt/keys/statement-signing.pem")
    configured = Settings.from_env({"DUALTRACK_DATA_DIR": "/srv/dt", "DUALTRACK_SIGNING_KEY": "/etc/dt/k.pem"})
    assert configured.signing_key_path == configured.signing_key_file == Path("/etc/dt/k.pem")
    assert Settings(data_dir=tmp_path).signing_key_file == tmp_path / "keys" / "statement-signing.pem"


def test_given_a_public_key_as_pem_or_base64_then_it_loads_and_anything_else_is_refused(
    key: Ed25519PrivateKey
) -> None:
    public = key.public_key()
    assert public_key_base64(load_public_key(public_key_pem(public))) == public_key_base64(public)
    assert public_key_base64(load_public_key(public_key_base64(public) + "\n")) == public_key_base64(public)
    for garbage in ("", "hello", base64.b64encode(b"short").decode(), "-----BEGIN PUBLIC KEY-----\nAAAA\n"):
        with pytest.raises(ValueError):
            load_public_key(garbage)


# -- the command line -------------------------------------------------------------------------------
@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return {"DUALTRACK_DATA_DIR": str(tmp_path / "var"), "KAFKA_BOOTSTRAP_SERVERS": "",
            "DUALTRACK_SIGNING_KEY": str(tmp_path / "secret" / "signing.pem")}


def _issue(tmp_path: Path, env: dict[str, str]) -> Path:
    """A statement signed with the one key of a deployment from before key sets (DUALTRACK_SIGNING_KEY): the key set
    takes it as the first key of every purpose."""
    document = sign_statement(_statement(), load_or_create_signing_key(Path(env["DUALTRACK_SIGNING_KEY"])))
    path = tmp_path / "statement.json"
    path.write_bytes(serialize(document))
    return path


def test_given_the_public_key_command_then_it_prints_the_deployment_key_for_pinning(
    tmp_path: Path, env: dict[str, str]
) -> None:
    runner = CliRunner()
    pem = runner.invoke(main, ["credentials", "public-key"], env=env)
    assert pem.exit_code == 0, pem.output
    assert pem.stdout.startswith("-----BEGIN PUBLIC KEY-----")
    made = Path(env["DUALTRACK_DATA_DIR"]) / "keys" / "signing" / "statements" / "000001.json"
    assert stat.S_IMODE(os.stat(made).st_mode) == 0o600
    raw = runner.invoke(main, ["credentials", "public-key", "--format", "base64"], env=env)
    assert public_key_base64(load_public_key(pem.stdout)) == raw.stdout.strip()
    assert f"key id: {key_id(load_public_key(raw.stdout))}" in raw.stderr


def test_given_a_statement_when_verified_on_the_command_line_then_the_exit_code_gives_the_verdict(
    tmp_path: Path, env: dict[str, str]
) -> None:
    runner = CliRunner()
    statement = _issue(tmp_path, env)
    pinned = tmp_path / "issuer.pem"
    pinned.write_text(runner.invoke(main, ["credentials", "public-key"], env=env).stdout)
    pinned_b64 = tmp_path / "issuer.b64"
    pinned_b64.write_text(runner.invoke(main, ["credentials", "public-key", "--format", "base64"], env=env).stdout)

    alone = runner.invoke(main, ["credentials", "verify", str(statement)], env=env)
    assert alone.exit_code == 2 and "no trusted key" in alone.stderr, alone.output
    on_deployment = runner.invoke(main, ["credentials", "verify", str(statement), "--deployment"], env=env)
    assert on_deployment.exit_code == 0 and on_deployment.stdout.startswith("VERIFIED"), on_deployment.output
    for key_file in (pinned, pinned_b64):
        assert runner.invoke(main, ["credentials", "verify", str(statement), "--public-key", str(key_file)],
                             env=env).exit_code == 0

    tampered = tmp_path / "tampered.json"
    data = bytearray(statement.read_bytes())
    data[data.index(b'"balance":') + len('"balance":')] = ord("9")
    tampered.write_bytes(bytes(data))
    failed = runner.invoke(main, ["credentials", "verify", str(tampered), "--public-key", str(pinned)], env=env)
    assert failed.exit_code == 1 and "NOT VERIFIED (bad-signature)" in failed.stdout

    other = tmp_path / "other.pem"
    other.write_text(public_key_pem(Ed25519PrivateKey.generate().public_key()))
    mismatch = runner.invoke(main, ["credentials", "verify", str(statement), "--public-key", str(other)], env=env)
    assert mismatch.exit_code == 1 and "key-mismatch" in mismatch.stdout

    not_json = tmp_path / "notes.txt"
    not_json.write_text("dear registrar, please find attached")
    malformed = runner.invoke(main, ["credentials", "verify", str(not_json), "--deployment"], env=env)
    assert malformed.exit_code == 1 and "malformed" in malformed.stdout

    bad_key = tmp_path / "bad.pem"
    bad_key.write_text("not a key")
    assert runner.invoke(main, ["credentials", "verify", str(statement), "--public-key", str(bad_key)],
                         env=env).exit_code == 2
