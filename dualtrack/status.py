"""How far along everything is: relay positions, projector offsets, lags. Used by /readyz and the CLI."""

from __future__ import annotations

from typing import Any

from dualtrack.bootstrap import Container
from dualtrack.messaging.positions import published_position
from services.common.projection import ensure_offsets_table, stored_offsets


def store_positions(container: Container) -> dict[str, dict[str, int]]:
    """Per context: the last stored event and the last one the relay published."""
    report = {}
    for context, app in container.apps().items():
        report[context] = {"stored": app.max_position(), "published": relay_position(container, context)}
    return report


def relay_position(container: Container, context: str) -> int:
    """How far the relay of `context` has published."""
    container.app(context)  # the store exists (and its file, on SQLite) before we look into it
    store = container.settings.database_url if container.settings.uses_postgres else str(container.store_path(context))
    return published_position(store or "", context)


def projection_offsets(container: Container, name: str) -> dict[str, int]:
    with container.view_db.transaction() as tx:
        ensure_offsets_table(tx)
        return {f"{t}[{p}]": o for (t, p), o in stored_offsets(tx, name).items()}


def topic_end_offsets(container: Container, topics: list[str]) -> dict[str, int]:
    from kafka import KafkaConsumer, TopicPartition

    consumer = KafkaConsumer(
        bootstrap_servers=container.require_bootstrap(), request_timeout_ms=5000
    )
    try:
        parts = [TopicPartition(t, p) for t in topics for p in (consumer.partitions_for_topic(t) or ())]
        return {f"{tp.topic}[{tp.partition}]": o for tp, o in consumer.end_offsets(parts).items()}
    finally:
        consumer.close()


def readiness(container: Container) -> dict[str, Any]:
    checks: dict[str, Any] = {}
    ready = True
    try:
        checks["database"] = {"ok": True, "contexts": store_positions(container)}
    except Exception as error:
        checks["database"] = {"ok": False, "error": str(error)}
        ready = False
    if container.settings.kafka_bootstrap_servers:
        try:
            topics = [container.settings.topic(c) for c in container.apps()]
            ends = topic_end_offsets(container, topics)
            checks["broker"] = {"ok": True, "end_offsets": ends}
            lags = {}
            from dualtrack.bootstrap import PROJECTION_CLASSES

            for name in PROJECTION_CLASSES:
                offsets = projection_offsets(container, name)
                lags[name] = sum(max(0, end - offsets.get(k, 0)) for k, end in ends.items())
            checks["projections"] = {"ok": True, "lag": lags}
        except Exception as error:
            checks["broker"] = {"ok": False, "error": str(error)}
            ready = False
    else:
        checks["broker"] = {"ok": True, "mode": "embedded (no broker configured)"}
    return {"ready": ready, "checks": checks}
