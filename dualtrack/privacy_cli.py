"""`dualtrack privacy`: erase a student's personal data, apply the retention policy (dualtrack/privacy.py)."""

from __future__ import annotations

from datetime import date
from uuid import UUID

import click

from dualtrack.cli_support import settings_from_env
from dualtrack.privacy import SIGN_IN_MONTHS, apply_retention, erase_student
from services.common.errors import DomainError
from services.common.identity import CommandContext


@click.group()
def privacy() -> None:
    """Erasure and retention of personal data."""


@privacy.command("erase")
@click.argument("student_id", type=click.UUID)
@click.option("--reason", required=True, help="On whose request (kept in the history; never about the person).")
def privacy_erase(student_id: UUID, reason: str) -> None:
    """Erase a student's personal data: their keys are destroyed, their history stays provable. Safe to repeat
    (it finishes an erasure that was cut short)."""
    from dualtrack.bootstrap import Container

    container = Container(settings_from_env())
    try:
        done = erase_student(container, CommandContext.for_system("console"), student_id, reason=reason)
    except DomainError as error:
        raise click.ClickException(error.message) from None
    finally:
        container.close()
    click.echo(f"student {done.student_id}: {'erased' if done.recorded else 'was erased before; every step done'}; "
               f"{len(done.accounts)} account(s) erased, {done.keys_destroyed} key(s) destroyed, "
               f"{done.snapshots_deleted} snapshot(s) deleted")


@privacy.command("retain")
@click.option("--sign-in-months", type=click.IntRange(min=1), default=SIGN_IN_MONTHS, show_default=True,
              help="Whole months sign-in addresses and clients are kept after the month they were recorded in.")
def privacy_retain(sign_in_months: int) -> None:
    """Apply the retention policy: erase the sign-in addresses and clients of older months (recorded as events)."""
    from dualtrack.bootstrap import Container

    container = Container(settings_from_env())
    try:
        done = apply_retention(container, CommandContext.for_system("retention"), today=date.today(),
                               sign_in_months=sign_in_months)
    finally:
        container.close()
    click.echo(f"sign-in data of {len(done.months_expired)} month(s) erased: {', '.join(done.months_expired)}"
               if done.months_expired else "nothing older than the policy keeps")
