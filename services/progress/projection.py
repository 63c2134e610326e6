"""The `progress` read model: where each student stands — placement, hours by competency against the
plan, pending sign-offs, assessments, certificates and credit balance — and what each mentor and school
has waiting for signature.

It follows four topics. Every handler writes only facts its own event carries (or facts of the same
aggregate, which arrive in order), and every figure is summed when asked for, so the view is the same
however the placements, training, credentials and schedules topics interleave. Published rotation plans give
each student's current and next block (each published revision replaces what was held for its plan).

Nothing personal is kept: the topics carry no name, date of birth, contact or free text (docs/published-fields.md),
so an entry's description, a rejection's reason and an assessment's evidence are read from the training application
by the pages that show them. A student's erasure (`StudentErased`) is recorded: their progress answers `erased`.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from datetime import date, timedelta
from typing import Any

from contracts.events import every_version_of
from services.common.practice_ledger import PracticeLedger
from services.common.projection import Handler, Projection
from services.common.published_places import PublishedPlaces
from services.common.viewstore import Tx

STUDENTS = "progress_students"
ERASED = "progress_erased_students"
"""The students whose personal data was erased, and when."""
PLACEMENTS = "progress_placements"
MENTORS = "progress_centre_mentors"
PLANS = "progress_plans"
TARGETS = "progress_targets"
ASSESSMENTS = "progress_assessments"
COMBINED = "progress_combined_assessments"
CREDIT_ACCOUNTS = "progress_credit_accounts"
AWARDS = "progress_awards"
CREDIT_EFFECTS = "progress_credit_effects"
APPROVALS = "progress_placement_approvals"
"""Who agreed to a proposed placement so far: `school`, `enterprise`, `student` (its confirmation)."""
REQUIREMENTS = "progress_certificate_requirements"
"""Each certificate level's requirements, as listed (levels are fixed once a certificate is listed)."""
AVAILABLE = "available"
"""The ledger account whose holdings are the student's credit balance (services/credentials/domain/account.py)."""
PRACTICE = "progress_practice_summary"
"""Per student and placement, summed from the student's entries after each of their practice events: the last day
logged (not sent back), the minutes signed, how many await a signature or countersignature and since when."""
SIGNED = "progress_signed_by_competency"
"""Per student and competency, the seconds signed (every placement), summed the same way."""
LEDGER = PracticeLedger("progress")
BLOCKS = PublishedPlaces("progress")
"""Where published plans put each student, block by block."""


# -- placements -------------------------------------------------------------------------------------
def _student_enrolled(p: Any, tx: Tx, e: Any) -> None:
    d = e.data
    tx.execute(
        f"INSERT INTO {tx.table(STUDENTS)} (student_id, school_id, major, cohort) VALUES (?, ?, ?, ?) "
        "ON CONFLICT (student_id) DO NOTHING",
        (e.subject, d["school_id"], d["major"], d["cohort"]),
    )


def _student_erased(p: Any, tx: Tx, e: Any) -> None:
    tx.execute(f"INSERT INTO {tx.table(ERASED)} (student_id, erased_at) VALUES (?, ?) ON CONFLICT DO NOTHING",
               (e.subject, e.time))


def _placement_proposed(p: Any, tx: Tx, e: Any) -> None:
    d = e.data
    tx.execute(
        f"INSERT INTO {tx.table(PLACEMENTS)} (placement_id, student_id, centre_id, enterprise_id, status, start_date, "
        "planned_end, activated_on, ended_on, mentor_id, post, pending_start, pending_end) "
        "VALUES (?, ?, ?, ?, 'proposed', ?, ?, NULL, NULL, NULL, ?, NULL, NULL) ON CONFLICT (placement_id) DO NOTHING",
        (d["placement_id"], e.subject, d["centre_id"], d["enterprise_id"], d["start"], d["planned_end"], d["post"]),
    )


def _placement(assignments: str, *fields: str, status: str | None = None) -> Handler:
    def handler(p: Any, tx: Tx, e: Any) -> None:
        params = [e.data[f] for f in fields]
        sets = assignments
        if status is not None:
            sets = f"status = '{status}'" + (f", {assignments}" if assignments else "")
        tx.execute(f"UPDATE {tx.table(PLACEMENTS)} SET {sets} WHERE placement_id = ?",
                   (*params, e.data["placement_id"]))

    return handler


