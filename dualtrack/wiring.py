"""What the composition root builds, declared in tables: each context's application class, how contexts are joined
(ports and the adapters that answer them) and each read model's projection. `dualtrack.bootstrap.Container` builds
from these."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING
from urllib.parse import unquote, urlparse

from services.audit.read_windows import ReadWindows
from services.audit.reads import AuditApplication
from services.calendars.projection import CalendarsProjection
from services.centres.projection import CentresProjection
from services.common.application import DualtrackApplication
from services.common.projection import Projection
from services.credentials import adapters as credentials_adapters
from services.credentials.application import CredentialsApplication
from services.credit_statements.projection import CreditStatementsProjection
from services.identity import adapters as identity_adapters
from services.identity.application import IdentityApplication
from services.placement_register.projection import PlacementRegisterProjection
from services.placements.application import PlacementsApplication
from services.progress.projection import ProgressProjection
from services.schedules import adapters as schedules_adapters
from services.schedules.application import SchedulesApplication
from services.training import adapters as training_adapters
from services.training.application import TrainingApplication

if TYPE_CHECKING:
    from dualtrack.bootstrap import Container

APPLICATION_CLASSES: dict[str, type[DualtrackApplication]] = {
    "placements": PlacementsApplication,
    "schedules": SchedulesApplication,
    "training": TrainingApplication,
    "credentials": CredentialsApplication,
    "audit": AuditApplication,
    "identity": IdentityApplication,
}
"""Every context's application class. All but identity are in CONTEXTS: their events are chained and published;
identity's (contacts, password hashes, sessions) stay in its own store."""
PORTS: dict[str, dict[str, Callable[[Container], object]]] = {
    "identity": {
        "directory": lambda c: identity_adapters.DirectoryFromPlacements(c.placements, c.view("centres")),
        "mailbox": lambda c: identity_adapters.MailboxFromOutbox(c.mail_outbox()),
        "link_base": lambda c: lambda: c.settings.public_base_url,
    },
    "schedules": {
        "placements": lambda c: schedules_adapters.PlacementDirectoryFromPlacements(c.placements),
    },
    "training": {
        "placements": lambda c: training_adapters.PlacementDirectoryFromPlacements(c.placements),
        "school_days": lambda c: training_adapters.SchoolCalendarFromSchedules(c.schedules),
    },
    "audit": {
        "read_windows": lambda c: ReadWindows(c.view_db, window=c.settings.read_window_seconds),
    },
    "credentials": {
        "placements": lambda c: credentials_adapters.PlacementDirectoryFromPlacements(c.placements),
        "training": lambda c: credentials_adapters.TrainingFiguresFromTraining(c.training),
    },
}
"""How contexts are joined, in one table: for each context, each port its `connect` takes and the adapter (in
the context's adapters.py) that answers it from another context's store."""
PROJECTION_CLASSES: dict[str, type[Projection]] = {
    "calendars": CalendarsProjection,
    "centres": CentresProjection,
    "placement_register": PlacementRegisterProjection,
    "progress": ProgressProjection,
    "credit_statements": CreditStatementsProjection,
}


def postgres_env(url: str) -> dict[str, str]:
    """eventsourcing's PostgreSQL settings from a postgresql:// URL."""
    u = urlparse(url)
    return {
        "PERSISTENCE_MODULE": "eventsourcing.postgres",
        "POSTGRES_DBNAME": u.path.lstrip("/"),
        "POSTGRES_HOST": u.hostname or "127.0.0.1",
        "POSTGRES_PORT": str(u.port or 5432),
        "POSTGRES_USER": unquote(u.username or "postgres"),
        "POSTGRES_PASSWORD": unquote(u.password or ""),
        # One connection a store at rest, up to 15 under load: every process of a deployment (each API worker,
        # relay and projector) opens all its stores, and PostgreSQL takes 100 connections by default.
        "POSTGRES_POOL_SIZE": "1",
        "POSTGRES_MAX_OVERFLOW": "14",
    }


