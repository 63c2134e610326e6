"""Who may manage enterprises and their training centres."""

from __future__ import annotations

from services.common.errors import NotAllowed
from services.common.identity import Actor, Role


def require_may_register_enterprise(actor: Actor) -> None:
    if actor.role is not Role.ADMIN:
        raise NotAllowed("only an admin registers enterprises", role=actor.role.value)


def require_may_manage_enterprise(actor: Actor, enterprise_id: str) -> None:
    """Admins, and the enterprise's own staff (mentors scoped to it), manage its centres."""
    if actor.role is Role.ADMIN:
        return
    if actor.role is Role.MENTOR and actor.enterprise_id == enterprise_id:
        return
    raise NotAllowed(
        f"{actor.role.value} {actor.subject} may not manage enterprise {enterprise_id}",
        role=actor.role.value,
        enterprise_id=enterprise_id,
    )
