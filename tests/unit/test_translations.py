"""Every page speaks Chinese and English: each part of the web has a zh catalog holding every string its templates
and pages mark for translation, each translated, compiled into the .mo file the app reads; and since Flask-Babel
merges the parts' catalogs into one at run time, no string is translated two ways (the part read last would win
on every page)."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import pytest
from babel.messages.catalog import Message
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[2]
PARTS = [p.parent for p in sorted(ROOT.glob("*/web/translations")) + sorted(ROOT.glob("services/*/translations"))]
METHODS = [("**/templates/**.html", "jinja2"), ("**.py", "python")]

Key = tuple[str | None, str | tuple[str, ...]]


def _catalog(part: Path) -> list[Message]:
    po_file = part / "translations" / "zh" / "LC_MESSAGES" / "messages.po"
    return [m for m in read_po(po_file.open("rb"), locale="zh_Hans_CN") if m.id]


def _key(message: Message) -> Key:
    """A message as the app looks it up: its context and its id (a plural's id is (singular, plural))."""
    return message.context, tuple(message.id) if isinstance(message.id, (list, tuple)) else message.id


def _string(message: Message) -> str | tuple[str, ...]:
    """Its translation: a plural's is one string per plural form (a tuple from the .po file, a list from the .mo)."""
    return tuple(message.string) if isinstance(message.string, (list, tuple)) else message.string or ""


def _translated(message: Message) -> bool:
    string = _string(message)
    forms = string if isinstance(string, tuple) else (string,)
    return bool(forms) and all(forms)


@pytest.mark.parametrize("part", PARTS, ids=[str(p.relative_to(ROOT)) for p in PARTS])
def test_given_a_part_of_the_web_then_its_zh_catalog_translates_every_string_and_is_compiled(part: Path) -> None:
    catalog = _catalog(part)
    keywords = {**DEFAULT_KEYWORDS, "lazy_gettext": None}
    used = {(context, tuple(message) if isinstance(message, (list, tuple)) else message)
            for _file, _line, message, _comments, context in extract_from_dir(str(part), METHODS, keywords=keywords)}
    untranslated = sorted(map(str, (_key(m) for m in catalog if not _translated(m))))
    missing = sorted(map(str, used - {_key(m) for m in catalog}))
    assert (missing, untranslated) == ([], []), "run `make translations` and fill in the msgstr lines"
    po_file = part / "translations" / "zh" / "LC_MESSAGES" / "messages.po"
    compiled = read_mo(po_file.with_suffix(".mo").open("rb"))
    assert {_key(m): _string(m) for m in compiled if m.id} == {_key(m): _string(m) for m in catalog}, \
        "run `make translations` to compile"


def test_given_the_catalogs_merged_at_run_time_then_no_string_has_two_translations() -> None:
    translations: dict[Key, dict[str | tuple[str, ...], set[str]]] = defaultdict(lambda: defaultdict(set))
    for part in PARTS:
        for message in _catalog(part):
            translations[_key(message)][_string(message)].add(str(part.relative_to(ROOT)))
    clashes = [f"{context + ' | ' if context else ''}{msgid!r}: "
               + "; ".join(f"{string!r} in {', '.join(sorted(parts))}" for string, parts in by_string.items())
               for (context, msgid), by_string in translations.items() if len(by_string) > 1]
    assert clashes == [], ("these strings are translated differently in different catalogs, and the one read last "
                           "wins on every page: give the one whose meaning differs a context (pgettext) or use one "
                           "translation everywhere:\n" + "\n".join(clashes))
