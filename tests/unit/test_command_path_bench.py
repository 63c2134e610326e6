"""The command-path bench: its plain reference app does the same work as the enrolment, and its figures read as the
issue asks (a ratio against the reference, a p99 against 15 ms). No timing is asserted here."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from bench.command_path import BODY, SECRET, Trials, figures, percentile
from bench.reference_app import create_app, prepare

pytestmark = pytest.mark.unit


@pytest.fixture
def reference(tmp_path: Path) -> tuple[object, str, str, Path]:
    db = tmp_path / "reference.sqlite3"
    school_id, token = prepare(db, SECRET)
    return create_app(db, SECRET).test_client(), school_id, token, db


def test_given_a_coordinator_token_when_enrolling_at_the_reference_then_one_event_row_is_kept_and_201_names_it(
    reference: tuple[object, str, str, Path],
) -> None:
    client, school_id, token, db = reference
    answer = client.post(f"/api/v1/schools/{school_id}/students", json=BODY,  # type: ignore[attr-defined]
                         headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 201
    rows = sqlite3.connect(db).execute("SELECT originator_id, originator_version, topic FROM events").fetchall()
    assert rows == [(answer.json["id"], 1, "StudentEnrolled")]


def test_given_a_forged_token_or_a_bad_body_when_enrolling_at_the_reference_then_it_is_refused_and_nothing_kept(
    reference: tuple[object, str, str, Path],
) -> None:
    client, school_id, token, db = reference
    path = f"/api/v1/schools/{school_id}/students"
    forged = client.post(path, json=BODY, headers={"Authorization": f"Bearer {token}x"})  # type: ignore[attr-defined]
    no_cohort = client.post(path, json={**BODY, "cohort": "soon"},  # type: ignore[attr-defined]
                            headers={"Authorization": f"Bearer {token}"})
    assert (forged.status_code, no_cohort.status_code) == (401, 422)
    assert "cohort" in no_cohort.json["fields"]
    assert sqlite3.connect(db).execute("SELECT count(*) FROM events").fetchone() == (0,)


def test_given_trials_of_both_apps_then_the_figures_are_a_ratio_of_the_best_rates_and_the_median_p99() -> None:
    dualtrack = Trials(rates=[150.0, 200.0], p50_ms=[5.0, 6.0], p99_ms=[12.0, 20.0, 14.0])
    reference = Trials(rates=[400.0, 250.0], p50_ms=[2.0, 2.0], p99_ms=[8.0, 9.0, 7.0])
    saturated, latency = figures({"dualtrack": dualtrack, "reference": reference}, 8.0, 10.0)
    assert saturated.ratio == pytest.approx(0.5) and saturated.status == "MISSED"
    assert latency.p99_ms == 14.0 and latency.status == "met"
    assert "reference p50 2.0 ms p99 8.0 ms" in latency.note


def test_given_latencies_then_the_percentile_is_the_value_at_that_rank() -> None:
    values = [float(v) for v in range(1, 101)]
    assert (percentile(values, 0.5), percentile(values, 0.99)) == (51.0, 100.0)


def test_given_only_command_path_then_the_bench_takes_that_figure_alone_in_the_turns_asked() -> None:
    from bench.__main__ import parse_args

    args = parse_args(["--only", "command-path", "--command-rounds", "2"])
    assert (args.only, args.command_rounds) == ("command-path", 2)
    assert parse_args([]).only is None
