"""The `credit_statements` read model: each student's credit account as a bank statement — every award,
amendment, revocation and ledger line in the order the account recorded them, with the balance after each,
who did it, when and why.

It follows the credentials topic, and everything of one statement comes from one aggregate (the
student's credit account), whose events arrive in order: a handler may read what earlier events of the
same account wrote (the student and school named at opening, an award's certificate), nothing else.

Why a line was made is free text and not on the topics (docs/published-fields.md): a line says only whether a reason
was given (`ce_hasreason`); the page reads a revocation's reason from the credentials application. From the
placements topic it follows only a student's erasure: their statement answers `erased`.
"""

from __future__ import annotations

import json
from typing import Any

from contracts.events import every_version_of
from services.common.projection import Projection
from services.common.viewstore import Tx

C = "dualtrack.credentials."
ERASED = "credit_statement_erased_students"
ACCOUNTS = "credit_statement_accounts"
AWARDS = "credit_statement_awards"
ENTRIES = "credit_statement_entries"
AVAILABLE = "available"
"""The ledger account whose holdings are the student's balance (services/credentials/domain/account.py)."""

ENTRY_COLUMNS = ("account_id", "version", "student_id", "event", "recorded_at", "actor", "actor_role",
                 "reason_given", "award_id", "certificate_code", "level", "awarded_on", "certificate_number",
                 "eligible", "eligibility", "line_id", "line_kind", "debit", "credit", "amount", "effect",
                 "balance_after", "course", "exempt", "rule_id", "reverses", "caused_by")


def effect_on_available(line: dict[str, Any]) -> int:
    """What a ledger line does to the balance: credited to `available` adds, debited from it takes away."""
    amount = int(line["amount"])
    return (amount if line["credit"] == AVAILABLE else 0) - (amount if line["debit"] == AVAILABLE else 0)


def _opened(p: Any, tx: Tx, e: Any) -> None:
    d = e.data
    tx.execute(
        f"INSERT INTO {tx.table(ACCOUNTS)} (account_id, student_id, school_id, opened_at, opened_by) "
        "VALUES (?, ?, ?, ?, ?) ON CONFLICT (account_id) DO NOTHING",
        (e.subject, d["student_id"], d["school_id"], e.time, e.extensions.get("actor")),
    )


def _entry(tx: Tx, e: Any, award_id: str, **facts: Any) -> None:
    """One line of the statement: the event's own facts, the award's certificate, the balance after it."""
    student = tx.execute(f"SELECT student_id FROM {tx.table(ACCOUNTS)} WHERE account_id = ?",
                         (e.subject,)).fetchone()
    award = tx.execute(f"SELECT certificate_code, level FROM {tx.table(AWARDS)} WHERE award_id = ?",
                       (award_id,)).fetchone()
    before = tx.execute(f"SELECT SUM(effect) FROM {tx.table(ENTRIES)} WHERE account_id = ? AND version < ?",
                        (e.subject, e.aggregate_version)).fetchone()
    row = {
        "account_id": e.subject, "version": e.aggregate_version, "student_id": student[0] if student else None,
        "event": e.type.removeprefix(C).rsplit(".", 1)[0], "recorded_at": e.time,
        "actor": e.extensions.get("actor"), "actor_role": e.extensions.get("actorrole"),
        "reason_given": int(e.extensions.get("hasreason") == "true" or bool(e.extensions.get("reason"))),
        "award_id": award_id,
        "certificate_code": award[0] if award else None, "level": award[1] if award else None,
        "awarded_on": None, "certificate_number": None, "eligible": None, "eligibility": None,
        "line_id": None, "line_kind": None, "debit": None, "credit": None,
        "amount": None, "effect": None, "course": None, "exempt": None, "rule_id": None, "reverses": None,
        "caused_by": None,
        **facts,
    }
    row["balance_after"] = int((before[0] if before else None) or 0) + int(row["effect"] or 0)
    tx.execute(
        f"INSERT INTO {tx.table(ENTRIES)} ({', '.join(ENTRY_COLUMNS)}) "
        f"VALUES ({', '.join('?' for _ in ENTRY_COLUMNS)}) ON CONFLICT (account_id, version) DO NOTHING",
        [row[c] for c in ENTRY_COLUMNS],
    )


