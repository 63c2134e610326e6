"""`make bench`: dualtrack's throughput figures, each beside a bare kafka-python reference from the same run.

Run with `python -m bench [--events N] [--repeats N]`. It gets a real Kafka broker
($KAFKA_BOOTSTRAP_SERVERS, else a local one started from the cached jars), generates events through the
placements application in a fresh SQLite data dir, then measures:

- batch import rate through the application (no reference);
- relay throughput against a bare `KafkaProducer` sending the same encoded records;
- projection rebuild rate against a bare `KafkaConsumer` reading the same topic.

The figures are printed as a table and written as JSON to `var/bench/bench-<UTC timestamp>.json`.
A missed target is marked, never turned into a failing exit code: this is a measurement, not a test.
"""
