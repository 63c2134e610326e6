"""Command handlers of the competency catalogues: one catalogue per major, owned by the deployment's administrators.

Administrators change a catalogue directly; a school's coordinator files a change request with a reason, which an
administrator approves (the change applies from its date, with the request's reason) or rejects. The training
records read the catalogue by major as before."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from eventsourcing.application import AggregateNotFoundError

from services.common.application import CommandResult, DualtrackApplication
from services.common.errors import NotFound
from services.common.identity import CommandContext, Role
from services.training import access
from services.training.domain import ChangeRequest, CompetencyCatalogue, catalogue_id


@dataclass(frozen=True)
class ChangeRequestResult(CommandResult):
    """A change request filed: the catalogue, and the request's id."""

    request_id: str = ""


class CatalogueCommands(DualtrackApplication):
    """The catalogue part of the training application (TrainingApplication inherits it)."""

    def define_competency(self, ctx: CommandContext, major: str, *, code: str, title: str, target_hours: int,
                          scale: str, effective_from: date) -> CommandResult:
        """Add a competency to a major's catalogue from a date (admins)."""
        access.require_catalogue_owner(ctx.actor, major)
        catalogue = self._catalogue(major) or CompetencyCatalogue.open(major, ctx.meta())
        catalogue.define(code=code, title=title, target_hours=target_hours, scale=scale,
                         effective_from=effective_from, meta=ctx.meta(business_date=effective_from))
        return self.record(catalogue)

    def revise_competency_target(self, ctx: CommandContext, major: str, code: str, *, target_hours: int,
                                 effective_from: date, reason: str) -> CommandResult:
        """Change a competency's target hours from a date (admins); plans already drawn up keep theirs."""
        access.require_catalogue_owner(ctx.actor, major)
        catalogue = self.get_catalogue(major)
        catalogue.revise_target(code=code, target_hours=target_hours, effective_from=effective_from,
                                meta=ctx.meta(reason, business_date=effective_from))
        return self.record(catalogue)

    def retire_competency(self, ctx: CommandContext, major: str, code: str, *, effective_from: date,
                          reason: str) -> CommandResult:
        """Stop training a competency from a date (admins)."""
        access.require_catalogue_owner(ctx.actor, major)
        catalogue = self.get_catalogue(major)
        catalogue.retire(code=code, effective_from=effective_from, meta=ctx.meta(reason, business_date=effective_from))
        return self.record(catalogue)

    # -- change requests --------------------------------------------------------------------------
    def request_catalogue_change(self, ctx: CommandContext, major: str, *, change: str, code: str,
                                 effective_from: date, reason: str, title: str | None = None,
                                 target_hours: int | None = None, scale: str | None = None) -> ChangeRequestResult:
        """Ask the administrators for a change of the major's catalogue (coordinators, admins): `define` (title,
        target hours, scale), `revise-target` (target hours) or `retire`, from a date, with a reason. A `define`
        for a major without a catalogue opens it."""
        access.require_may_request_catalogue_change(ctx.actor)
        catalogue = self._catalogue(major)
        if catalogue is None:
            if change != "define":
                raise NotFound(f"no competency catalogue for major {major!r}", major=major)
            catalogue = CompetencyCatalogue.open(major, ctx.meta())
        school_id = ctx.actor.school_id if ctx.actor.role is Role.COORDINATOR else None
        request_id = catalogue.request_change(change=change, code=code, effective_from=effective_from, title=title,
                                              target_hours=target_hours, scale=scale, school_id=school_id,
                                              meta=ctx.meta(reason))
        result = self.record(catalogue)
        return ChangeRequestResult(result.id, result.version, result.position, result.written, request_id=request_id)

    def approve_catalogue_change(self, ctx: CommandContext, major: str, request_id: str,
                                 expected_version: int | None = None) -> CommandResult:
        """Approve a pending request (admins): the change applies from its date, with the request's reason."""
        access.require_catalogue_owner(ctx.actor, major)
        catalogue = self._existing(major, expected_version)
        catalogue.approve(request_id, ctx.meta())
        return self.record(catalogue)

    def reject_catalogue_change(self, ctx: CommandContext, major: str, request_id: str, *, reason: str,
                                expected_version: int | None = None) -> CommandResult:
        """Reject a pending request with a reason (admins)."""
        access.require_catalogue_owner(ctx.actor, major)
        catalogue = self._existing(major, expected_version)
        catalogue.reject(request_id, ctx.meta(reason))
        return self.record(catalogue)

    def catalogue_requests(self, ctx: CommandContext, major: str) -> list[ChangeRequest]:
        """Every change request of the major's catalogue, in the order filed (coordinators, admins, auditors)."""
        access.require_may_read_catalogue_requests(ctx.actor)
        return list(self.get_catalogue(major).requests.values())

    # -- reads ------------------------------------------------------------------------------------
    def get_catalogue(self, major: str) -> CompetencyCatalogue:
        catalogue = self._catalogue(major)
        if catalogue is None:
            raise NotFound(f"no competency catalogue for major {major!r}", major=major)
        return catalogue

    def has_catalogue(self, major: str) -> bool:
        return self._catalogue(major) is not None

    def _catalogue(self, major: str) -> CompetencyCatalogue | None:
        try:
            return self.repository.get(catalogue_id(major))
        except AggregateNotFoundError:
            return None

    def _existing(self, major: str, expected_version: int | None) -> CompetencyCatalogue:
        catalogue: CompetencyCatalogue = self.load(CompetencyCatalogue, catalogue_id(major), expected_version)
        return catalogue
