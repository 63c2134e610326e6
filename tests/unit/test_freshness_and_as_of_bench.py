"""The freshness and as-of figures of `make bench`: their flags, and a latency figure judged on its median too."""

from __future__ import annotations

import pytest

from bench.__main__ import parse_args
from bench.report import Figure

pytestmark = pytest.mark.unit


def test_given_the_bench_flags_when_only_freshness_or_as_of_is_asked_then_that_figure_and_its_sample_count_are_taken(
) -> None:
    fresh = parse_args(["--only", "freshness", "--freshness-samples", "50"])
    as_of = parse_args(["--only", "as-of", "--as-of-questions", "80"])

    assert (fresh.only, fresh.freshness_samples) == ("freshness", 50)
    assert (as_of.only, as_of.as_of_questions) == ("as-of", 80)
    assert (parse_args([]).freshness_samples, parse_args([]).as_of_questions) == (300, 400)


@pytest.mark.parametrize(("p50", "p99", "status"), [(4.0, 9.0, "met"), (25.0, 40.0, "MISSED"), (10.0, 70.0, "MISSED")])
def test_given_an_as_of_figure_with_a_median_limit_when_either_percentile_is_over_its_limit_then_it_is_missed(
        p50: float, p99: float, status: str) -> None:
    figure = Figure("as-of", 400, 2.0, p50_ms=p50, p50_limit_ms=20.0, p99_ms=p99, p99_limit_ms=60.0)

    assert figure.status == status
    assert figure.as_dict()["p50_ms"] == p50
