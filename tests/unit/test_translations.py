"""Every page speaks Chinese and English: each part of the web has a zh catalog holding every string its templates
and pages mark for translation, each translated, compiled into the .mo file the app reads."""

from __future__ import annotations

from pathlib import Path

import pytest
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[2]
PARTS = [p.parent for p in sorted(ROOT.glob("*/web/translations")) + sorted(ROOT.glob("services/*/translations"))]
METHODS = [("**/templates/**.html", "jinja2"), ("**.py", "python")]


@pytest.mark.parametrize("part", PARTS, ids=[str(p.relative_to(ROOT)) for p in PARTS])
def test_given_a_part_of_the_web_then_its_zh_catalog_translates_every_string_and_is_compiled(part: Path) -> None:
    po_file = part / "translations" / "zh" / "LC_MESSAGES" / "messages.po"
    catalog = read_po(po_file.open("rb"), locale="zh_Hans_CN")
    keywords = {**DEFAULT_KEYWORDS, "lazy_gettext": None}
    used = {message[2] if isinstance(message[2], str) else message[2][0]
            for message in extract_from_dir(str(part), METHODS, keywords=keywords)}
    untranslated = sorted(m.id for m in catalog if m.id and not m.string)
    missing = sorted(used - {m.id for m in catalog})
    assert (missing, untranslated) == ([], []), "run `make translations` and fill in the msgstr lines"
    compiled = read_mo(po_file.with_suffix(".mo").open("rb"))
    assert {m.id: m.string for m in compiled if m.id} == {m.id: m.string for m in catalog if m.id}, \
        "run `make translations` to compile"
