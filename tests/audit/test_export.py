"""Exports of a student's and a centre's record with chain proofs: they verify offline, with the deployment's public
key only (pinned; never with only the keys the file carries); any one changed byte of the file makes verification
fail, naming the line."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from services.audit.chain import Keeper
from services.audit.export import TamperDetected, export_record, verify_export
from services.common.errors import NotFound
from services.common.identity import CommandContext
from services.common.signing import load_or_create_signing_key
from services.credentials.domain.account import credit_account_id
from services.training.domain.record import training_record_id
from tests.audit.tampering import RawStore
from tests.support.demo import Seeded, Template, copy_of_template

pytestmark = pytest.mark.stored


def public_of(container: Any) -> Any:
    return load_or_create_signing_key(container.settings.signing_key_file).public_key()


def take(container: Any, what: str, ident: str) -> bytes:
    out = io.BytesIO()
    export_record(container, what, ident, load_or_create_signing_key(container.settings.signing_key_file), out)
    return out.getvalue()


def lines_of(data: bytes) -> list[dict[str, Any]]:
    return [json.loads(line) for line in data.decode().splitlines()]


# -- exports verify ------------------------------------------------------------------------------------------
def test_given_a_student_when_exported_then_the_file_verifies_and_holds_their_events_of_every_context(
        seeded: Seeded) -> None:
    student = seeded.ids.students[0]
    data = take(seeded.container, "student", student)
    public = load_or_create_signing_key(seeded.container.settings.signing_key_file).public_key()

    verdict = verify_export(data, public)

    assert verdict.ok, verdict.message
    header, *events = lines_of(data)
    assert (header["what"], header["id"], verdict.events) == ("student", student, len(events))
    aggregates = {(e["context"], e["originator_id"]) for e in events}
    assert ("placements", student) in aggregates
    assert ("training", str(training_record_id(student))) in aggregates
    assert ("credentials", str(credit_account_id(student))) in aggregates
    assert any(e["context"] == "schedules" and student in json.dumps(e["state"]) for e in events)
    assert {cp["context"] for cp in header["checkpoints"]} >= {"placements", "training", "credentials", "schedules"}
    other = seeded.ids.students[1]
    assert not any(e["originator_id"] in (other, str(training_record_id(other))) for e in events)


def test_given_a_centre_when_exported_then_it_holds_the_centre_and_the_placements_at_it_and_verifies(
        seeded: Seeded) -> None:
    rail = seeded.ids.centres[2]
    data = take(seeded.container, "centre", rail)

    verdict = verify_export(data, public_of(seeded.container))

    assert verdict.ok, verdict.message
    events = lines_of(data)[1:]
    assert any(e["originator_id"] == rail and e["topic"].endswith(":CentreOpened") for e in events)
    proposed = [e for e in events if e["topic"].endswith(":PlacementProposed")]
    assert proposed and all(e["state"]["centre_id"] == rail for e in proposed)
    placements = {e["state"]["placement_id"] for e in proposed}
    students = [e for e in events if e["context"] == "placements" and e["originator_id"] != rail]
    assert all(e["state"].get("placement_id") in placements for e in students), "no other placement of theirs"


def test_given_checkpoints_every_few_events_when_exported_then_each_proof_ends_at_the_checkpoint_covering_it(
        seeded: Seeded) -> None:
    container = seeded.container
    key = load_or_create_signing_key(container.settings.signing_key_file)
    chains = {c: container.chain(c) for c in container.apps()}
    try:
        Keeper(chains, key, checkpoint_events=20).tick()
    finally:
        for chain in chains.values():
            chain.close()
    data = take(container, "student", seeded.ids.students[0])

    assert verify_export(data, key.public_key()).ok
    events = lines_of(data)[1:]
    placements = [e for e in events if e["context"] == "placements"]
    assert all(e["proof"]["checkpoint"] - e["position"] < 20 for e in placements if e["position"] <= 100)
    assert all(len(e["proof"]["leaves"]) < 20 for e in placements if e["position"] <= 100)


def test_given_events_recorded_since_the_last_checkpoint_when_exported_then_the_export_checkpoints_them_first(
        seeded: Seeded) -> None:
    container = seeded.container
    centre = seeded.ids.centres[0]
    take(container, "centre", centre)
    result = container.placements.change_centre_capacity(CommandContext.for_system("x"), UUID(centre), capacity=16,
                                                         reason="a third hall")

    data = take(container, "centre", centre)

    header, *events = lines_of(data)
    assert verify_export(data, public_of(container)).ok
    assert [e for e in events if e["context"] == "placements"][-1]["position"] == result.position
    assert [cp["position"] for cp in header["checkpoints"] if cp["context"] == "placements"][-1] == result.position


def test_given_an_unknown_student_or_centre_when_exported_then_it_is_not_found(seeded: Seeded) -> None:
    with pytest.raises(NotFound):
        take(seeded.container, "student", str(uuid4()))
    with pytest.raises(NotFound):
        take(seeded.container, "centre", seeded.ids.students[0])


def test_given_a_store_tampered_with_when_exported_then_nothing_is_exported(seeded: Seeded) -> None:
    container = seeded.container
    student = seeded.ids.students[0]
    take(container, "student", student)
    raw = RawStore(container, "placements")
    try:
        position = next(p for p in raw.positions() if str(raw.row(p)[0]).replace("-", "") == student.replace("-", ""))
        raw.edit_state(position)
    finally:
        raw.close()

    with pytest.raises(TamperDetected, match=f"at {position}"):
        take(container, "student", student)


# -- any changed byte fails, naming its line ------------------------------------------------------------------
@pytest.fixture(scope="module")
def export_file(tmp_path_factory: pytest.TempPathFactory, sqlite_demo_template: Template) -> tuple[bytes, Any]:
    container = copy_of_template(sqlite_demo_template, tmp_path_factory.mktemp("export"))  # the demo seeded once
    try:
        data = take(container, "student", sqlite_demo_template.ids.students[0])
        public = load_or_create_signing_key(container.settings.signing_key_file).public_key()
    finally:
        container.close()
    return data, public


def changed(data: bytes, offset: int) -> bytes:
    flipped = data[offset] ^ 0x01
    return data[:offset] + bytes([flipped]) + data[offset + 1:]


def line_at(data: bytes, offset: int) -> int:
    return data.count(b"\n", 0, offset) + 1


def offset_in(data: bytes, line: int, marker: bytes, after: int = 0) -> int:
    start = 0
    for _ in range(line - 1):
        start = data.index(b"\n", start) + 1
    return data.index(marker, start) + len(marker) + after


def test_given_an_untouched_export_when_verified_with_the_deployments_key_then_it_verifies(export_file) -> None:
    data, public = export_file

    assert verify_export(data, public).ok


@pytest.mark.parametrize("where, line, marker, after", [
    ("the header's export time", 1, b'"exported_at":"', 3),
    ("the header's subject", 1, b'"id":"', 0),
    ("the header's signature", 1, b'"signature":"', 10),
    ("a checkpoint's signature in the header", 1, b'"signature":"', 5),
    ("an event's payload", 3, b'"state":{', 20),
    ("an event's stored bytes", 3, b'"stored_state":"', 40),
    ("an event's version", 4, b'"version":', 0),
    ("an event's topic", 4, b'"topic":"', 2),
    ("a proof's leaf digest", 5, b'"leaves":["', 7),
    ("a proof's previous hash", 5, b'"previous_hash":"', 0),
    ("a proof's checkpoint", 6, b'"checkpoint":', 0),
])
def test_given_one_byte_changed_when_the_export_is_verified_then_it_fails_naming_the_line(
        export_file, where: str, line: int, marker: bytes, after: int) -> None:
    data, public = export_file
    if where == "the header's signature":  # the header's own signature is its last field
        offset = data.index(b'"signature":"', data.index(b'"sealed"')) + len(marker) + after
    else:
        offset = offset_in(data, line, marker, after)

    verdict = verify_export(changed(data, offset), public)

    assert not verdict.ok, where
    assert verdict.line == line, verdict.message
    assert verdict.message.startswith(f"line {line}: ")


def test_given_any_one_byte_of_the_file_changed_when_verified_then_it_fails_naming_the_line_that_holds_it(
        export_file) -> None:
    data, public = export_file
    step = max(1, len(data) // 250)
    for offset in range(0, len(data), step):
        verdict = verify_export(changed(data, offset), public)
        assert not verdict.ok, f"byte {offset} changed and the export still verifies"
        assert verdict.line == line_at(data, offset), (offset, verdict.message)


def test_given_a_line_removed_duplicated_or_cut_when_verified_then_it_fails_naming_the_line(export_file) -> None:
    data, public = export_file
    lines = data.split(b"\n")[:-1]

    removed = b"\n".join(lines[:3] + lines[4:]) + b"\n"
    assert verify_export(removed, public).line == 4
    duplicated = b"\n".join(lines[:4] + [lines[3]] + lines[4:]) + b"\n"
    assert verify_export(duplicated, public).line == 5
    last_removed = b"\n".join(lines[:-1]) + b"\n"
    assert verify_export(last_removed, public).line == len(lines)
    assert verify_export(data[:-1], public).line == len(lines)


def test_given_another_deployments_key_when_the_export_is_verified_against_it_then_it_fails_on_the_header(
        export_file) -> None:
    data, _ = export_file

    verdict = verify_export(data, Ed25519PrivateKey.generate().public_key())

    assert (verdict.ok, verdict.line) == (False, 1)
    assert "not with the pinned key" in verdict.message


def test_given_an_export_re_signed_by_another_key_when_verified_against_the_deployments_key_then_it_fails(
        export_file, tmp_path: Path) -> None:
    data, public = export_file
    header = json.loads(data.split(b"\n")[0])
    forger = Ed25519PrivateKey.generate()
    from services.common.signing import canonical, key_id, public_key_base64

    header["public_key"] = {"algorithm": "Ed25519", "key_id": key_id(forger.public_key()),
                            "value": public_key_base64(forger.public_key())}
    header.pop("signature")
    import base64

    header["signature"] = base64.b64encode(forger.sign(canonical(header))).decode()
    forged = canonical(header) + b"\n" + data.split(b"\n", 1)[1]

    assert not verify_export(forged).ok, "self-consistent, but the key it carries proves nothing on its own"
    assert verify_export(forged, public).line == 1
