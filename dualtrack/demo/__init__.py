"""Demo data loaded by `dualtrack seed-demo` (and by `dualtrack run` on first start).

It walks every capability once, so a newcomer sees each of them in the read models and on the topic:
enterprises, centres and mentors; schools under both rule sets; students (a minor with a guardian);
placements proposed, approved by school and enterprise, confirmed (by a guardian for the minor),
agreed, activated, paused and resumed, amended and re-approved, transferred, stopped, completed and
withdrawn; a capacity override and a speciality override; competency catalogues kept by the administrator, with
the schools' change requests (a revised target and a retired competency approved, one rejected, one pending); a
week of practice logged, signed, rejected and corrected, a student's draft, a back-filled day and a batch upload;
dual sign-off with a countersignature and four entries awaiting the teacher's
(one whose description begins with "-", as a spreadsheet would take for a formula); assessments from both sides;
an X certificate awarded, converted and revoked; an enterprise's order class whose students their school proposed and
the enterprise accepted (one declined); rotation plans: one written by hand (with an exam week)
and one generated from a pattern, its draft changed, published over two overridden holiday conflicts,
then revised with a reason; reads of a student's personal data by an auditor and a coordinator, on record;
an account for each of its people (a role each, the coordinator also a teacher, the minor's guardian) and an
invitation still waiting in the mail; two placements still on their way through the pipeline (one waiting for the
enterprise, one for the school); a minor who left, erased at her guardian's request.

One module per context (placements, training, credentials, schedules, reads for the audit context); `world`
holds what they share. `seed_demo` loads them in the order the story needs.
"""

from __future__ import annotations

from dataclasses import replace

from dualtrack.bootstrap import Container
from dualtrack.demo.credentials import seed_credentials, seed_declined_proposal
from dualtrack.demo.people import PEOPLE, grant_roles, seed_invitations, seed_people
from dualtrack.demo.placements import (
    ENTERPRISES,
    MENTORS,
    SPRING_COHORT,
    seed_pipeline,
    seed_placements,
    seed_spring_cohort,
)
from dualtrack.demo.privacy import seed_erasure
from dualtrack.demo.reads import seed_reads
from dualtrack.demo.schedules import seed_schedules
from dualtrack.demo.training import seed_training
from dualtrack.demo.world import DEMO_TODAY, DemoIds, person_id

__all__ = ["DEMO_TODAY", "ENTERPRISES", "MENTORS", "PEOPLE", "SPRING_COHORT", "DemoIds", "person_id", "seed_demo"]


def seed_demo(container: Container) -> DemoIds:
    """Load the demo world through the application's command handlers, as real users would."""
    sign_ins = seed_people(container)
    ids = seed_placements(container)
    grant_roles(container, ids)
    seed_invitations(container, ids)
    seed_training(container, ids)
    seed_credentials(container, ids)
    seed_spring_cohort(container, ids)
    seed_declined_proposal(container, ids)
    seed_schedules(container, ids)
    seed_reads(container, ids)
    seed_pipeline(container, ids)
    seed_erasure(container, ids)
    return replace(ids, sign_ins=sign_ins)
