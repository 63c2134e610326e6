"""Signed artefacts verify only against a trusted key (issue 18): a credit statement or an audit export re-signed with
someone else's key fails with a pinned key, with the deployment's published key set and with no key at all (exit 2:
the key a file carries proves nothing on its own); after a rotation, what the old key signed still verifies against
the published key set, what it signs after its retirement does not, and the new key signs from then on.

One copy of the demo world for the module (Liu Yang's statement and record); the commands run in-process."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from dualtrack.cli import main
from services.audit.chain import Checkpoint, fold, leaf, sign_checkpoint
from services.common.identity import Role
from services.common.signing import canonical, key_id, public_key_base64
from services.credentials.statement import serialize, sign_statement
from tests.conftest import TEST_SECRET, bearer
from tests.support.pages import page_site

pytestmark = pytest.mark.integration

ADMIN = bearer(Role.ADMIN, "registrar")
AUDITOR = bearer(Role.AUDITOR, "auditor-gao")


@pytest.fixture(scope="module")
def site(sqlite_demo_template: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    with page_site(sqlite_demo_template, tmp_path_factory, "signed-artefacts", caught_up=False) as site:
        yield site


def dualtrack(site: Any, *args: str) -> Any:
    env = {"DUALTRACK_DATA_DIR": str(site.container.settings.data_dir), "DUALTRACK_SECRET_KEY": TEST_SECRET,
           "DUALTRACK_DATABASE_URL": "", "KAFKA_BOOTSTRAP_SERVERS": ""}
    return CliRunner().invoke(main, list(args), env=env, catch_exceptions=False)


def saved(folder: Path, name: str, data: bytes | str) -> str:
    path = folder / name
    path.write_bytes(data if isinstance(data, bytes) else data.encode())
    return str(path)


def statement_of(site: Any) -> bytes:
    answer = site.app.test_client().get(f"/api/v1/students/{site.liu}/credit-statement/signed", headers=ADMIN)
    assert answer.status_code == 200, answer.get_data(as_text=True)
    return bytes(answer.data)


def published_keys(site: Any) -> Any:
    """GET /api/v1/keys as anyone may: no token."""
    answer = site.app.test_client().get("/api/v1/keys")
    assert answer.status_code == 200, answer.get_data(as_text=True)
    return answer


def forged_statement(genuine: bytes, forger: Ed25519PrivateKey, **changes: Any) -> bytes:
    """The statement with `changes` made, re-signed with the forger's own key: a well-formed, self-consistent file."""
    statement = json.loads(genuine)["statement"]
    statement.update(changes)
    return serialize(sign_statement(statement, forger))


def forged_export(genuine: bytes, forger: Ed25519PrivateKey) -> bytes:
    """The export's first event with a balance of 999 put in, its proof and checkpoint recomputed and every signature
    made again with the forger's key: a self-consistent file that only a trusted key tells apart."""
    header, line = (json.loads(raw) for raw in genuine.split(b"\n")[:2])
    state = dict(line["state"], balance=999)
    stored = canonical(state)
    line.update(state=state, stored_state=base64.b64encode(stored).decode())
    digest = leaf(line["position"], line["originator_id"], line["version"], line["topic"], stored)
    line["proof"]["leaves"] = []
    head = fold(bytes.fromhex(line["proof"]["previous_hash"]), [digest])
    checkpoint = sign_checkpoint(line["context"], line["position"], head, forger)
    line["proof"]["checkpoint"] = checkpoint.position
    public = {"algorithm": "Ed25519", "key_id": key_id(forger.public_key()),
              "value": public_key_base64(forger.public_key())}
    header.pop("signature")
    header.update(checkpoints=[checkpoint.as_dict()], checkpoint_keys=[public], public_key=public,
                  index=[[line["context"], line["position"]]])
    header["signature"] = base64.b64encode(forger.sign(canonical(header))).decode()
    return canonical(header) + b"\n" + canonical(line) + b"\n"


