"""Command groups about who may use a deployment: `dualtrack people`, `dualtrack keys` (the keys that sign tokens, and
those that sign statements, checkpoints and exports) and `dualtrack token`."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import click

from dualtrack.cli_support import settings_from_env
from services.common.identity import CommandContext, Role
from services.common.signing import PURPOSES

SERVICE_PREFIX = "service:"
PEOPLE_ROLES = (Role.STUDENT, Role.GUARDIAN)
"""Roles only a person holds: they sign in (an invitation), no service account acts as one."""


# -- people ---------------------------------------------------------------------------------------------
@click.group()
def people() -> None:
    """People and their roles, from the console (everything else goes through invitations)."""


@people.command("invite")
@click.option("--name", required=True, help="Their name, as it will be shown.")
@click.option("--email", required=True, help="Where the invitation goes; also their login.")
@click.option("--role", type=click.Choice([r.value for r in Role]), default="admin", show_default=True)
@click.option("--school", default=None, help="A coordinator's or teacher's school id.")
@click.option("--enterprise", default=None, help="A mentor's or enterprise admin's enterprise id.")
@click.option("--student", default=None, help="A student's own id, or a guardian's student.")
def people_invite(name: str, email: str, role: str, school: str | None, enterprise: str | None,
                  student: str | None) -> None:
    """Invite someone (the first admin of a new deployment, say): the link to set their password is mailed through
    the outbox and printed here, for a deployment whose mail does not go out yet."""
    from dualtrack.bootstrap import Container
    from services.common.errors import DomainError

    container = Container(settings_from_env())
    try:
        identity = container.identity
        console = CommandContext.for_system("console")
        invited = identity.invite(console, name=name, email=email, role=Role(role), school_id=school,
                                  enterprise_id=enterprise, student_id=student)
        click.echo(f"{name} holds the role {role} (person {invited.person_id}, grant {invited.grant.grant_id}).")
        if invited.link:
            click.echo(f"The link to set a password was mailed to {email} (it works once):\n{invited.link}")
        else:
            click.echo("They already have a password: they sign in as before and may now act as this role.")
    except DomainError as error:
        raise click.ClickException(error.message) from None
    finally:
        container.close()


# -- keys -----------------------------------------------------------------------------------------------
@click.group()
def keys() -> None:
    """The keys that sign bearer tokens (rotate, list) and the Ed25519 keys that sign credit statements, audit
    checkpoints and exports (rotate-signing, list-signing)."""


@keys.command("rotate")
def keys_rotate() -> None:
    """Add a newer signing key: new tokens are signed with it, tokens signed before stay valid until they expire.
    Every running process of the deployment picks it up by itself."""
    from toolkit.http.keys import KeyRing

    settings = settings_from_env()
    ring = KeyRing(settings.secret_key, settings.data_dir / "keys" / "token-keys")
    try:
        key = ring.rotate()
    except OSError as error:
        raise click.ClickException(f"cannot write the new key: {error}") from None
    click.echo(f"new signing key {key.kid}; {len(ring.honoured())} key(s) honoured")


@keys.command("list")
def keys_list() -> None:
    """The signing keys: id, when added, whether it signs new tokens and whether tokens it signed are honoured."""
    from toolkit.http.keys import KeyRing

    settings = settings_from_env()
    ring = KeyRing(settings.secret_key, settings.data_dir / "keys" / "token-keys")
    honoured = ring.honoured()
    all_keys = ring.keys()
    for key in all_keys:
        added = datetime.fromtimestamp(key.created, UTC).strftime("%Y-%m-%d %H:%M") if key.created else "first"
        state = "signs" if key is all_keys[-1] else ("honoured" if key.kid in honoured else "retired")
        click.echo(f"{key.kid}  {added:<16}  {state}")


@keys.command("rotate-signing")
@click.option("--purpose", type=click.Choice(PURPOSES), required=True,
              help="Which artefacts the new key signs.")
def keys_rotate_signing(purpose: str) -> None:
    """Retire the current signing key of a purpose and start a new one: everything of that purpose is signed with the
    new key from now on (every process picks it up by itself); what the old key signed before still verifies against
    the published key set (GET /api/v1/keys), which lists it with its retirement."""
    from services.common.signing_keys import key_store

    try:
        key = key_store(settings_from_env()).rotate(purpose)
    except (OSError, ValueError) as error:
        raise click.ClickException(f"cannot rotate the {purpose} signing key: {error}") from None
    click.echo(f"new {purpose} signing key {key.kid} (created {key.created_at})")


@keys.command("list-signing")
@click.option("--json", "as_json", is_flag=True, help="Print the published key set, as GET /api/v1/keys answers it "
              "(save it to verify with --key-set).")
def keys_list_signing(as_json: bool) -> None:
    """The signing keys of statements, checkpoints and exports (made on first use): purpose, id, created, retired or
    whether it signs now. Public keys only."""
    from services.common.signing_keys import key_store

    try:
        key_set = key_store(settings_from_env()).key_set()
    except (OSError, ValueError) as error:
        raise click.ClickException(f"cannot read the signing keys: {error}") from None
    if as_json:
        click.echo(json.dumps(key_set.document(), indent=2))
        return
    for purpose, published in key_set.keys.items():
        for key in published:
            state = f"retired {key.retired_at}" if key.retired_at else "signs"
            click.echo(f"{purpose:<12}  {key.kid}  created {key.created_at}  {state}")


# -- service tokens ---------------------------------------------------------------------------------------
@click.group()
def token() -> None:
    """Bearer tokens for service accounts (people sign in: POST /api/v1/auth/tokens)."""


@token.command("issue")
@click.option("--role", type=click.Choice([r.value for r in Role if r not in PEOPLE_ROLES]), required=True)
@click.option("--subject", default=None, help="The service account's name (default: the role's name); the token's "
              "subject is service:<name>.")
@click.option("--school", default=None, help="A coordinator's or teacher's school id.")
@click.option("--enterprise", default=None, help="A mentor's or enterprise admin's enterprise id.")
@click.option("--days", type=click.IntRange(1, 30), default=30, show_default=True,
              help="Validity, in days (a token lives 30 days at most).")
def token_issue(role: str, subject: str | None, school: str | None, enterprise: str | None, days: int) -> None:
    """Mint a token for a service account (an integration, a batch import), signed with the newest key."""
    from dualtrack.bootstrap import Container
    from toolkit.http.auth import issue_token

    name = (subject or role).strip()
    if not name:
        raise click.UsageError("--subject must not be blank")
    container = Container(settings_from_env())
    try:
        click.echo(issue_token(container.keys(), role=Role(role), subject=f"{SERVICE_PREFIX}{name}",
                               school_id=school, enterprise_id=enterprise, ttl=timedelta(days=days)))
    except ValueError as error:
        raise click.UsageError(str(error)) from None
    finally:
        container.close()
