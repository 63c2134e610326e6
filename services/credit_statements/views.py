"""Queries on the credit statements read model, named after the questions they answer.

A line's `reason` and `revocation_reason` are free text, not on the topics (docs/published-fields.md): None here,
with `reason_given` saying whether there was one; the credentials application has them."""

from __future__ import annotations

import json
from typing import Any

from services.common.errors import NotFound
from services.common.freshness import FollowsProjection
from services.common.scope import Scope
from services.common.viewstore import ViewDatabase
from services.credit_statements.projection import (
    ACCOUNTS,
    ENTRIES,
    ENTRY_COLUMNS,
    ERASED,
    CreditStatementsProjection,
)

_AWARD_FIELDS = ("awarded_on", "certificate_number")
_LINE_FIELDS = ("line_id", "debit", "credit", "amount", "effect", "course", "rule_id", "reverses")


class CreditStatementsView(FollowsProjection):
    """What is on a student's credit account, and how did it get there?"""

    projection = CreditStatementsProjection.name
    contexts = CreditStatementsProjection.contexts

    def __init__(self, db: ViewDatabase) -> None:
        self._db = db

    def credit_statement(self, scope: Scope, student_id: str) -> dict[str, Any]:
        """The student's credit history: every award, amendment, revocation and ledger line in the order the
        account recorded them, each with who, when, why and the balance after it; the balance now."""
        with self._db.transaction(snapshot=True) as tx:  # the account and its lines from the same projector commit
            account = tx.execute(
                f"SELECT account_id, school_id, opened_at, opened_by FROM {ACCOUNTS} WHERE student_id = ? "
                "ORDER BY account_id LIMIT 1", (student_id,)).fetchone()
            if account is None or not _in_scope(scope, student_id, account[1]):
                raise NotFound(f"no credit account (yet) for student {student_id}, or not yours to see",
                               student_id=student_id)
            rows = tx.execute(f"SELECT {', '.join(ENTRY_COLUMNS)} FROM {ENTRIES} WHERE account_id = ? "
                              "ORDER BY version", (account[0],)).fetchall()
            erased = tx.execute(f"SELECT 1 FROM {ERASED} WHERE student_id = ?", (student_id,)).fetchone()
        entries = [_entry(dict(zip(ENTRY_COLUMNS, r))) for r in rows]
        return {
            "student_id": student_id, "school_id": account[1], "account_id": account[0], "erased": erased is not None,
            "opened_at": account[2], "opened_by": account[3],
            "balance": entries[-1]["balance_after"] if entries else 0,
            "entries": entries,
        }


def _in_scope(scope: Scope, student_id: str, school_id: str) -> bool:
    """A student sees their own; a school's coordinators and teachers its students'; admins and auditors
    everyone's; enterprises (mentors) nobody's."""
    if scope.enterprise_id is not None or scope.mentor_id is not None:
        return False
    if scope.student_id is not None and scope.student_id != student_id:
        return False
    return scope.school_id is None or scope.school_id == school_id


def _entry(r: dict[str, Any]) -> dict[str, Any]:
    line = r["line_id"] is not None
    return {
        "event_id": f"{r['account_id']}:{r['version']}", "sequence": r["version"], "event": r["event"],
        "recorded_at": r["recorded_at"], "actor": r["actor"], "actor_role": r["actor_role"], "reason": None,
        "reason_given": bool(r["reason_given"]),
        "award_id": r["award_id"], "certificate_code": r["certificate_code"], "level": r["level"],
        "balance_after": r["balance_after"],
        **{f: r[f] for f in _AWARD_FIELDS},
        "eligible": None if r["eligible"] is None else bool(r["eligible"]),
        "eligibility": json.loads(r["eligibility"]) if r["eligibility"] is not None else None,
        "revocation_reason": None,
        **{f: r[f] for f in _LINE_FIELDS},
        "kind": r["line_kind"],
        "exempt": bool(r["exempt"]) if line else None,
        "caused_by": json.loads(r["caused_by"]) if line else None,
    }
