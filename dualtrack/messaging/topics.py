"""Creating dualtrack's topics: kept forever, because they are the log projections rebuild from."""

from __future__ import annotations

from kafka import KafkaAdminClient
from kafka.errors import TopicAlreadyExistsError

from services.common.limits import MAX_RECORD_BYTES

TOPIC_CONFIGS = {"retention.ms": "-1", "retention.bytes": "-1", "cleanup.policy": "delete",
                 "max.message.bytes": str(MAX_RECORD_BYTES)}
"""Kept forever; a record batch up to MAX_RECORD_BYTES, the largest record the relay's producer sends."""


def ensure_topics(bootstrap_servers: str, topics: list[str], partitions: int) -> None:
    """Create the topics that do not exist yet; existing ones are left as they are."""
    admin = KafkaAdminClient(bootstrap_servers=bootstrap_servers, client_id="dualtrack-admin", request_timeout_ms=10000)
    try:
        existing = set(admin.list_topics())
        wanted = {
            t: {"num_partitions": partitions, "replication_factor": 1, "configs": TOPIC_CONFIGS}
            for t in topics
            if t not in existing
        }
        if wanted:
            try:
                admin.create_topics(wanted, timeout_ms=10000, wait_for_metadata=True)
            except TopicAlreadyExistsError:
                pass  # another process created it in between
    finally:
        admin.close()
