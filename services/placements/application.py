"""Command handlers of the placements context: load, decide, save."""

from __future__ import annotations

from uuid import UUID

from services.common.application import CommandResult, DualtrackApplication
from services.common.identity import CommandContext
from services.placements.access import require_may_manage_enterprise, require_may_register_enterprise
from services.placements.domain import Enterprise, TrainingCentre


class PlacementsApplication(DualtrackApplication):
    """Enterprises, their training centres and mentors."""

    context = "placements"

    def register_enterprise(
        self, ctx: CommandContext, *, name: str, registration_number: str | None = None
    ) -> CommandResult:
        """Register an enterprise that will host apprentices."""
        require_may_register_enterprise(ctx.actor)
        enterprise = Enterprise.register(name=name, registration_number=registration_number, meta=ctx.meta())
        return self.record(enterprise)

    def open_centre(
        self,
        ctx: CommandContext,
        *,
        enterprise_id: UUID,
        name: str,
        address: str,
        capacity: int,
        specialities: list[str],
    ) -> CommandResult:
        """Open a training centre of an enterprise."""
        enterprise = self.load(Enterprise, enterprise_id)
        require_may_manage_enterprise(ctx.actor, str(enterprise.id))
        centre = TrainingCentre.open(
            enterprise_id=enterprise.id,
            name=name,
            address=address,
            capacity=capacity,
            specialities=specialities,
            meta=ctx.meta(),
        )
        return self.record(centre)

    def change_centre_capacity(
        self,
        ctx: CommandContext,
        centre_id: UUID,
        *,
        capacity: int,
        reason: str | None = None,
        expected_version: int | None = None,
    ) -> CommandResult:
        """Change how many students a centre hosts at once."""
        centre = self._centre_to_manage(ctx, centre_id, expected_version)
        centre.change_capacity(capacity, ctx.meta(reason))
        return self.record(centre)

    def assign_mentor(
        self,
        ctx: CommandContext,
        centre_id: UUID,
        *,
        mentor_id: str,
        name: str,
        expected_version: int | None = None,
    ) -> CommandResult:
        """Assign an enterprise mentor to a centre."""
        centre = self._centre_to_manage(ctx, centre_id, expected_version)
        centre.assign_mentor(mentor_id, name, ctx.meta())
        return self.record(centre)

    def withdraw_mentor(
        self,
        ctx: CommandContext,
        centre_id: UUID,
        *,
        mentor_id: str,
        reason: str | None = None,
        expected_version: int | None = None,
    ) -> CommandResult:
        """Withdraw a mentor from a centre."""
        centre = self._centre_to_manage(ctx, centre_id, expected_version)
        centre.withdraw_mentor(mentor_id, ctx.meta(reason))
        return self.record(centre)

    def close_centre(
        self, ctx: CommandContext, centre_id: UUID, *, reason: str, expected_version: int | None = None
    ) -> CommandResult:
        """Close a centre: it takes no new placements."""
        centre = self._centre_to_manage(ctx, centre_id, expected_version)
        centre.close(ctx.meta(reason))
        return self.record(centre)

    def get_enterprise(self, enterprise_id: UUID) -> Enterprise:
        return self.load(Enterprise, enterprise_id)

    def get_centre(self, centre_id: UUID) -> TrainingCentre:
        return self.load(TrainingCentre, centre_id)

    def _centre_to_manage(
        self, ctx: CommandContext, centre_id: UUID, expected_version: int | None
    ) -> TrainingCentre:
        centre: TrainingCentre = self.load(TrainingCentre, centre_id, expected_version)
        require_may_manage_enterprise(ctx.actor, centre.enterprise_id)
        return centre