def _awarded(p: Any, tx: Tx, e: Any) -> None:
    d = e.data
    tx.execute(
        f"INSERT INTO {tx.table(AWARDS)} (award_id, account_id, certificate_code, level) VALUES (?, ?, ?, ?) "
        "ON CONFLICT (award_id) DO NOTHING",
        (d["award_id"], e.subject, d["certificate_code"], d["level"]),
    )
    _entry(tx, e, d["award_id"], awarded_on=d["awarded_on"], certificate_number=d["certificate_number"],
           eligible=int(d["eligible"]), eligibility=json.dumps(d["eligibility"], sort_keys=True))


def _amended(p: Any, tx: Tx, e: Any) -> None:
    d = e.data
    _entry(tx, e, d["award_id"], awarded_on=d["awarded_on"], certificate_number=d["certificate_number"])


def _revoked(p: Any, tx: Tx, e: Any) -> None:
    _entry(tx, e, e.data["award_id"])


def _student_erased(p: Any, tx: Tx, e: Any) -> None:
    tx.execute(f"INSERT INTO {tx.table(ERASED)} (student_id, erased_at) VALUES (?, ?) ON CONFLICT DO NOTHING",
               (e.subject, e.time))


def _posted(p: Any, tx: Tx, e: Any) -> None:
    d = e.data
    _entry(tx, e, d["award_id"], line_id=d["line_id"], line_kind=d["kind"], debit=d["debit"], credit=d["credit"],
           amount=d["amount"], effect=effect_on_available(d), course=d["course"], exempt=int(d["exempt"]),
           rule_id=d["rule_id"], reverses=d["reverses"], caused_by=json.dumps(d["caused_by"]))


class CreditStatementsProjection(Projection):
    """What happened on each student's credit account, line by line, with the balance after each?"""

    name = "credit_statements"
    contexts = ("credentials", "placements")
    tables = {
        ACCOUNTS: "account_id TEXT PRIMARY KEY, student_id TEXT NOT NULL, school_id TEXT NOT NULL, "
        "opened_at TEXT NOT NULL, opened_by TEXT",
        AWARDS: "award_id TEXT PRIMARY KEY, account_id TEXT NOT NULL, certificate_code TEXT NOT NULL, "
        "level TEXT NOT NULL",
        ENTRIES: "account_id TEXT NOT NULL, version BIGINT NOT NULL, student_id TEXT, event TEXT NOT NULL, "
        "recorded_at TEXT NOT NULL, actor TEXT, actor_role TEXT, reason_given INTEGER NOT NULL, "
        "award_id TEXT NOT NULL, certificate_code TEXT, level TEXT, awarded_on TEXT, certificate_number TEXT, "
        "eligible INTEGER, eligibility TEXT, line_id TEXT, line_kind TEXT, debit TEXT, credit TEXT, "
        "amount INTEGER, effect INTEGER, balance_after INTEGER NOT NULL, course TEXT, exempt INTEGER, rule_id TEXT, "
        "reverses TEXT, caused_by TEXT, PRIMARY KEY (account_id, version)",
        ERASED: "student_id TEXT PRIMARY KEY, erased_at TEXT NOT NULL",
    }
    handlers = {
        **every_version_of("credentials", {
            "CreditAccountOpened": _opened,
            "CertificateAwarded": _awarded,
            "CertificateAmended": _amended,
            "CertificateRevoked": _revoked,
            "CreditsPosted": _posted,
        }),
        **every_version_of("placements", {"StudentErased": _student_erased}),
    }

    def describe(self) -> str:
        return "each student's credit account history: awards, amendments, revocations and ledger lines with balances"