def _placement_transferred(p: Any, tx: Tx, e: Any) -> None:
    ended = (date.fromisoformat(e.data["on"]) - timedelta(days=1)).isoformat()
    tx.execute(f"UPDATE {tx.table(PLACEMENTS)} SET status = 'transferred', ended_on = ? WHERE placement_id = ?",
               (ended, e.data["placement_id"]))


def _amendment_agreed(p: Any, tx: Tx, e: Any) -> None:
    tx.execute(
        f"UPDATE {tx.table(PLACEMENTS)} SET start_date = COALESCE(pending_start, start_date), "
        "planned_end = COALESCE(pending_end, planned_end), pending_start = NULL, pending_end = NULL "
        "WHERE placement_id = ?", (e.data["placement_id"],),
    )


def _approved(step: str, mentor: bool = False) -> Handler:
    def handler(p: Any, tx: Tx, e: Any) -> None:
        if mentor:
            tx.execute(f"UPDATE {tx.table(PLACEMENTS)} SET mentor_id = ? WHERE placement_id = ?",
                       (e.data["mentor_id"], e.data["placement_id"]))
        tx.execute(f"INSERT INTO {tx.table(APPROVALS)} (placement_id, step) VALUES (?, ?) ON CONFLICT DO NOTHING",
                   (e.data["placement_id"], step))

    return handler


def _mentor_assigned(p: Any, tx: Tx, e: Any) -> None:
    tx.execute(f"INSERT INTO {tx.table(MENTORS)} (centre_id, mentor_id) VALUES (?, ?) ON CONFLICT DO NOTHING",
               (e.subject, e.data["mentor_id"]))


def _mentor_withdrawn(p: Any, tx: Tx, e: Any) -> None:
    tx.execute(f"DELETE FROM {tx.table(MENTORS)} WHERE centre_id = ? AND mentor_id = ?",
               (e.subject, e.data["mentor_id"]))


# -- training ---------------------------------------------------------------------------------------
def _summarised(handler: Handler) -> Handler:
    """The ledger's handler, then the student's practice noted as changed: their sums are made again from their
    current entries once the batch is applied (ProgressProjection.apply_batch)."""
    def summarised(p: Any, tx: Tx, e: Any) -> None:
        handler(p, tx, e)
        student_id = _student_of(tx, e.subject)
        if student_id is not None:
            p.practice_changed(tx, student_id)

    return summarised


def _sum_practice(tx: Tx, student_id: str) -> None:
    """The student's practice summed again from their current entries (not a counter: the sums are recomputed from
    the rows, so corrections and rejections leave nothing behind)."""
    entries, shares = tx.table(LEDGER.entries), tx.table(LEDGER.shares)
    tx.execute(f"DELETE FROM {tx.table(PRACTICE)} WHERE student_id = ?", (student_id,))
    tx.execute(
        f"INSERT INTO {tx.table(PRACTICE)} (student_id, placement_id, school_id, last_day, signed_minutes, "
        "pending, pending_since, countersign, countersign_since) SELECT student_id, placement_id, MIN(school_id), "
        "MAX(CASE WHEN status != 'rejected' THEN day END), "
        "SUM(CASE WHEN status = 'signed' THEN minutes ELSE 0 END), "
        "SUM(CASE WHEN status = 'pending' THEN 1 ELSE 0 END), "
        "MIN(CASE WHEN status = 'pending' THEN updated_at END), "
        "SUM(CASE WHEN status = 'awaiting-countersignature' THEN 1 ELSE 0 END), "
        "MIN(CASE WHEN status = 'awaiting-countersignature' THEN updated_at END) "
        f"FROM {entries} WHERE student_id = ? GROUP BY student_id, placement_id", (student_id,))
    tx.execute(f"DELETE FROM {tx.table(SIGNED)} WHERE student_id = ?", (student_id,))
    tx.execute(
        f"INSERT INTO {tx.table(SIGNED)} (student_id, competency, seconds) SELECT e.student_id, s.competency, "
        f"SUM(s.seconds) FROM {shares} s JOIN {entries} e ON e.entry_id = s.entry_id WHERE e.student_id = ? "
        "AND e.status = 'signed' GROUP BY e.student_id, s.competency", (student_id,))




def _student_of(tx: Tx, record_id: str) -> str | None:
    row = tx.execute(f"SELECT student_id FROM {tx.table(LEDGER.records)} WHERE record_id = ?", (record_id,)).fetchone()
    return row[0] if row else None


