"""The bench's report: derived rates, target marking, table and JSON file. No timing is asserted here."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from rich.console import Console

from bench.generate import Plan, generate
from bench.report import Figure, best_of, figures_table, report_document, write_report
from dualtrack.bootstrap import Container
from dualtrack.settings import Settings

pytestmark = pytest.mark.unit


def render(figures: list[Figure]) -> str:
    console = Console(width=200, record=True, color_system=None)
    console.print(figures_table(figures))
    return console.export_text()


def test_given_a_figure_and_its_reference_then_rates_and_ratio_are_derived_from_the_same_events() -> None:
    figure = Figure("relay", events=1000, seconds=2.0, reference_seconds=1.0, target=0.7)
    assert figure.rate == 500 and figure.reference_rate == 1000
    assert figure.ratio == 0.5 and figure.status == "MISSED"


def test_given_a_ratio_at_or_above_its_target_then_it_is_met() -> None:
    assert Figure("rebuild", 1000, 2.0, reference_seconds=1.0, target=0.5).status == "met"
    assert Figure("import", 1000, 2.0).status == "" and Figure("import", 1000, 2.0).ratio is None


def test_given_a_missed_and_a_met_target_then_the_table_marks_each() -> None:
    text = render([
        Figure("relay", 200_000, 50.0, reference_seconds=30.0, target=0.7, note="batch 1000"),
        Figure("rebuild", 200_000, 20.0, reference_seconds=10.0, target=0.35),
        Figure("batch import", 200_000, 16.0),
    ])
    relay_row = next(line for line in text.splitlines() if line.lstrip("│ ").startswith("relay"))
    assert "MISSED" in relay_row and "0.600" in relay_row and "4,000" in relay_row
    rebuild_row = next(line for line in text.splitlines() if line.lstrip("│ ").startswith("rebuild"))
    assert "met" in rebuild_row and "0.500" in rebuild_row
    assert "relay: batch 1000" in text


def test_given_figures_then_the_json_report_holds_them_with_derived_numbers(tmp_path: Path) -> None:
    figures = [Figure("relay", 100, 1.0, reference_seconds=0.5, target=0.7, trials={"relay": [1.2, 1.0]})]
    document = report_document(figures, {"events": 100})
    path = write_report(document, tmp_path / "bench", now=datetime(2030, 1, 2, 3, 4, 5, tzinfo=UTC))
    assert path.name == "bench-20300102T030405Z.json"
    saved = json.loads(path.read_text())
    assert saved["missed"] == ["relay"] and saved["context"] == {"events": 100}
    assert saved["figures"][0]["ratio"] == 0.5 and saved["figures"][0]["trials"] == {"relay": [1.2, 1.0]}


def test_best_of_repeated_timings_is_the_fastest() -> None:
    assert best_of([3.0, 2.5, 2.9]) == 2.5


def test_given_an_event_count_then_the_plan_and_the_generated_store_hold_exactly_that_many(tmp_path: Path) -> None:
    plan = Plan.for_events(1_234)
    assert plan.events == 1_234 and plan.enterprises >= 1 and plan.centres >= 1
    container = Container(Settings(data_dir=tmp_path / "var", database_url="memory:"))  # the bench itself uses files
    try:
        generated = generate(container.placements, plan, events_per_save=100)
    finally:
        container.close()
    assert generated.events == 1_234 and generated.saves > 2