# -- statements ---------------------------------------------------------------------------------------------
def test_given_a_statement_re_signed_with_another_key_when_verified_then_it_fails_pinned_with_the_key_set_and_alone(
        site: Any, tmp_path: Path) -> None:
    genuine = saved(tmp_path, "statement.json", statement_of(site))
    forged = saved(tmp_path, "forged.json", forged_statement(Path(genuine).read_bytes(), Ed25519PrivateKey.generate(),
                                                             balance=999))
    pinned = saved(tmp_path, "deployment.pem", dualtrack(site, "credentials", "public-key").stdout)
    keys = saved(tmp_path, "keys.json", published_keys(site).data)

    alone = dualtrack(site, "credentials", "verify", forged)
    with_pin = dualtrack(site, "credentials", "verify", forged, "--public-key", pinned)
    with_set = dualtrack(site, "credentials", "verify", forged, "--key-set", keys)
    on_deployment = dualtrack(site, "credentials", "verify", forged, "--deployment")

    assert alone.exit_code == 2 and "VERIFIED" not in alone.stdout, alone.output
    assert "no trusted key" in alone.stderr and "--key-set" in alone.stderr
    assert with_pin.exit_code == 1 and "NOT VERIFIED (key-mismatch)" in with_pin.stdout, with_pin.output
    assert with_set.exit_code == 1 and "NOT VERIFIED (untrusted-key)" in with_set.stdout, with_set.output
    assert "is not one of the deployment's statements keys" in with_set.stdout
    assert on_deployment.exit_code == 1 and "NOT VERIFIED (untrusted-key)" in on_deployment.stdout
    for trust in (["--public-key", pinned], ["--key-set", keys], ["--deployment"]):
        verified = dualtrack(site, "credentials", "verify", genuine, *trust)
        assert verified.exit_code == 0 and verified.stdout.startswith("VERIFIED"), (trust, verified.output)
        assert "balance 999" not in verified.stdout


def test_given_a_genuine_statement_without_any_trusted_key_then_it_is_not_verified_and_says_why(
        site: Any, tmp_path: Path) -> None:
    genuine = saved(tmp_path, "statement.json", statement_of(site))

    alone = dualtrack(site, "credentials", "verify", genuine)

    assert alone.exit_code == 2 and alone.stdout == "", alone.output
    assert "the public key a file carries proves nothing on its own" in alone.stderr


# -- exports ------------------------------------------------------------------------------------------------
def test_given_an_export_re_signed_with_another_key_when_verified_then_it_fails_pinned_with_the_key_set_and_alone(
        site: Any, tmp_path: Path) -> None:
    genuine = tmp_path / "liu.jsonl"
    assert dualtrack(site, "audit", "export", "--student", site.liu, "--output", str(genuine)).exit_code == 0
    forged = saved(tmp_path, "forged.jsonl", forged_export(genuine.read_bytes(), Ed25519PrivateKey.generate()))
    pinned = saved(tmp_path, "exports.pem", dualtrack(site, "credentials", "public-key", "--purpose", "exports").stdout)
    keys = saved(tmp_path, "keys.json", published_keys(site).data)

    alone = dualtrack(site, "audit", "verify-export", forged)
    with_pin = dualtrack(site, "audit", "verify-export", forged, "--public-key", pinned)
    with_set = dualtrack(site, "audit", "verify-export", forged, "--key-set", keys)

    assert alone.exit_code == 2 and "no trusted key" in alone.stderr and "VERIFIED" not in alone.stdout
    assert with_pin.exit_code == 1 and "NOT VERIFIED: line 1: header: signed with key" in with_pin.stdout
    assert with_set.exit_code == 1 and "is not one of the deployment's exports keys" in with_set.stdout
    for trust in (["--public-key", pinned], ["--key-set", keys], ["--deployment"]):
        verified = dualtrack(site, "audit", "verify-export", str(genuine), *trust)
        assert verified.exit_code == 0 and verified.stdout.startswith("VERIFIED"), (trust, verified.output)


