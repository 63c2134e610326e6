"""What the progress pages show that is not on the topics: an entry's description, why it was sent back, and what
an assessment rests on. These are free text about a student, so no topic carries them and the progress read model
does not keep them (docs/published-fields.md); a page reads them from the training application, which keeps them,
as the person asking (who must be allowed to read the student's training record)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from services.common.errors import NotAllowed, NotFound
from toolkit.http.context import command_context, deployment


@dataclass
class FreeTexts:
    """One student's free texts, by entry id and by assessment id."""

    descriptions: dict[str, str] = field(default_factory=dict)
    sent_back: dict[str, str] = field(default_factory=dict)
    """The reason of the latest rejection of each entry."""
    evidence: dict[str, str] = field(default_factory=dict)
    last_reasons: dict[str, str | None] = field(default_factory=dict)
    """The reason given with each entry's latest event (a rejection's, a correction's), if any."""

    def fill_entry(self, entry: dict[str, Any]) -> dict[str, Any]:
        """The entry (as the read model answers it) with its description and, sent back, the reason."""
        key = entry.get("entry_id") or ""
        return {**entry, "description": self.descriptions.get(key, ""),
                "last_reason": self.last_reasons.get(key),
                "reason": self.sent_back.get(key) if entry.get("status") == "rejected" else None}

    def fill_progress(self, progress: dict[str, Any]) -> dict[str, Any]:
        """A student's progress with the texts of its entries and assessments."""
        for key in ("pending_sign_offs", "awaiting_countersignature", "rejected_entries"):
            progress[key] = [self.fill_entry(e) for e in progress.get(key) or []]
        for competency in progress.get("competencies") or []:
            for side, assessment in (competency.get("assessment") or {}).items():
                if side != "combined" and assessment.get("assessment_id"):
                    assessment["evidence"] = self.evidence.get(assessment["assessment_id"])
        return progress


def free_texts(student_id: str) -> FreeTexts:
    """The student's free texts from their training record (none when it does not exist or is not the caller's)."""
    app = deployment().app("training")
    try:
        record = app.get_training_record(command_context(), UUID(student_id))
    except (NotFound, NotAllowed, ValueError):
        return FreeTexts()
    if record is None:
        return FreeTexts()
    found = FreeTexts(descriptions={e.id: e.current.description for e in record.entries.values()})
    for event in app.repository.event_store.get(record.id):
        kind = type(event).__name__
        entry_id = getattr(event, "entry_id", None)
        if entry_id is not None:
            reason = event.reason if kind == "PracticeRejected" else getattr(event.meta, "reason", None)
            found.last_reasons[entry_id] = reason
        if kind == "PracticeRejected":
            found.sent_back[event.entry_id] = event.reason
        elif kind == "CompetencyAssessed":
            found.evidence[event.assessment_id] = event.evidence
    return found


def with_revocation_reasons(student_id: str, progress: dict[str, Any]) -> dict[str, Any]:
    """The progress with why each revoked certificate was revoked, from the credentials application (the read model
    keeps no free text); left empty when the caller may not read the student's credit account."""
    if not any(c.get("revoked") for c in progress.get("certificates") or []):
        return progress
    try:
        account = deployment().app("credentials").get_account(command_context(), UUID(student_id))
    except (NotFound, NotAllowed, ValueError):
        return progress
    awards = account.awards if account is not None else {}
    for certificate in progress["certificates"]:
        award = awards.get(certificate.get("award_id"))
        if certificate.get("revoked") and award is not None:
            certificate["revoked_reason"] = award.revocation_reason
    return progress
