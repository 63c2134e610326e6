"""`make bench-scale`'s province: its shape at a tiny size (events per kind), its flags and its table."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from bench.scale import parse_args
from bench.scale_generate import Shape, generate
from bench.scale_report import scale_table
from dualtrack.bootstrap import Container
from dualtrack.settings import Settings

pytestmark = pytest.mark.unit


def test_given_sixty_students_when_the_province_is_generated_then_each_has_a_placement_a_plan_and_a_term_of_practice(
        tmp_path: Path) -> None:
    container = Container(Settings(data_dir=tmp_path, database_url="memory:", secret_key="s" * 40)).open()
    try:
        province = generate(container, 60, say=lambda _: None)
        kinds = {ctx: Counter(n.topic.rsplit(":", 1)[-1].rsplit(".", 1)[-1]
                              for n in container.app(ctx).recorder.select_notifications(1, 10_000))
                 for ctx in ("placements", "schedules", "training")}
    finally:
        container.close()

    assert province.shape == Shape(60, 1, 2, 1, 2)
    assert {kinds["placements"][k] for k in ("StudentEnrolled", "PlacementProposed", "PlacementAgreed",
                                             "PlaceBooked", "PlacementActivated")} == {60}
    assert kinds["schedules"] == Counter({"RotationPlanDrafted": 2, "RotationPlanPublished": 2})
    assert (kinds["training"]["TrainingRecordOpened"], kinds["training"]["PracticeLogged"],
            kinds["training"]["PracticeSignedOff"]) == (60, 240, 240)
    assert kinds["training"]["PracticeCorrected"] == 6 + 3 and kinds["training"]["PracticeRejected"] == 3
    assert kinds["training"]["CompetencyAssessmentsCombined"] == 12
    assert 19 <= province.total_events / 60 <= 21
    assert len(province.sample_students) == 50  # the first school's first students, for the queries


def test_given_the_scale_flags_when_parsed_then_sizes_are_students_and_the_default_is_the_cost_curve() -> None:
    assert parse_args([]).students == [5000, 15000, 50000]
    assert parse_args(["--sizes", "200"]).students == [200]
    with pytest.raises(SystemExit):
        parse_args(["--sizes", "10"])


def test_given_two_sizes_when_tabled_then_each_time_is_also_given_per_event_with_its_growth() -> None:
    sizes = [{"students": 100, "events": 2000, "generate": {"seconds": 1.0}},
             {"students": 200, "events": 4000, "generate": {"seconds": 3.0}}]

    rows = {row[0]: row[1:] for row in _cells(scale_table(sizes))}

    assert rows["generate (s)"] == ("1.0", "3.0", "500 / 750 µs", "1.50×")


def _cells(table) -> list[tuple[str, ...]]:  # type: ignore[no-untyped-def]
    columns = [list(c.cells) for c in table.columns]
    return [tuple(str(col[i]) for col in columns) for i in range(len(columns[0]))]
