"""The composition root: builds applications, relays, projectors and views from Settings.

Nothing is built at import time; everything is built here, once: on demand, or all at once by `open()`, which a
server calls before it takes requests. An application is kept only once it is completely built (its tables
created, its ports connected); a failure is raised to the caller and never cached, so the next call tries again.
"""

from __future__ import annotations

import logging
import threading
import time
from datetime import date
from functools import cached_property
from pathlib import Path
from typing import Any, cast

from dualtrack.private_files import make_private
from dualtrack.settings import CONTEXTS, Settings
from dualtrack.wiring import APPLICATION_CLASSES, PORTS, PROJECTION_CLASSES, postgres_env
from services.audit.chain import AuditChain, ChainDatabase, PostgresChainDatabase, SQLiteChainDatabase
from services.audit.reads import AuditApplication
from services.calendars.views import CalendarsView
from services.centres.views import CentresView
from services.common.application import DualtrackApplication
from services.common.projection import Projection
from services.common.subject_keys import KeyDatabase, MemoryKeys, StoredKeys, master_key_from_secret
from services.common.viewstore import ViewDatabase
from services.credentials.application import CredentialsApplication
from services.credit_statements.views import CreditStatementsView
from services.identity.application import IdentityApplication
from services.placement_register.views import PlacementRegisterView
from services.placements.application import PlacementsApplication
from services.progress.views import ProgressView
from services.schedules.application import SchedulesApplication
from services.training.application import TrainingApplication
from toolkit.http.idempotency import IdempotencyKeys
from toolkit.http.keys import KeyRing
from toolkit.http.rate_limits import RateLimiter
from toolkit.http.throttle import AddressThrottle

log = logging.getLogger(__name__)


class NoBroker(RuntimeError):
    """No Kafka broker is configured and no local one runs for the data directory."""


class _NoLock:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: object) -> None:
        return None


