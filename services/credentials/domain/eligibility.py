"""Eligibility: every requirement of a certificate level beside the student's figure, met or not."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from services.credentials.domain.catalogue import Level


@dataclass(frozen=True)
class CompetencyFigures:
    """What the training record shows for one competency: signed hours, and the best combined assessment."""

    signed_hours: float = 0.0
    assessment: float | None = None
    """The best combined (enterprise and school) result that passed; None while there is none."""


def check(level: Level, figures: dict[str, CompetencyFigures]) -> tuple[bool, list[dict[str, Any]]]:
    """Whether the student meets the level, and each requirement with their figures."""
    rows = []
    for r in level.requirements:
        f = figures.get(r.competency, CompetencyFigures())
        hours_met = f.signed_hours >= r.min_signed_hours
        assessment_met = r.min_assessment is None or (f.assessment is not None and f.assessment >= r.min_assessment)
        rows.append({"competency": r.competency, "min_signed_hours": r.min_signed_hours,
                     "signed_hours": round(f.signed_hours, 2), "min_assessment": r.min_assessment,
                     "assessment": f.assessment, "met": hours_met and assessment_met})
    return all(row["met"] for row in rows), rows
