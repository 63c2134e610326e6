"""The persisted vocabulary: one module per bounded context, event classes and nothing else.

The module path and class name of every class here is stored with each event (its *topic*), so
renaming or moving one is a migration: register the old topic (eventsourcing.utils.register_topic)
and add an upcaster instead.
"""