def _plan_drawn_up(p: Any, tx: Tx, e: Any) -> None:
    d = e.data
    student_id = _student_of(tx, e.subject)
    tx.execute(
        f"INSERT INTO {tx.table(PLANS)} (placement_id, student_id, centre_id, enterprise_id, catalogue_date, "
        "drawn_up_at) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (placement_id) DO NOTHING",
        (d["placement_id"], student_id, d["centre_id"], d["enterprise_id"], d["catalogue_date"], e.time),
    )
    tx.executemany(
        f"INSERT INTO {tx.table(TARGETS)} (placement_id, competency, title, target_hours, scale, ordinal) "
        "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (placement_id, competency) DO NOTHING",
        [(d["placement_id"], t["code"], t["title"], t["target_hours"], t["scale"], i)
         for i, t in enumerate(d["targets"])],
    )


def _target_adjusted(p: Any, tx: Tx, e: Any) -> None:
    d = e.data
    tx.execute(f"UPDATE {tx.table(TARGETS)} SET target_hours = ? WHERE placement_id = ? AND competency = ?",
               (d["target_hours"], d["placement_id"], d["code"]))


def _assessed(p: Any, tx: Tx, e: Any) -> None:
    d = e.data
    tx.execute(
        f"INSERT INTO {tx.table(ASSESSMENTS)} (student_id, competency, assessor, result, passed, scale, "
        "assessed_on, assessed_by, placement_id, assessment_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
        "ON CONFLICT (placement_id, competency, assessor) DO UPDATE SET result = excluded.result, "
        "passed = excluded.passed, scale = excluded.scale, assessed_on = excluded.assessed_on, "
        "assessed_by = excluded.assessed_by, assessment_id = excluded.assessment_id",
        (_student_of(tx, e.subject), d["competency"], d["assessor"], d["result"], int(d["passed"]), d["scale"],
         d["assessed_on"], e.extensions.get("actor"), d["placement_id"], d["assessment_id"]),
    )


def _combined(p: Any, tx: Tx, e: Any) -> None:
    d = e.data
    tx.execute(
        f"INSERT INTO {tx.table(COMBINED)} (student_id, placement_id, competency, result, passed, rule, rule_set) "
        "VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (placement_id, competency) DO UPDATE SET result = excluded.result, "
        "passed = excluded.passed, rule = excluded.rule, rule_set = excluded.rule_set",
        (_student_of(tx, e.subject), d["placement_id"], d["competency"], d["result"], int(d["passed"]), d["rule"],
         d["rule_set"]),
    )


# -- credentials ------------------------------------------------------------------------------------
def _account_of(tx: Tx, account_id: str) -> str | None:
    """The student of a credit account (opened before any other event of the account: same aggregate)."""
    row = tx.execute(f"SELECT student_id FROM {tx.table(CREDIT_ACCOUNTS)} WHERE account_id = ?",
                     (account_id,)).fetchone()
    return row[0] if row else None


def _credit_account_opened(p: Any, tx: Tx, e: Any) -> None:
    tx.execute(f"INSERT INTO {tx.table(CREDIT_ACCOUNTS)} (account_id, student_id) VALUES (?, ?) "
               "ON CONFLICT (account_id) DO NOTHING", (e.subject, e.data["student_id"]))


def _certificate_awarded(p: Any, tx: Tx, e: Any) -> None:
    d = e.data
    tx.execute(
        f"INSERT INTO {tx.table(AWARDS)} (award_id, account_id, student_id, certificate_code, level, awarded_on, "
        "certificate_number, eligible, revoked, recorded) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 0, ?) "
        "ON CONFLICT (award_id) DO NOTHING",
        (d["award_id"], e.subject, _account_of(tx, e.subject), d["certificate_code"], d["level"], d["awarded_on"],
         d["certificate_number"], int(d["eligible"]), e.aggregate_version),
    )


def _certificate_amended(p: Any, tx: Tx, e: Any) -> None:
    d = e.data
    tx.execute(f"UPDATE {tx.table(AWARDS)} SET awarded_on = ?, certificate_number = ? WHERE award_id = ?",
               (d["awarded_on"], d["certificate_number"], d["award_id"]))


def _certificate_revoked(p: Any, tx: Tx, e: Any) -> None:
    tx.execute(f"UPDATE {tx.table(AWARDS)} SET revoked = 1 WHERE award_id = ?", (e.data["award_id"],))


