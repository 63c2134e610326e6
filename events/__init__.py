"""The persisted vocabulary: one module per bounded context, event classes and nothing else (and, here, the
names of the contexts).

The module path and class name of every class here is stored with each event (its *topic*), so
renaming or moving one is a migration: register the old topic (eventsourcing.utils.register_topic)
and add an upcaster instead.
"""

CONTEXTS = ("placements", "schedules", "training", "credentials", "audit")
"""The bounded contexts, one module here each: each has its own event store and Kafka topic."""
