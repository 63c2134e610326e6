"""How a stored field that is not published may still be told of: a Boolean saying whether it has a value, or a
value reshaped before it is published (docs/published-fields.md)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from marshmallow import fields

PRESENT_OF = "present_of"
"""Metadata key of a Boolean payload field published instead of a stored free text: the stored field it tells the
presence of (`fields.Boolean(metadata={PRESENT_OF: "reason_text"})` is true when the event has a reason_text)."""
PUBLISHED_AS = "published_as"
"""Metadata key of a payload field published as a function of a stored field's value (plain JSON in, out)."""
SOURCE = "source"
"""Metadata key naming the stored field a `PUBLISHED_AS` field is computed from (by default its own name)."""


def present_of(source: str, description: str) -> fields.Boolean:
    """A payload field telling whether the stored field `source` (free text, not published) has a value."""
    return fields.Boolean(required=True, metadata={PRESENT_OF: source, "description": description})


def published_as(field: fields.Field, shape: Callable[[Any], Any], source: str | None = None) -> fields.Field:
    """`field`, published as `shape(value)` of the stored field `source` (by default the field's own name)."""
    field.metadata = {**field.metadata, PUBLISHED_AS: shape, **({SOURCE: source} if source else {})}
    return field