class Container:
    """Everything a process of dualtrack needs, built from one Settings."""

    def __init__(self, settings: Settings) -> None:
        self.settings: Settings = settings
        self._apps: dict[str, DualtrackApplication] = {}
        self._building = threading.RLock()
        """Threads of one process build each application once, and never see one half built."""
        self._bootstrap: str | None = None

    def open(self, *, attempts: int = 5, backoff: float = 0.5) -> Container:
        """Build every application and every read model's tables now, before the process takes requests.

        Processes starting together (an API's workers, a relay, projectors) create the schema one at a time,
        under a lock of the database; a failure is retried with a growing pause, then raised, so a process that
        cannot open its stores stops with the cause rather than serving errors. The data directory is made
        private first (0700, its files 0600; see dualtrack/private_files.py)."""
        make_private(self.settings.data_dir)
        for attempt in range(1, attempts + 1):
            try:
                with self._schema_lock():
                    for context in APPLICATION_CLASSES:
                        self.app(context)
                    for name in PROJECTION_CLASSES:
                        self.view(name)
                    self.idempotency_keys()
                    self.rate_limiter()
                return self
            except Exception as error:
                if attempt == attempts:
                    raise
                log.warning("could not open the stores (attempt %d of %d): %s; trying again", attempt, attempts,
                            error)
                time.sleep(backoff * 2 ** (attempt - 1))
        raise AssertionError("unreachable")

    def _schema_lock(self) -> Any:
        """Held while the schema is created: a blocking advisory lock on PostgreSQL, a blocking flock beside the
        SQLite files; nothing for in-memory stores."""
        from dualtrack.messaging.locks import schema_lock

        if self.settings.in_memory:
            return _NoLock()
        if self.settings.uses_postgres:
            return schema_lock(self.settings.database_url or "")
        self.settings.data_dir.mkdir(parents=True, exist_ok=True)
        return schema_lock(str(self.settings.data_dir / "schema"))

    # -- write side -------------------------------------------------------------------------
    def store_path(self, context: str) -> Path:
        return self.settings.data_dir / f"{context}.sqlite3"

    def app(self, context: str) -> DualtrackApplication:
        built = self._apps.get(context)
        if built is not None:
            return built
        with self._building:
            if context not in self._apps:
                self._apps[context] = self._build(context)
            return self._apps[context]

    def _build(self, context: str) -> DualtrackApplication:
        """A context's application with its tables and its ports; closed again if any part fails."""
        if context not in APPLICATION_CLASSES:
            raise KeyError(f"no context named {context!r}; known: {sorted(APPLICATION_CLASSES)}")
        env: dict[str, Any] = dict(self.settings.eventsourcing_env)
        if self.settings.uses_postgres:
            env.update(postgres_env(self.settings.database_url or ""))
        elif self.settings.in_memory:
            env["PERSISTENCE_MODULE"] = "eventsourcing.popo"
        else:
            self.settings.data_dir.mkdir(parents=True, exist_ok=True)
            env.update({"PERSISTENCE_MODULE": "services.common.sqlite_store:SQLiteStoreFactory",
                        "SQLITE_DBNAME": str(self.store_path(context))})
        app = APPLICATION_CLASSES[context](env=env)
        try:
            app.use_subject_keys(self.subject_keys)
            ports = PORTS.get(context)
            if ports:  # an application with ports takes them, by name, in its own connect()
                cast(Any, app).connect(**{port: adapter(self) for port, adapter in ports.items()})
        except BaseException:
            app.close()
            raise
        return app

    @property
    def placements(self) -> PlacementsApplication:
        return cast(PlacementsApplication, self.app("placements"))

    @property
    def schedules(self) -> SchedulesApplication:
        return cast(SchedulesApplication, self.app("schedules"))

    @property
    def training(self) -> TrainingApplication:
        return cast(TrainingApplication, self.app("training"))

    @property
    def credentials(self) -> CredentialsApplication:
        return cast(CredentialsApplication, self.app("credentials"))

    @property
    def audit(self) -> AuditApplication:
        return cast(AuditApplication, self.app("audit"))

    @property
    def identity(self) -> IdentityApplication:
        return cast(IdentityApplication, self.app("identity"))

    def sessions(self) -> IdentityApplication:
        """Who says whether a signed-in session is live and its grant held (toolkit.http.auth.SessionAuthority)."""
        return self.identity

    @cached_property
    def _keys(self) -> KeyRing:
        return KeyRing(self.settings.secret_key, self.settings.data_dir / "keys" / "token-keys")

    def keys(self) -> KeyRing:
        """The keys that sign bearer tokens: the deployment's secret, and any added by `dualtrack keys rotate`."""
        with self._building:
            return self._keys

    def apps(self) -> dict[str, DualtrackApplication]:
        return {c: self.app(c) for c in CONTEXTS}

    def today(self) -> date:
        """The business day the rules take as today (the training context's clock, which tests set)."""
        return self.training.today()

    def chain(self, context: str) -> AuditChain:
        """The hash chain over `context`'s log, in the same database as its store (SQLite file or PostgreSQL)."""
        app = self.app(context)  # the store's tables exist before the chain's are created beside them
        if self.settings.uses_postgres:
            database: ChainDatabase = PostgresChainDatabase(self.settings.database_url or "", context)
        else:
            database = SQLiteChainDatabase(self.store_path(context))
        return AuditChain(context, app.recorder, database)

    # -- messaging --------------------------------------------------------------------------
    def relay_positions(self, context: str) -> Any:
        from dualtrack.messaging.positions import PostgresRelayPositions, SQLiteRelayPositions

        self.app(context)  # the store's tables exist before the relay looks at them
        if self.settings.uses_postgres:
            return PostgresRelayPositions(self.settings.database_url or "", context)
        return SQLiteRelayPositions(self.store_path(context), context)

    def relay(self, context: str, **options: Any) -> Any:
        from dualtrack.messaging.relay import Relay, make_producer

        bootstrap = self.require_bootstrap()
        return Relay(
            self.app(context),
            self.settings.topic(context),
            self.relay_positions(context),
            lambda: make_producer(bootstrap),
            **options,
        )

    def ensure_topics(self) -> None:
        from dualtrack.messaging.topics import ensure_topics

        ensure_topics(
            self.require_bootstrap(), [self.settings.topic(c) for c in CONTEXTS], self.settings.topic_partitions
        )

    @property
    def kafka_bootstrap_servers(self) -> str | None:
        """The broker this process talks to: KAFKA_BOOTSTRAP_SERVERS when set, else the local broker running for
        this data directory (`dualtrack run` or `dualtrack kafka start` beside it), else None. A broker found is kept;
        none found is looked for again next time (it may be starting)."""
        if self._bootstrap is None:
            if self.settings.kafka_bootstrap_servers:
                self._bootstrap = self.settings.kafka_bootstrap_servers
            else:
                from dualtrack.messaging.local_broker import running_local_broker

                self._bootstrap = running_local_broker(self.settings.data_dir / "kafka")
        return self._bootstrap

    def require_bootstrap(self) -> str:
        """The broker (see kafka_bootstrap_servers); NoBroker, saying where it was looked for, when there is none."""
        found = self.kafka_bootstrap_servers
        if not found:
            raise NoBroker(f"no Kafka broker: KAFKA_BOOTSTRAP_SERVERS is not set and no local broker is running for "
                           f"the data directory {self.settings.data_dir.resolve()} (start one with `dualtrack run` "
                           "or `dualtrack kafka start`, or set KAFKA_BOOTSTRAP_SERVERS)")
        return found

    # -- read side --------------------------------------------------------------------------
    @cached_property
    def subject_keys(self) -> MemoryKeys | StoredKeys:
        """The data subjects' keys, shared by every application of the process (services/common/subject_keys.py):
        in their own SQLite file under keys/, or a table of the deployment's PostgreSQL database."""
        if self.settings.in_memory:
            return MemoryKeys()
        url = self.settings.database_url if self.settings.uses_postgres else \
            str(self.settings.data_dir / "keys" / "subject-keys.sqlite3")
        return StoredKeys(KeyDatabase(url or ""), master_key_from_secret(self.settings.secret_key))

    @cached_property
    def view_db(self) -> ViewDatabase:
        if self.settings.uses_postgres:
            return ViewDatabase(self.settings.database_url or "")
        return ViewDatabase(str(self.settings.data_dir / "views.sqlite3"))

    def projector_lock(self, name: str) -> Any:
        """Held by the one process that projects `name` (`serve --embedded`, `dualtrack project NAME`): a second one
        refuses to start. Projectors started with `--share` share the partitions instead (a consumer group)."""
        from dualtrack.messaging.locks import exclusive

        return exclusive(self.view_db.url, f"projector-{name}", f"a projector for {name}")

    def projection(self, name: str) -> Projection:
        if name not in PROJECTION_CLASSES:
            raise KeyError(f"no projection named {name!r}; known: {sorted(PROJECTION_CLASSES)}")
        return PROJECTION_CLASSES[name]()

    def source(self, projection: Projection, *, embedded: bool = False, shared: bool = False,
               partitions: Any = None) -> Any:
        """The events of the projection's topics: from the stores (`embedded`); as a member of the projection's
        consumer group, sharing the partitions with its other projectors (`shared`); else every partition (or
        only `partitions`), read by hand."""
        from dualtrack.messaging.sources import GroupKafkaSource, KafkaSource, NotificationLogSource

        if embedded:
            apps = {c: self.app(c) for c in projection.contexts}
            return NotificationLogSource(apps, {c: self.settings.topic(c) for c in projection.contexts})
        topics = [self.settings.topic(c) for c in projection.contexts]
        if shared:
            return GroupKafkaSource(self.require_bootstrap(), topics,
                                    group_id=f"{self.settings.topic_prefix}.{projection.name}")
        return KafkaSource(self.require_bootstrap(), topics, group_id=f"dualtrack-projection-{projection.name}",
                           partitions=partitions)

    def projector(self, name: str, *, embedded: bool = False, suffix: str = "", shared: bool = False,
                  partitions: Any = None, **options: Any) -> Any:
        """A projector of `name`; `shared`: a member of the projection's consumer group (`dualtrack project`)."""
        from dualtrack.messaging.projector import Projector

        projection = self.projection(name)
        with self._schema_lock():  # projectors starting together create the view's tables one after another
            source = self.source(projection, embedded=embedded, shared=shared, partitions=partitions)
            try:
                return Projector(projection, self.view_db, source, suffix=suffix, **options)
            except BaseException:
                source.close()  # the view database refused it (full, say): a consumer left open would linger
                raise

    def _ready_tables(self, name: str) -> None:
        """Queries work before the projector's first event: make the projection's tables exist."""
        from services.common.projection import ensure_offsets_table

        with self.view_db.transaction() as tx:
            ensure_offsets_table(tx)
            self.projection(name).create_tables(tx)

    @cached_property
    def _idempotency_keys(self) -> IdempotencyKeys:
        return IdempotencyKeys(self.view_db)

    def idempotency_keys(self) -> IdempotencyKeys:
        """The API's claimed Idempotency-Keys and their kept answers, in the view database."""
        with self._building:
            return self._idempotency_keys

    @cached_property
    def _address_throttle(self) -> AddressThrottle:
        return AddressThrottle(self.view_db)

    def address_throttle(self) -> AddressThrottle:
        """Failed sign-ins (and resets) per network address, in the view database."""
        with self._building:
            return self._address_throttle

    @cached_property
    def _rate_limiter(self) -> RateLimiter:
        url = self.settings.database_url if self.settings.uses_postgres else None
        return RateLimiter.for_deployment(self.settings.rate_limits, self.settings.data_dir, url)

    def rate_limiter(self) -> RateLimiter:
        """Requests counted per account and address (toolkit.http.rate_limits): a SQLite file of its own under the
        data directory, or an UNLOGGED table of the PostgreSQL database."""
        with self._building:
            return self._rate_limiter

    @cached_property
    def _mail_outbox(self) -> Any:
        from toolkit.mail.outbox import MailOutbox

        return MailOutbox(self.view_db)

    def mail_outbox(self) -> Any:
        """The durable outbox of mail (invitations, guardian codes), in the view database."""
        with self._building:
            return self._mail_outbox

    def view(self, name: str) -> Any:
        """The query side of the read model `name`, its tables ready."""
        if name not in PROJECTION_CLASSES:
            raise KeyError(f"no read model named {name!r}; known: {sorted(PROJECTION_CLASSES)}")
        with self._building:
            return getattr(self, f"{name}_view")

    @cached_property
    def centres_view(self) -> CentresView:
        self._ready_tables("centres")
        return CentresView(self.view_db)

    @cached_property
    def placement_register_view(self) -> PlacementRegisterView:
        self._ready_tables("placement_register")
        return PlacementRegisterView(self.view_db)

    @cached_property
    def progress_view(self) -> ProgressView:
        self._ready_tables("progress")
        return ProgressView(self.view_db)

    @cached_property
    def calendars_view(self) -> CalendarsView:
        self._ready_tables("calendars")
        return CalendarsView(self.view_db)

    @cached_property
    def credit_statements_view(self) -> CreditStatementsView:
        self._ready_tables("credit_statements")
        return CreditStatementsView(self.view_db)

    def close(self) -> None:
        for app in self._apps.values():
            app.close()
        self._apps.clear()
        if "view_db" in self.__dict__:
            self.view_db.close()
        if "subject_keys" in self.__dict__:
            self.subject_keys.close()
        if "_rate_limiter" in self.__dict__:
            self._rate_limiter.close()
