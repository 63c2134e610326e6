"""Settings: the only place that reads the environment."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from events import CONTEXTS

__all__ = ["CONTEXTS", "Settings"]



@dataclass(frozen=True)
class Settings:
    """Everything the composition root needs, read once from the environment."""

    data_dir: Path = Path("var")
    database_url: str | None = None
    """None: SQLite files in the data dir. Otherwise a postgresql:// URL for stores and views, or "memory:" for
    event stores in memory (eventsourcing's POPO; views stay SQLite files in the data dir), gone with the process."""
    kafka_bootstrap_servers: str | None = None
    secret_key: str = "dualtrack-development-secret-change-me-in-production"
    topic_prefix: str = "dualtrack"
    topic_partitions: int = 3
    kafka_cache_dir: Path = Path.home() / ".cache" / "dualtrack" / "kafka"
    api_host: str = "127.0.0.1"
    api_port: int = 8000
    log_level: str = "INFO"
    eventsourcing_env: Mapping[str, str] = field(default_factory=dict)
    """eventsourcing's own variables (e.g. COMPRESSOR_TOPIC, CIPHER_KEY), passed through."""
    signing_key_path: Path | None = None
    """The Ed25519 key (PEM) that signs credit statements; None: <data_dir>/keys/statement-signing.pem.
    Created (mode 0600) on first use when missing."""
    ready_max_lag: int = 1000
    """/readyz answers 503 when a projection or a relay is more than this many events behind."""
    ready_max_stall_seconds: float = 60.0
    """/readyz answers 503 when a projection or a relay that is behind has not advanced for this many seconds."""

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if environ is None else environ
        passthrough_keys = ("COMPRESSOR_TOPIC", "CIPHER_TOPIC", "CIPHER_KEY", "IS_SNAPSHOTTING_ENABLED")
        data_dir = Path(env.get("DUALTRACK_DATA_DIR", "var"))
        return cls(
            data_dir=data_dir,
            database_url=env.get("DUALTRACK_DATABASE_URL") or None,
            kafka_bootstrap_servers=env.get("KAFKA_BOOTSTRAP_SERVERS") or None,
            secret_key=env.get("DUALTRACK_SECRET_KEY", cls.secret_key),
            topic_prefix=env.get("DUALTRACK_TOPIC_PREFIX", cls.topic_prefix),
            topic_partitions=int(env.get("DUALTRACK_TOPIC_PARTITIONS", cls.topic_partitions)),
            kafka_cache_dir=Path(env["DUALTRACK_KAFKA_CACHE"]) if env.get("DUALTRACK_KAFKA_CACHE")
            else cls.kafka_cache_dir,
            api_host=env.get("DUALTRACK_API_HOST", cls.api_host),
            api_port=int(env.get("DUALTRACK_API_PORT", cls.api_port)),
            log_level=env.get("DUALTRACK_LOG_LEVEL", cls.log_level),
            eventsourcing_env={k: env[k] for k in passthrough_keys if k in env},
            signing_key_path=Path(env["DUALTRACK_SIGNING_KEY"]) if env.get("DUALTRACK_SIGNING_KEY") else None,
            ready_max_lag=int(env.get("DUALTRACK_READY_MAX_LAG", cls.ready_max_lag)),
            ready_max_stall_seconds=float(env.get("DUALTRACK_READY_MAX_STALL_SECONDS", cls.ready_max_stall_seconds)),
        )

    @property
    def signing_key_file(self) -> Path:
        """Where the statement-signing key lives: DUALTRACK_SIGNING_KEY, or under the data dir."""
        return self.signing_key_path or self.data_dir / "keys" / "statement-signing.pem"

    def topic(self, context: str) -> str:
        return f"{self.topic_prefix}.{context}"

    @property
    def in_memory(self) -> bool:
        return self.database_url == "memory:"

    @property
    def uses_postgres(self) -> bool:
        return bool(self.database_url and self.database_url.startswith(("postgres://", "postgresql://")))
