"""How much text one field may hold, how deep JSON may nest, which characters no identifier holds: the limits the
request schemas (contracts/http/common.py), the HTTP guard (toolkit/http/input_limits.py) and the applications'
last check before storing (`text_over_limit`, called by DualtrackApplication.save) share.

    json_too_deep(b'[[[[1]]]]')                  # False: 4 levels
    unsafe_identifier('math\\u202eevil')         # 'must not contain control or bidirectional characters'
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable
from datetime import date, datetime
from itertools import accumulate
from typing import Any
from uuid import UUID

TEXT_MAX = 2000
"""Characters a text field takes unless it declares its own limit (a reason, a name, a note...)."""
LONGER_TEXT = {"description": 4000, "evidence": 4000}
"""Stored fields the domain lets run longer: a logbook entry's description of a day's work and the evidence an
assessment rests on (both took 4,000 characters since they were shipped)."""
LIST_MAX = 100
"""Items a list takes unless it declares its own limit."""
JSON_MAX_DEPTH = 32
"""Levels of arrays and objects a JSON body may nest: no request of dualtrack needs more than a handful."""
IDENTIFIER_MAX = 200
"""Characters a path parameter (a major, a certificate code, a mentor's id...) may have."""

_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_STEPS = bytes.maketrans(b"[{]}", b"\x01\x01\xff\xff")
_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")


def json_too_deep(data: bytes, limit: int = JSON_MAX_DEPTH) -> bool:
    """Whether parsing `data` as JSON would go deeper than `limit` levels (checked before parsing: Python's parser
    recurses, and a body 10,000 levels deep exhausts its stack). Strings are skipped, so brackets in text do not
    count. The work is done by C loops: a few scans of the body, and one sum over its brackets."""
    if data.count(b"[") + data.count(b"{") <= limit:
        return False
    steps = _STRING.sub(b"", data).translate(_STEPS, _NOT_BRACKETS)  # +1 for each opening, -1 for each closing
    if b"\x01" * (limit + 1) in steps:
        return True
    return max(accumulate(memoryview(steps).cast("b")), default=0) > limit


_CONTROL = "\x00-\x1f\x7f-\x9f"
_BIDI = "\u200e\u200f\u202a-\u202e\u2066-\u2069\u061c"
_UNSAFE = re.compile(f"[{_CONTROL}{_BIDI}\ud800-\udfff]")
_CONTROL_CHARACTER = re.compile(f"[{_CONTROL}]")
_BIDI_CHARACTER = re.compile(f"[{_BIDI}]")


def unsafe_identifier(text: str, longest: int = IDENTIFIER_MAX) -> str | None:
    """Why `text` cannot be an identifier (a path or query parameter, a header), or None: NUL and every other
    C0 or C1 control character (CR and LF too), bidirectional overrides, isolates and marks (which make a text read
    otherwise than it is stored), unpaired surrogates, more than `longest` characters. The first such character
    decides the answer."""
    if len(text) > longest:
        return f"at most {longest} characters"
    found = _UNSAFE.search(text)
    if found is None:
        return None
    if _CONTROL_CHARACTER.match(found.group()):
        return "must not contain control characters (NUL, CR, LF...)"
    if _BIDI_CHARACTER.match(found.group()):
        return "must not contain bidirectional control characters"
    return "must not contain unpaired surrogates"


_NO_TEXT = frozenset({type(None), bool, int, float, UUID, date, datetime})


def text_over_limit(events: Iterable[Any]) -> tuple[str, int, int] | None:
    """The first text of `events` (their fields, the reason in their metadata, text inside their lists and
    objects) over its limit, as (field, length, limit); None when every text fits. Defence in depth for what the
    request schemas already bound: the web's forms and any other caller of the applications' commands."""
    for event in events:
        for name, value in vars(event).items():
            if type(value) in _NO_TEXT:
                continue
            if type(value) is str:  # most fields: measured here, without the general walk below
                limit = LONGER_TEXT.get(name, TEXT_MAX)
                if len(value) > limit:
                    return name, len(value), limit
                continue
            if dataclasses.is_dataclass(value) and not isinstance(value, type):  # the metadata: its reason
                parts = [(part.name, getattr(value, part.name)) for part in dataclasses.fields(value)]
            else:
                parts = [(name, value)]
            for field, inner in parts:
                limit = LONGER_TEXT.get(field, TEXT_MAX)
                found = _longer_than(inner, limit)
                if found is not None:
                    return field, found, limit
    return None


def _longer_than(value: Any, limit: int) -> int | None:
    """The length of a text in `value` (a text, or texts in lists and objects) longer than `limit`, or None."""
    if type(value) is str:
        return len(value) if len(value) > limit else None
    if not isinstance(value, (dict, list, tuple, set, frozenset)):
        return None
    stack = [value]
    while stack:
        item = stack.pop()
        if type(item) is str:
            if len(item) > limit:
                return len(item)
        elif isinstance(item, dict):
            stack.extend(item)
            stack.extend(item.values())
        elif isinstance(item, (list, tuple, set, frozenset)):
            stack.extend(item)
        elif isinstance(item, str) and len(item) > limit:  # a str subclass (an enum's value)
            return len(item)
    return None
