"""Settings: the only place that reads the environment."""

from __future__ import annotations

import math
import os
import secrets
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from events import CONTEXTS
from toolkit.http.rate_limits import Rate, RateLimits

__all__ = ["CONTEXTS", "Settings"]



MIN_SECRET_BYTES = 32
"""HS256 wants a key at least as long as its hash."""


class SettingsError(ValueError):
    """A setting that cannot be used; the message says which and why."""


def secret_of_data_dir(data_dir: Path) -> str:
    """The deployment's secret under the data directory, generated (random, mode 0600) the first time it is asked
    for; processes starting together agree on the one written first."""
    keys = data_dir / "keys"
    path = keys / "api-secret"
    try:
        keys.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        for _ in range(50):  # another process is writing it this moment
            text = path.read_text().strip()
            if len(text.encode()) >= MIN_SECRET_BYTES:
                return text
            time.sleep(0.02)
        raise SettingsError(f"{path} holds no usable secret: remove it to have a new one generated") from None
    except OSError as error:  # a read-only or missing data directory: said in one line, before anything starts
        raise SettingsError(f"the data directory {data_dir} cannot be written ({error.strerror}); nothing was "
                            "started") from None
    with os.fdopen(fd, "w") as out:
        out.write(secrets.token_urlsafe(48))
    return path.read_text().strip()


def _port(env: Mapping[str, str], name: str, default: int) -> int:
    text = env.get(name, "").strip()
    if not text:
        return default
    if not text.isdigit() or not 0 < int(text) < 65536:
        raise SettingsError(f"{name} is {text!r}: it must be a port number from 1 to 65535")
    return int(text)


def _seconds(env: Mapping[str, str], name: str, default: float) -> float:
    text = env.get(name, "").strip()
    if not text:
        return default
    try:
        seconds = float(text)
    except ValueError:
        seconds = math.nan
    if not 0 < seconds < math.inf:
        raise SettingsError(f"{name} is {text!r}: it must be a number of seconds greater than 0, e.g. 900")
    return seconds


def _flag(env: Mapping[str, str], name: str) -> bool:
    text = env.get(name, "").strip().lower()
    if text in ("", "0", "false", "no", "off"):
        return False
    if text in ("1", "true", "yes", "on"):
        return True
    raise SettingsError(f"{name} is {text!r}: it must be true or false (1/0, yes/no, on/off)")


RATE_LIMIT_VARIABLES = {"account": "DUALTRACK_RATE_LIMIT", "account_expensive": "DUALTRACK_RATE_LIMIT_EXPENSIVE",
                        "address": "DUALTRACK_RATE_LIMIT_ADDRESS",
                        "address_expensive": "DUALTRACK_RATE_LIMIT_ADDRESS_EXPENSIVE"}


def _rate_limits(env: Mapping[str, str]) -> RateLimits:
    """The four limits (each "600/minute" or "off"); DUALTRACK_RATE_LIMITS=off turns them all off."""
    if env.get("DUALTRACK_RATE_LIMITS", "").strip().lower() in ("off", "0", "false", "no"):
        return RateLimits.off()
    chosen: dict[str, Rate | None] = {}
    for name, variable in RATE_LIMIT_VARIABLES.items():
        if env.get(variable, "").strip():
            try:
                chosen[name] = Rate.parse(env[variable])
            except ValueError as error:
                raise SettingsError(f"{variable}: {error}") from None
    return RateLimits(**chosen)


def _check_mail_settings(settings: Settings) -> None:
    from email.utils import parseaddr

    if not 0 < settings.smtp_port < 65536:
        raise SettingsError(f"the SMTP port is {settings.smtp_port}: it must be from 1 to 65535")
    if "@" not in parseaddr(settings.mail_from)[1] or "\n" in settings.mail_from or "\r" in settings.mail_from:
        raise SettingsError(f"DUALTRACK_MAIL_FROM is {settings.mail_from!r}: it must be an address, e.g. "
                            "'dualtrack <no-reply@school.example>'")
    if settings.public_base_url and not settings.public_base_url.startswith(("http://", "https://")):
        raise SettingsError(f"DUALTRACK_PUBLIC_URL is {settings.public_base_url!r}: it must start with http:// or "
                            "https://, e.g. https://dualtrack.school.example")


