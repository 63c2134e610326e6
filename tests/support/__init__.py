"""Test support: real PostgreSQL and Kafka servers for the tests that need them."""

from .kafka import kafka_bootstrap_servers
from .postgres import ThrowawayPostgres, postgres_url

__all__ = ["ThrowawayPostgres", "kafka_bootstrap_servers", "postgres_url"]
