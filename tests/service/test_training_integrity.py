"""What cannot be got round: a signature stands until the school changes the entry, a later stop or pause
takes the uncovered days out of signing, each host judges only its own placement, and results sit on
their scale's steps. On in-memory event stores."""

from __future__ import annotations

from datetime import date, time, timedelta

import pytest

from services.common.errors import RuleViolated
from tests.service.training_world import MONDAY, TrainingWorld, build_training_world

pytestmark = pytest.mark.rules

TUESDAY, WEDNESDAY = MONDAY + timedelta(days=1), MONDAY + timedelta(days=2)


@pytest.fixture
def tw(container) -> TrainingWorld:
    return build_training_world(container)


def _correct(tw: TrainingWorld, ctx, student, entry: str, end: time) -> None:
    tw.training.correct_practice(ctx, student, entry, day=MONDAY, start=time(8), end=end, competencies=["M1"],
                                 description="practice", reason="left early")


def test_given_a_signed_entry_when_its_mentor_corrects_it_then_it_is_refused_and_the_signature_stands(
    tw: TrainingWorld,
) -> None:
    student, _ = tw.placed()
    entry = tw.log(student).entry_id
    tw.sign(student, entry)
    before = tw.training.max_position()
    with pytest.raises(RuleViolated) as refused:
        _correct(tw, tw.mentor(tw.workshop), student, entry, time(11))
    assert (refused.value.rule, refused.value.details["status"]) == ("signed-entry", "signed")
    assert tw.training.max_position() == before and tw.entry(student, entry).status == "signed"


def test_given_a_signed_entry_when_a_teacher_of_the_school_corrects_it_then_it_awaits_signature_again(
    tw: TrainingWorld,
) -> None:
    student, _ = tw.placed()
    entry = tw.log(student).entry_id
    tw.sign(student, entry)
    _correct(tw, tw.teacher(), student, entry, time(11))
    corrected = tw.entry(student, entry)
    assert (corrected.status, corrected.revision, corrected.revisions[0].end) == ("pending", 2, time(12))


def test_given_a_placement_stopped_with_effect_before_an_entry_when_the_mentor_signs_it_then_the_day_is_not_covered(
    tw: TrainingWorld,
) -> None:
    student, placement = tw.placed()
    entry = tw.log(student, WEDNESDAY).entry_id
    tw.app.stop_placement(tw.coordinator, student, placement, on=TUESDAY, reason_code="health",
                          reason_text="hospital stay")
    with pytest.raises(RuleViolated) as refused:
        tw.sign(student, entry)
    assert refused.value.rule == "placement-not-running"
    assert refused.value.details["last_day"] == str(TUESDAY) and refused.value.details["entry_id"] == entry
    tw.training.reject_practice(tw.teacher(), student, entry, reason="the placement had stopped")
    assert tw.entry(student, entry).status == "rejected"


def test_given_a_transfer_when_each_side_assesses_at_a_different_host_then_nothing_is_combined_across_placements(
    tw: TrainingWorld,
) -> None:
    student, workshop = tw.placed()
    tw.training.assess_competency(tw.mentor(tw.workshop), student, workshop, competency="M1", result=2,
                                  evidence="first weeks", assessed_on=MONDAY)
    depot = tw.app.transfer_placement(tw.coordinator, student, workshop, to_centre_id=tw.depot, on=TUESDAY,
                                      reason="rotation").placement_id
    tw.approve_all(student, depot)
    tw.activate(student, depot, TUESDAY)
    tw.training.assess_competency(tw.teacher(), student, depot, competency="M1", result=5, evidence="oral exam",
                                  assessed_on=WEDNESDAY)
    assert "CompetencyAssessmentsCombined" not in [type(e).__name__ for e in tw.events()]
    tw.training.assess_competency(tw.mentor(tw.depot), student, depot, competency="M1", result=4,
                                  evidence="bogie drive", assessed_on=WEDNESDAY)
    [combined] = [e for e in tw.events() if type(e).__name__ == "CompetencyAssessmentsCombined"]
    assert (combined.placement_id, combined.enterprise_result, combined.school_result, combined.result) == (
        depot, 4.0, 5.0, 4.0)


@pytest.mark.parametrize(("result", "accepted"), [(3.5, True), (5, True), (3.27, False), (0.5, False)])
def test_given_the_five_point_scale_then_results_go_in_half_points(tw: TrainingWorld, result: float,
                                                                    accepted: bool) -> None:
    student, placement = tw.placed()
    def assess() -> object:
        return tw.training.assess_competency(tw.teacher(), student, placement, competency="M1", result=result,
                                             evidence="practical", assessed_on=date(2026, 11, 27))

    if accepted:
        assess()
    else:
        with pytest.raises(RuleViolated) as refused:
            assess()
        assert refused.value.rule == "result-out-of-scale"