@dataclass(frozen=True)
class Settings:
    """Everything the composition root needs, read once from the environment."""

    data_dir: Path = Path("var")
    database_url: str | None = None
    """None: SQLite files in the data dir. Otherwise a postgresql:// URL for stores and views, or "memory:" for
    event stores in memory (eventsourcing's POPO; views stay SQLite files in the data dir), gone with the process."""
    kafka_bootstrap_servers: str | None = None
    secret_key: str = ""
    """Signs tokens and wait tokens: DUALTRACK_SECRET_KEY (at least 32 bytes), else a random secret generated on
    first start into <data_dir>/keys/api-secret (mode 0600) and read from there after. Never a constant."""
    topic_prefix: str = "dualtrack"
    topic_partitions: int = 3
    rebuild_workers: int = 0
    """Processes a rebuild from Kafka reads the partitions with (DUALTRACK_REBUILD_WORKERS); 0: one per partition
    holding events, at most one more than the CPUs; 1: in the rebuilding process itself."""
    kafka_cache_dir: Path = Path.home() / ".cache" / "dualtrack" / "kafka"
    api_host: str = "127.0.0.1"
    api_port: int = 8000
    api_workers: int = 0
    """gunicorn's worker processes serving the API (DUALTRACK_API_WORKERS). 0: on SQLite two per CPU, of
    `api_threads` threads each: a Python process runs one thread at a time, and many threads spend CPU handing that
    turn over; on PostgreSQL two, of 8 threads each, since every worker holds about 40 connections of its own and a
    server takes 100 by default."""
    api_threads: int = 0
    """Threads of each worker (DUALTRACK_API_THREADS): requests one worker answers at once, such as one that waits
    (bounded) for a read model to catch up (`?wait_for=`). 0: 2 with two workers per CPU, else 8."""

    def api_processes(self) -> tuple[int, int]:
        """(workers, threads each) serving the API, the defaults resolved (see api_workers)."""
        per_cpu = not self.uses_postgres
        workers = self.api_workers or (2 * (os.cpu_count() or 1) if per_cpu else 2)
        return workers, self.api_threads or (2 if per_cpu and not self.api_workers else 8)
    log_level: str = "INFO"
    eventsourcing_env: Mapping[str, str] = field(default_factory=dict)
    """eventsourcing's own variables (e.g. COMPRESSOR_TOPIC, CIPHER_KEY), passed through."""
    signing_key_path: Path | None = None
    """The one Ed25519 key (PEM) a deployment from before key sets signed statements, checkpoints and exports with;
    None: <data_dir>/keys/statement-signing.pem. When it exists it is kept as the first key of every purpose of the
    key sets under <data_dir>/keys/signing/ (services/common/signing_keys.py); it is no longer created."""
    ready_max_lag: int = 1000
    """/readyz answers 503 when a projection or a relay is more than this many events behind."""
    ready_max_stall_seconds: float = 60.0
    """/readyz answers 503 when a projection or a relay that is behind has not advanced for this many seconds."""
    smtp_host: str | None = None
    """The SMTP server mail is sent through; None: the local mail catcher of the data directory (`dualtrack mail
    catch`, started by `dualtrack run`) on 127.0.0.1, which keeps every message under <data_dir>/mail/."""
    smtp_port: int = 8025
    smtp_username: str | None = None
    smtp_password: str | None = field(default=None, repr=False)
    smtp_starttls: bool = False
    """Upgrade the SMTP connection with STARTTLS (the server's certificate is verified) before logging in."""
    mail_from: str = "dualtrack <no-reply@localhost>"
    public_base_url: str = ""
    """The base of the links put in mails (no trailing slash); "": http://<api_host>:<api_port>."""
    read_window_seconds: float = 15 * 60
    """Repeated reads of the same data of a student by the same person within this many seconds are one recorded
    read with a count (DUALTRACK_READ_WINDOW_SECONDS; services.audit.read_windows)."""
    rate_limits: RateLimits = field(default_factory=RateLimits)
    """Requests per account and per address, stricter on the expensive routes (toolkit/http/rate_limits.py):
    DUALTRACK_RATE_LIMIT (600/minute), _EXPENSIVE (30/minute), _ADDRESS (6000/minute), _ADDRESS_EXPENSIVE
    (300/minute), each "off" to turn it off; DUALTRACK_RATE_LIMITS=off turns them all off."""

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if environ is None else environ
        passthrough_keys = ("COMPRESSOR_TOPIC", "CIPHER_TOPIC", "CIPHER_KEY", "IS_SNAPSHOTTING_ENABLED")
        data_dir = Path(env.get("DUALTRACK_DATA_DIR", "var"))
        return cls(
            data_dir=data_dir,
            database_url=env.get("DUALTRACK_DATABASE_URL") or None,
            kafka_bootstrap_servers=env.get("KAFKA_BOOTSTRAP_SERVERS") or None,
            secret_key=env.get("DUALTRACK_SECRET_KEY", ""),
            topic_prefix=env.get("DUALTRACK_TOPIC_PREFIX", cls.topic_prefix),
            topic_partitions=int(env.get("DUALTRACK_TOPIC_PARTITIONS", cls.topic_partitions)),
            rebuild_workers=int(env.get("DUALTRACK_REBUILD_WORKERS", cls.rebuild_workers)),
            kafka_cache_dir=Path(env["DUALTRACK_KAFKA_CACHE"]) if env.get("DUALTRACK_KAFKA_CACHE")
            else cls.kafka_cache_dir,
            api_host=env.get("DUALTRACK_API_HOST", cls.api_host),
            api_port=int(env.get("DUALTRACK_API_PORT", cls.api_port)),
            api_workers=int(env.get("DUALTRACK_API_WORKERS", cls.api_workers)),
            api_threads=int(env.get("DUALTRACK_API_THREADS", cls.api_threads)),
            log_level=env.get("DUALTRACK_LOG_LEVEL", cls.log_level),
            eventsourcing_env={k: env[k] for k in passthrough_keys if k in env},
            signing_key_path=Path(env["DUALTRACK_SIGNING_KEY"]) if env.get("DUALTRACK_SIGNING_KEY") else None,
            ready_max_lag=int(env.get("DUALTRACK_READY_MAX_LAG", cls.ready_max_lag)),
            ready_max_stall_seconds=float(env.get("DUALTRACK_READY_MAX_STALL_SECONDS", cls.ready_max_stall_seconds)),
            smtp_host=env.get("DUALTRACK_SMTP_HOST") or None,
            smtp_port=_port(env, "DUALTRACK_SMTP_PORT", cls.smtp_port),
            smtp_username=env.get("DUALTRACK_SMTP_USERNAME") or None,
            smtp_password=env.get("DUALTRACK_SMTP_PASSWORD") or None,
            smtp_starttls=_flag(env, "DUALTRACK_SMTP_STARTTLS"),
            mail_from=env.get("DUALTRACK_MAIL_FROM") or cls.mail_from,
            public_base_url=env.get("DUALTRACK_PUBLIC_URL", ""),
            read_window_seconds=_seconds(env, "DUALTRACK_READ_WINDOW_SECONDS", cls.read_window_seconds),
            rate_limits=_rate_limits(env),
        )

    def __post_init__(self) -> None:
        if not self.secret_key:
            object.__setattr__(self, "secret_key", secret_of_data_dir(self.data_dir))
        elif len(self.secret_key.encode()) < MIN_SECRET_BYTES:
            raise SettingsError(f"DUALTRACK_SECRET_KEY is {len(self.secret_key.encode())} bytes: it must be at least "
                                f"{MIN_SECRET_BYTES} (e.g. `openssl rand -hex 32`), or unset to have one generated "
                                "for the data directory")
        _check_mail_settings(self)
        if not 0 < self.read_window_seconds < math.inf:
            raise SettingsError(f"DUALTRACK_READ_WINDOW_SECONDS is {self.read_window_seconds}: a window of reads "
                                "lasts more than 0 seconds")
        if not self.public_base_url:
            object.__setattr__(self, "public_base_url", f"http://{self.api_host}:{self.api_port}")
        object.__setattr__(self, "public_base_url", self.public_base_url.rstrip("/"))

    @property
    def signing_key_file(self) -> Path:
        """Where the key of a deployment from before key sets lives: DUALTRACK_SIGNING_KEY, or under the data dir."""
        return self.signing_key_path or self.data_dir / "keys" / "statement-signing.pem"

    def topic(self, context: str) -> str:
        return f"{self.topic_prefix}.{context}"

    @property
    def in_memory(self) -> bool:
        return self.database_url == "memory:"

    @property
    def uses_postgres(self) -> bool:
        return bool(self.database_url and self.database_url.startswith(("postgres://", "postgresql://")))
