"""How big one event may be: every stored event becomes one Kafka record, so one limit holds from the store to the
broker.

`MAX_RECORD_BYTES` is the largest record the relay's producer sends (`max_request_size`, which kafka-python checks
against a single-record batch), the largest batch dualtrack's topics accept (`max.message.bytes`, set when they are
created) and the local broker's default (`message.max.bytes` in infra/kafka/server.properties.template). An event
whose stored state is over `MAX_EVENT_BYTES` is refused before it is stored; the difference is room for what a
record adds to the stored state (the `ce_*` headers, the key, the record and batch framing)."""

from __future__ import annotations

MAX_RECORD_BYTES = 1024 * 1024
"""The largest Kafka record (and record batch) dualtrack produces and its topics and broker accept: 1 MiB."""
RECORD_HEADROOM = 64 * 1024
"""What a record may add to its event's stored state: headers, key, framing (a few hundred bytes in practice)."""
MAX_EVENT_BYTES = MAX_RECORD_BYTES - RECORD_HEADROOM
"""The largest stored event state (encoded JSON, before any compression or encryption): 960 KiB."""