# -- rotation -----------------------------------------------------------------------------------------------
def test_given_a_rotation_of_the_statements_key_then_old_statements_still_verify_and_the_new_key_signs_from_then_on(
        site: Any, tmp_path: Path) -> None:
    before = statement_of(site)
    rotated = dualtrack(site, "keys", "rotate-signing", "--purpose", "statements")
    after = statement_of(site)
    keys = saved(tmp_path, "keys.json", published_keys(site).data)
    published = json.loads(Path(keys).read_text())["statements"]

    assert rotated.exit_code == 0, rotated.output
    old, new = (json.loads(s)["signature"]["key_id"] for s in (before, after))
    assert old != new and f"new statements signing key {new}" in rotated.stdout
    assert [k["kid"] for k in published][-2:] == [old, new]
    assert published[-2]["retired_at"] == published[-1]["created_at"] and published[-1]["retired_at"] is None
    for statement in (before, after):
        verified = dualtrack(site, "credentials", "verify", saved(tmp_path, "s.json", statement), "--key-set", keys)
        assert verified.exit_code == 0 and verified.stdout.startswith("VERIFIED"), verified.output
    old_pinned = saved(tmp_path, "old.b64", published[-2]["public_key"])
    refused = dualtrack(site, "credentials", "verify", saved(tmp_path, "s.json", after), "--public-key", old_pinned)
    assert refused.exit_code == 1 and "key-mismatch" in refused.stdout

    # Whoever holds the retired key cannot date a statement after its retirement and have it verify.
    retired_key = old_private_key(site, "statements", old)
    later = (datetime.fromisoformat(published[-2]["retired_at"]) + timedelta(hours=1)).astimezone(UTC)
    late = forged_statement(before, retired_key, issued_at=later.strftime("%Y-%m-%dT%H:%M:%SZ"))
    refused = dualtrack(site, "credentials", "verify", saved(tmp_path, "late.json", late), "--key-set", keys)
    assert refused.exit_code == 1 and "NOT VERIFIED (untrusted-key)" in refused.stdout
    assert "which was retired at" in refused.stdout
    listed = dualtrack(site, "keys", "list-signing")
    assert f"statements    {old}" in listed.stdout and "retired" in listed.stdout and f"{new}" in listed.stdout


def old_private_key(site: Any, purpose: str, kid: str) -> Ed25519PrivateKey:
    """A key of the deployment's, read from its file as someone who stole it would."""
    from cryptography.hazmat.primitives import serialization

    for path in sorted((site.container.settings.data_dir / "keys" / "signing" / purpose).glob("*.json")):
        entry = json.loads(path.read_text())
        if entry["kid"] == kid:
            key = serialization.load_pem_private_key(entry["private_key"].encode(), password=None)
            assert isinstance(key, Ed25519PrivateKey)
            return key
    raise AssertionError(f"no key {kid}")


def test_given_a_rotation_of_the_checkpoints_and_exports_keys_then_old_and_new_exports_and_the_chains_verify(
        site: Any, tmp_path: Path) -> None:
    client = site.app.test_client()
    first = client.get(f"/api/v1/audit/students/{site.liu}/export", headers=AUDITOR)  # records a read: a new event
    assert first.status_code == 200
    assert dualtrack(site, "keys", "rotate-signing", "--purpose", "checkpoints").exit_code == 0
    assert dualtrack(site, "keys", "rotate-signing", "--purpose", "exports").exit_code == 0
    second = client.get(f"/api/v1/audit/students/{site.liu}/export", headers=AUDITOR)
    keys = saved(tmp_path, "keys.json", published_keys(site).data)
    published = json.loads(Path(keys).read_text())

    first_header, second_header = (json.loads(e.data.split(b"\n")[0]) for e in (first, second))
    assert first_header["public_key"]["key_id"] == published["exports"][-2]["kid"]
    assert second_header["public_key"]["key_id"] == published["exports"][-1]["kid"]
    signers = {Checkpoint(**cp).key_id for cp in second_header["checkpoints"]}
    assert published["checkpoints"][-1]["kid"] in signers, "the new read was checkpointed with the new key"
    for export in (first, second):
        verified = dualtrack(site, "audit", "verify-export", saved(tmp_path, "e.jsonl", export.data), "--key-set", keys)
        assert verified.exit_code == 0 and verified.stdout.startswith("VERIFIED"), verified.output
    chains = dualtrack(site, "audit", "verify")
    assert chains.exit_code == 0 and json.loads(chains.stdout)["ok"], chains.output
