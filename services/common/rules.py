"""Rule sets: the parameters of the placement and training rules, each version in force from a date.

A school follows one named rule set; the version that applies to a decision is the one in force on
the business date the decision is about (a placement's start, an entry's date), so a rule change
never rewrites the past and never needs a manual override.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from services.common.errors import RuleViolated


@dataclass(frozen=True)
class RuleSet:
    """One version of a named rule set."""

    name: str
    effective_from: date
    description: str
    max_hours_per_day: int = 8
    max_hours_per_week: int = 40
    adult_age: int = 18
    min_age: int | None = None
    """Youngest age at a placement's start; None: no minimum."""
    first_year_post_internships: bool = True
    """Whether students in their first year after enrolment may start a post internship."""
    guardian_confirms_for_minors: bool = True
    """Whether a minor's placement must be confirmed by their guardian rather than themselves."""
    dual_sign_off: bool = False
    """Whether a teacher of the school countersigns practice entries after the mentor signed them."""
    edit_window_days: int = 14
    """Entries about days further back than this are logged or corrected only by a coordinator, with a reason."""
    assessment_combination: str = "lower-of-both"
    """How the enterprise's and the school's assessment of a competency combine: `lower-of-both` (both must
    pass; the lower result counts) or `weighted-mean` (weighted by `enterprise_assessment_weight`)."""
    enterprise_assessment_weight: float = 0.5


DEFAULT = "default"
CN_VOCATIONAL_INTERNSHIP = "cn-vocational-internship"

RULE_SETS: dict[str, tuple[RuleSet, ...]] = {
    DEFAULT: (
        RuleSet(DEFAULT, date(2000, 1, 1), "dualtrack's defaults: 8 h a day, 40 h a week, guardians confirm for "
                "minors, mentors sign practice alone, a 14-day edit window, an assessment counts at the lower of the "
                "enterprise's and the school's results"),
    ),
    CN_VOCATIONAL_INTERNSHIP: (
        RuleSet(
            CN_VOCATIONAL_INTERNSHIP,
            date(2022, 1, 1),
            "Provisions on the administration of vocational school student internships: no first-year students "
            "in post internships, at least 16 years old, guardian consent for minors, 8 h a day, 40 h a week; practice "
            "entries are countersigned by the school's guiding teacher, a 7-day edit window, enterprise and school "
            "assessments weigh half each",
            min_age=16,
            first_year_post_internships=False,
            dual_sign_off=True,
            edit_window_days=7,
            assessment_combination="weighted-mean",
        ),
    ),
}


class UnknownRuleSet(RuleViolated):
    """No rule set of that name."""


def rule_set_in_force(name: str, on: date) -> RuleSet:
    """The version of rule set `name` in force on the given date; before its first version, that first one
    (a school that adopts a rule set applies it to the records it already had)."""
    versions = RULE_SETS.get(name)
    if not versions:
        raise UnknownRuleSet("unknown-rule-set", f"no rule set named {name!r}", known=sorted(RULE_SETS))
    in_force = [v for v in versions if v.effective_from <= on]
    return max(in_force, key=lambda v: v.effective_from) if in_force else min(versions, key=lambda v: v.effective_from)


def age_on(date_of_birth: date, on: date) -> int:
    return on.year - date_of_birth.year - ((on.month, on.day) < (date_of_birth.month, date_of_birth.day))