def _certificate_listed(p: Any, tx: Tx, e: Any) -> None:
    d = e.data
    tx.executemany(
        f"INSERT INTO {tx.table(REQUIREMENTS)} (certificate_code, level, level_ordinal, competency, min_signed_hours, "
        "min_assessment) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
        [(d["code"], level["level"], i, r["competency"], r["min_signed_hours"], r.get("min_assessment"))
         for i, level in enumerate(d["levels"]) for r in level.get("requirements") or []],
    )


def effect_on_available(line: dict[str, Any]) -> int:
    """What a ledger line does to the student's balance: credited to `available` adds, debited takes away."""
    amount = int(line["amount"])
    return (amount if line["credit"] == AVAILABLE else 0) - (amount if line["debit"] == AVAILABLE else 0)


def _credits_posted(p: Any, tx: Tx, e: Any) -> None:
    d = e.data
    tx.execute(f"INSERT INTO {tx.table(CREDIT_EFFECTS)} (line_id, account_id, student_id, effect) VALUES (?, ?, ?, ?) "
               "ON CONFLICT (line_id) DO NOTHING",
               (d["line_id"], e.subject, _account_of(tx, e.subject), effect_on_available(d)))


class ProgressProjection(Projection):
    """Where does each student stand, and what is waiting for whose signature?"""

    name = "progress"
    contexts = ("placements", "training", "credentials", "schedules")
    indexes = ((LEDGER.entries, ("student_id",)), (PLACEMENTS, ("student_id",)), (PLANS, ("student_id",)),
               (STUDENTS, ("school_id",)), *BLOCKS.indexes())
    tables = {
        STUDENTS: "student_id TEXT PRIMARY KEY, school_id TEXT NOT NULL, major TEXT NOT NULL, cohort INTEGER NOT NULL",
        ERASED: "student_id TEXT PRIMARY KEY, erased_at TEXT NOT NULL",
        PLACEMENTS: "placement_id TEXT PRIMARY KEY, student_id TEXT NOT NULL, centre_id TEXT NOT NULL, "
        "enterprise_id TEXT NOT NULL, status TEXT NOT NULL, start_date TEXT NOT NULL, planned_end TEXT NOT NULL, "
        "activated_on TEXT, ended_on TEXT, mentor_id TEXT, post TEXT NOT NULL, pending_start TEXT, pending_end TEXT",
        MENTORS: "centre_id TEXT NOT NULL, mentor_id TEXT NOT NULL, PRIMARY KEY (centre_id, mentor_id)",
        PLANS: "placement_id TEXT PRIMARY KEY, student_id TEXT, centre_id TEXT NOT NULL, enterprise_id TEXT NOT NULL, "
        "catalogue_date TEXT NOT NULL, drawn_up_at TEXT NOT NULL",
        TARGETS: "placement_id TEXT NOT NULL, competency TEXT NOT NULL, title TEXT NOT NULL, "
        "target_hours INTEGER NOT NULL, scale TEXT NOT NULL, ordinal INTEGER NOT NULL, "
        "PRIMARY KEY (placement_id, competency)",
        ASSESSMENTS: "student_id TEXT NOT NULL, competency TEXT NOT NULL, assessor TEXT NOT NULL, "
        "result DOUBLE PRECISION NOT NULL, passed INTEGER NOT NULL, scale TEXT NOT NULL, assessed_on TEXT NOT NULL, "
        "assessed_by TEXT, placement_id TEXT NOT NULL, assessment_id TEXT, "
        "PRIMARY KEY (placement_id, competency, assessor)",
        COMBINED: "student_id TEXT NOT NULL, placement_id TEXT NOT NULL, competency TEXT NOT NULL, "
        "result DOUBLE PRECISION NOT NULL, passed INTEGER NOT NULL, rule TEXT NOT NULL, rule_set TEXT NOT NULL, "
        "PRIMARY KEY (placement_id, competency)",
        CREDIT_ACCOUNTS: "account_id TEXT PRIMARY KEY, student_id TEXT NOT NULL",
        AWARDS: "award_id TEXT PRIMARY KEY, account_id TEXT NOT NULL, student_id TEXT, certificate_code TEXT NOT NULL, "
        "level TEXT NOT NULL, awarded_on TEXT NOT NULL, certificate_number TEXT, eligible INTEGER NOT NULL, "
        "revoked INTEGER NOT NULL, recorded BIGINT NOT NULL",
        CREDIT_EFFECTS: "line_id TEXT PRIMARY KEY, account_id TEXT NOT NULL, student_id TEXT, effect INTEGER NOT NULL",
        APPROVALS: "placement_id TEXT NOT NULL, step TEXT NOT NULL, PRIMARY KEY (placement_id, step)",
        REQUIREMENTS: "certificate_code TEXT NOT NULL, level TEXT NOT NULL, level_ordinal INTEGER NOT NULL, "
        "competency TEXT NOT NULL, min_signed_hours DOUBLE PRECISION NOT NULL, min_assessment DOUBLE PRECISION, "
        "PRIMARY KEY (certificate_code, level, competency)",
        PRACTICE: "student_id TEXT NOT NULL, placement_id TEXT NOT NULL, school_id TEXT, last_day TEXT, "
        "signed_minutes BIGINT NOT NULL, pending INTEGER NOT NULL, pending_since TEXT, countersign INTEGER NOT NULL, "
        "countersign_since TEXT, PRIMARY KEY (student_id, placement_id)",
        SIGNED: "student_id TEXT NOT NULL, competency TEXT NOT NULL, seconds BIGINT NOT NULL, "
        "PRIMARY KEY (student_id, competency)",
        **LEDGER.tables(),
        **BLOCKS.tables(),
    }
    handlers = {
        **every_version_of("placements", {
            "StudentEnrolled": _student_enrolled,
            "StudentErased": _student_erased,
            "PlacementProposed": _placement_proposed,
            "PlacementAgreed": _placement("", status="agreed"),
            "PlacementApprovedBySchool": _approved("school"),
            "PlacementApprovedByEnterprise": _approved("enterprise", mentor=True),
            "PlacementConfirmedByStudent": _approved("student"),
            "PlacementActivated": _placement("activated_on = ?", "on", status="active"),
            "PlacementPaused": _placement("", status="paused"),
            "PlacementResumed": _placement("", status="active"),
            "PlacementStopped": _placement("ended_on = ?", "on", status="stopped"),
            "PlacementCompleted": _placement("ended_on = ?", "on", status="completed"),
            "PlacementTransferred": _placement_transferred,
            "PlacementWithdrawn": _placement("", status="withdrawn"),
            "PlacementAmendmentProposed": _placement("pending_start = ?, pending_end = ?", "start", "planned_end"),
            "PlacementAmendmentAgreed": _amendment_agreed,
            "MentorAssigned": _mentor_assigned,
            "MentorWithdrawn": _mentor_withdrawn,
        }),
        **every_version_of("training", {
            "TrainingPlanDrawnUp": _plan_drawn_up,
            "TrainingTargetAdjusted": _target_adjusted,
            "CompetencyAssessed": _assessed,
            "CompetencyAssessmentsCombined": _combined,
            **{name: _summarised(handler) if name.startswith("Practice") else handler
               for name, handler in LEDGER.handlers().items()},
        }),
        **every_version_of("credentials", {
            "CertificateListed": _certificate_listed,
            "CreditAccountOpened": _credit_account_opened,
            "CertificateAwarded": _certificate_awarded,
            "CertificateAmended": _certificate_amended,
            "CertificateRevoked": _certificate_revoked,
            "CreditsPosted": _credits_posted,
        }),
        **every_version_of("schedules", BLOCKS.handlers()),
    }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._batch = threading.local()

    def apply_batch(self, tx: Tx, events: Sequence[Any]) -> list[bool]:
        """The events applied in order, then each student whose practice changed summed once (not once an event:
        a rebuild replaying a long logbook would sum it again after every entry)."""
        changed: set[str] = set()
        self._batch.students = changed
        try:
            outcome = super().apply_batch(tx, events)
            for student_id in sorted(changed):
                _sum_practice(tx, student_id)
        finally:
            self._batch.students = None
        return outcome

    def practice_changed(self, tx: Tx, student_id: str) -> None:
        changed = getattr(self._batch, "students", None)
        if changed is None:  # a handler called on its own, outside a batch
            _sum_practice(tx, student_id)
        else:
            changed.add(student_id)

    def describe(self) -> str:
        return ("each student's placement, current and next block, hours by competency against the plan, "
                "sign-offs, assessments, certificates and credit balance")
