"""GET /api/v1/keys: the deployment's published signing keys, for anyone (no token), public keys only, with the
history a rotation leaves (the retired key kept, with when it was retired)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from services.common.signing import PURPOSES, load_public_key, public_key_base64
from services.common.signing_keys import key_store

pytestmark = pytest.mark.api


def test_given_a_deployment_then_anyone_reads_one_current_key_per_purpose_without_a_token(client: Any) -> None:
    answer = client.get("/api/v1/keys")

    assert answer.status_code == 200, answer.json
    assert set(answer.json) == set(PURPOSES)
    for purpose in PURPOSES:
        [key] = answer.json[purpose]
        assert key["algorithm"] == "Ed25519" and key["retired_at"] is None
        assert public_key_base64(load_public_key(key["public_key_pem"])) == key["public_key"]
    operation = client.get("/api/openapi.json").json["paths"]["/api/v1/keys"]["get"]
    assert operation["security"] == []


def test_given_a_rotation_then_the_old_key_is_listed_retired_before_the_new_one_and_nothing_private_is_shown(
        client: Any) -> None:
    store = key_store(client.container.settings)
    old = store.signer("statements")[0]
    new = store.rotate("statements")

    answer = client.get("/api/v1/keys")

    assert [(k["kid"], k["retired_at"]) for k in answer.json["statements"]] == [
        (old.kid, new.created_at), (new.kid, None)]
    assert len(answer.json["checkpoints"]) == len(answer.json["exports"]) == 1
    text = answer.get_data(as_text=True)
    assert "PRIVATE" not in text
    for path in store.folder.glob("*/*.json"):
        private_pem = json.loads(path.read_text())["private_key"]
        assert private_pem.splitlines()[1] not in text
