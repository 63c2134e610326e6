"""One bench run: a fresh SQLite data dir on a real broker, and the figures measured on it."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from bench.broker import Broker, delete_topics
from bench.generate import Generated, Plan, generate
from bench.rebuild_bench import rebuild_processes, time_bare_consumer, time_rebuild
from bench.relay_bench import CONTEXT, encoded_records, time_bare_producer, time_relay
from bench.report import Figure, best_of
from dualtrack.bootstrap import Container
from dualtrack.settings import Settings

RELAY_TARGET = 0.7
REBUILD_TARGET = 1.0

Say = Callable[[str], None]


@dataclass
class BenchRun:
    """Owns the data dir's settings and every topic the bench creates (deleted from a broker it does not own)."""

    broker: Broker
    data_dir: Path
    partitions: int
    say: Say = print
    prefix: str = field(default_factory=lambda: f"bench-{uuid.uuid4().hex[:8]}")
    topics: list[str] = field(default_factory=list)
    generated: Generated | None = None
    relay_batch_size: int | None = None
    relay_topic_prefix: str | None = None
    """The topic prefix of a relay trial: its topic holds the whole log once, for the rebuild to read."""

    def settings(self, topic_prefix: str) -> Settings:
        return Settings(
            data_dir=self.data_dir, kafka_bootstrap_servers=self.broker.bootstrap_servers,
            topic_prefix=topic_prefix, topic_partitions=self.partitions,
        )

    def container(self, topic_prefix: str | None = None) -> Container:
        return Container(self.settings(topic_prefix or self.prefix))

    def new_topic(self, name: str) -> str:
        topic = f"{self.prefix}.{name}"
        self.topics.append(topic)
        return topic

    # -- the figures --------------------------------------------------------------------------
    def import_figure(self, events: int) -> Figure:
        """Generate the events through the placements application; its rate is the batch import rate."""
        container = self.container()
        try:
            self.generated = generate(container.placements, Plan.for_events(events))
        finally:
            container.close()
        g = self.generated
        self.say(f"imported {g.events:,} events in {g.seconds:.1f} s ({g.events / g.seconds:,.0f}/s, {g.saves} saves)")
        return Figure(
            "batch import", g.events, g.seconds,
            note=f"placements app.save: {g.plan.enterprises} enterprises, {g.plan.centres} centres, "
            f"{g.plan.changes} changes; {g.saves} app.save calls",
            trials={"import": [g.seconds]},
        )

    def relay_figure(self, repeats: int, batch_size: int | None = None) -> Figure:
        """Relay vs bare producer, alternating which goes first, best of `repeats` each."""
        events = self._events()
        container = self.container()
        started = time.perf_counter()
        try:
            records = encoded_records(container)
        finally:
            container.close()
        self.say(f"  encoded {len(records):,} records for the bare producer in {time.perf_counter() - started:.1f} s "
                 "(outside the timings)")
        if len(records) != events:
            raise RuntimeError(f"encoded {len(records)} records but the store holds {events} events")
        relay_times: list[float] = []
        bare_times: list[float] = []
        for trial in range(repeats):
            steps = [lambda trial=trial: relay_times.append(self._relay_trial(trial, events, batch_size)),
                     lambda trial=trial: bare_times.append(self._bare_producer_trial(trial, records))]
            for step in steps if trial % 2 == 0 else reversed(steps):
                step()
        return Figure(
            "relay", events, best_of(relay_times), best_of(bare_times), RELAY_TARGET,
            note=f"publish_batch() of {self.relay_batch_size} "
            f"({'--relay-batch-size' if batch_size else 'the relay default'}); reference: bare KafkaProducer, "
            "same records and settings, one flush at the end",
            trials={"relay": relay_times, "bare_producer": bare_times},
        )

    def rebuild_figure(self, repeats: int) -> Figure:
        """Rebuild of `centres` from a relayed topic vs a bare consumer of that topic, best of `repeats` each."""
        events = self._events()
        if self.relay_topic_prefix is None:
            raise RuntimeError("the rebuild reads the relay's topic: measure the relay first")
        container = self.container(self.relay_topic_prefix)
        topic = container.settings.topic(CONTEXT)
        rebuild_times: list[float] = []
        catch_up_times: list[float] = []
        bare_times: list[float] = []
        try:
            for trial in range(repeats):
                steps = [lambda: self._rebuild_trial(container, events, rebuild_times, catch_up_times),
                         lambda: bare_times.append(self._bare_consumer_trial(topic, events))]
                for step in steps if trial % 2 == 0 else reversed(steps):
                    step()
        finally:
            container.close()
        return Figure(
            "rebuild centres", events, best_of(rebuild_times), best_of(bare_times),
            REBUILD_TARGET,
            note=f"rebuild() from Kafka into SQLite views, partitions in {rebuild_processes(container)}, "
            "whole call incl. swap; reference: one bare KafkaConsumer reading the whole topic, same fetch settings, "
            "values touched",
            trials={"rebuild": rebuild_times, "rebuild_catch_up": catch_up_times, "bare_consumer": bare_times},
        )

    # -- trials ---------------------------------------------------------------------------------
    def _relay_trial(self, trial: int, events: int, batch_size: int | None) -> float:
        prefix = f"{self.prefix}.relay{trial}"
        container = self.container(prefix)
        self.topics.append(container.settings.topic(CONTEXT))
        try:
            run = time_relay(container, batch_size=batch_size)
        finally:
            container.close()
        _require(run.events == events, f"the relay published {run.events} of {events} events")
        self.relay_batch_size = run.batch_size
        self.relay_topic_prefix = self.relay_topic_prefix or prefix
        self.say(f"  relay trial {trial + 1}: {run.seconds:.2f} s ({events / run.seconds:,.0f}/s)")
        return run.seconds

    def _bare_producer_trial(self, trial: int, records: list) -> float:
        seconds = time_bare_producer(
            self.broker.bootstrap_servers, self.new_topic(f"bare{trial}"), self.partitions, records
        )
        self.say(f"  bare producer trial {trial + 1}: {seconds:.2f} s ({len(records) / seconds:,.0f}/s)")
        return seconds

    def _rebuild_trial(self, container: Container, events: int, times: list[float], catch_ups: list[float]) -> None:
        seconds, consumed, catch_up = time_rebuild(container)
        _require(consumed == events, f"the rebuild consumed {consumed} of {events} events")
        times.append(seconds)
        catch_ups.append(catch_up)
        self.say(f"  rebuild trial {len(times)}: {seconds:.2f} s ({events / seconds:,.0f}/s)")

    def _bare_consumer_trial(self, topic: str, events: int) -> float:
        seconds, records = time_bare_consumer(self.broker.bootstrap_servers, [topic])
        _require(records == events, f"the bare consumer read {records} of {events} records")
        self.say(f"  bare consumer: {seconds:.2f} s ({events / seconds:,.0f}/s)")
        return seconds

    def _events(self) -> int:
        if self.generated is None:
            raise RuntimeError("generate the events first")
        return self.generated.events

    def close(self) -> None:
        if not self.broker.owned:
            delete_topics(self.broker.bootstrap_servers, self.topics)


def _require(condition: bool, message: str) -> None:
    if not condition:
        raise RuntimeError(message)
