"""The published event contract read as a consumer would: payload schemas by `$id`, messages by CloudEvents type,
channels by topic (the AsyncAPI document of `contracts/asyncapi.py`)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import jsonschema
import orjson

Validator = jsonschema.Draft202012Validator


class PublishedContract:
    """Validates Kafka records (key, value, headers) against a deployment's AsyncAPI document."""

    def __init__(self, document: dict[str, Any]) -> None:
        self.document = document
        components = document["components"]
        self.payloads = {s["$id"]: Validator(s, format_checker=Validator.FORMAT_CHECKER)
                         for s in components["schemas"].values()}
        self.messages = {m["headers"]["properties"]["ce_type"]["const"]: m for m in components["messages"].values()}
        self.headers = {t: Validator(m["headers"], format_checker=Validator.FORMAT_CHECKER)
                        for t, m in self.messages.items()}
        self.by_address = {c["address"]: c for c in document["channels"].values()}

    def check(self, topic: str, key: bytes, value: bytes, headers: Sequence[tuple[str, bytes]]) -> str:
        """Assert that one record read from `topic` is as the document says; return its type."""
        named = {k: v.decode() for k, v in headers}
        assert len(named) == len(headers), "no header twice"
        ce_type = named["ce_type"]
        message = self.messages[ce_type]
        channel_refs = {m["$ref"] for m in self.by_address[topic]["messages"].values()}
        assert f"#/components/messages/{ce_type}" in channel_refs, f"{ce_type} is a message of {topic}"
        errors = [f"header {e.json_path}: {e.message}" for e in self.headers[ce_type].iter_errors(named)]
        assert not errors, (ce_type, errors)
        undeclared = set(named) - set(message["headers"]["properties"])
        assert not undeclared, f"{ce_type}: headers the document does not describe: {undeclared}"
        schema_id = named["ce_dataschema"]
        assert message["payload"]["$ref"] == f"#/components/schemas/{ce_type}"
        assert self.document["components"]["schemas"][ce_type]["$id"] == schema_id
        payload = orjson.loads(value)
        errors = [f"{e.json_path}: {e.message}" for e in self.payloads[schema_id].iter_errors(payload)]
        assert not errors, (ce_type, errors)
        assert set(payload) == set(self.payloads[schema_id].schema["properties"]), "every property, no other"
        time = datetime.fromisoformat(named["ce_time"])  # format date-time (jsonschema checks it only with extras)
        assert time.tzinfo is not None, named["ce_time"]
        assert key.decode() == named["ce_subject"]
        return ce_type
