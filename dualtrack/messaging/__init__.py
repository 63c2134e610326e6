"""Messaging: Kafka plumbing shared by the relays, the projectors and the local broker."""
