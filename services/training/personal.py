"""What of the training context's events is personal: sealed with the key of the student's training record
(services/common/sealing.py), which a student's erasure destroys with their other keys.

Free text about the student: what a practice entry says was done (as logged and as corrected), why an entry was
sent back, the evidence of an assessment, and the reason of every event of the record. A record's snapshots are
sealed whole."""

from __future__ import annotations

from events.training import (
    CompetencyAssessed,
    PracticeCorrected,
    PracticeLogged,
    PracticeRejected,
    TrainingRecordOpened,
)
from services.common.sealing import ERASED, Personal, PersonalData, events_applied_by
from services.training.domain.record import TrainingRecord

PERSONAL_DATA = PersonalData(
    fields={
        PracticeLogged: Personal({"description": ERASED}),
        PracticeCorrected: Personal({"description": ERASED}),
        PracticeRejected: Personal({"reason": ERASED}),
        CompetencyAssessed: Personal({"evidence": ERASED}),
    },
    reasons=events_applied_by(TrainingRecord, TrainingRecordOpened),
    snapshots=frozenset({TrainingRecord}),
)
