"""Nothing personal on Kafka (issue 17): the demo seeded, every context relayed to the real broker, then every record
of every dualtrack topic read back (its key, its value and every header, as bytes) and searched for every personal
value the demo holds. No name, date of birth, guardian or contact of a person, and none of the demo's free texts
(reasons, descriptions, justifications, evidence, plan titles) may be found (docs/published-fields.md).

The values are taken from the demo itself, not copied here (tests/support/personal_values.py): its people, mentors
and spring cohort, and every stored event as its application reads it back (each text or date field its published
contract leaves out, the reason in its metadata, the names and contacts of identity's events). A date of birth is
searched in its stored form (YYYY-MM-DD); the demo's birth dates (2005-2009) never coincide with its business dates
(2024-2027), which the test checks.

Group names are free text too, but the demo's are one letter or a word ("A", "rail") that legitimately occurs in
published values ("rail-maintenance"): the test checks instead that every published plan names its groups by
position only.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import orjson
import pytest
from kafka import KafkaConsumer

from dualtrack.bootstrap import Container
from dualtrack.demo import seed_demo
from dualtrack.settings import CONTEXTS
from tests.conftest import make_settings
from tests.integration.test_pipeline_on_kafka import read_topic
from tests.support.personal_values import Personal, personal_values

pytestmark = [pytest.mark.e2e, pytest.mark.kafka]

BIRTH = re.compile(rb"\d{4}-\d{2}-\d{2}")


@dataclass(frozen=True)
class Record:
    topic: str
    ce_type: str
    offset: int
    raw: bytes
    value: dict[str, Any]


def every_record(container: Container, bootstrap: str) -> Iterator[Record]:
    consumer = KafkaConsumer(bootstrap_servers=bootstrap, group_id=None)
    try:
        topics = sorted(t for t in consumer.topics() if t.startswith(f"{container.settings.topic_prefix}."))
    finally:
        consumer.close()
    assert set(topics) >= {container.settings.topic(c) for c in CONTEXTS}, topics
    for topic in topics:
        for r in read_topic(bootstrap, topic):
            headers = dict(r.headers)
            raw = b"\x00".join([r.key or b"", r.value or b"", *(k.encode() + b"=" + v for k, v in r.headers)])
            yield Record(topic, headers.get("ce_type", b"").decode(), r.offset, raw,
                         orjson.loads(r.value) if r.value else {})


@pytest.fixture(scope="module")
def demo_on_kafka(tmp_path_factory: pytest.TempPathFactory, kafka_bootstrap: str) -> Iterator[
        tuple[Container, dict[bytes, Personal], list[Record]]]:
    container = Container(make_settings(tmp_path_factory.mktemp("scan") / "var", None, kafka_bootstrap))
    try:
        seed_demo(container)
        container.ensure_topics()
        for context in CONTEXTS:
            relay = container.relay(context)
            try:
                while relay.publish_batch():
                    pass
            finally:
                relay.close()
        yield container, personal_values(container), list(every_record(container, kafka_bootstrap))
    finally:
        container.close()


def test_given_the_demo_then_the_values_searched_for_cover_every_kind_of_personal_data(demo_on_kafka) -> None:
    container, personal, records = demo_on_kafka
    origins = {o for p in personal.values() for o in p.origins}
    for expected in ("StudentEnrolled.name", "StudentEnrolled.date_of_birth", "StudentEnrolled.guardian_name",
                     "StudentEnrolled.guardian_contact", "PEOPLE.email", "PEOPLE.phone", "meta.reason",
                     "PracticeLogged.description", "PracticeRejected.reason", "CompetencyAssessed.evidence",
                     "RotationPlanDrafted.title", "RotationPlanRevised.reason", "PlanConflictOverridden.justification",
                     "CapacityOverrideGranted.justification", "PlacementStopped.reason_text",
                     "MentorAssigned.name", "CertificateRevoked.reason"):
        assert expected in origins, f"the demo no longer holds a {expected}: the scan would miss that kind"
    assert len(records) >= sum(len(container.app(c).notifications(1, 1_000_000)) for c in CONTEXTS)


def test_given_the_demo_then_no_birth_date_is_also_a_business_date_of_it(demo_on_kafka) -> None:
    """Were a birth date also a day the demo's records are about, finding it would prove nothing: the demo keeps
    the two apart, so a birth date found on a topic is a leak."""
    _, personal, records = demo_on_kafka
    births = {p.value for p in personal.values() if "StudentEnrolled.date_of_birth" in p.origins}
    assert births
    business_days = {d for r in records for d in BIRTH.findall(orjson.dumps(r.value))}
    assert not births & business_days


def test_given_the_demo_relayed_to_kafka_then_no_record_of_any_topic_carries_a_personal_value(demo_on_kafka) -> None:
    _, personal, records = demo_on_kafka
    leaks = sorted({(r.topic, r.ce_type, ", ".join(sorted(p.origins)), p.value.decode(errors="replace"))
                    for r in records for p in personal.values() if p.value in r.raw})
    assert not leaks, "personal values on the topics:\n" + "\n".join(map(str, leaks))


def test_given_published_plans_then_their_groups_are_named_by_position_only(demo_on_kafka) -> None:
    _, _, records = demo_on_kafka
    plans = [r.value["content"] for r in records if "content" in r.value]
    assert plans, "the demo publishes rotation plans"
    for content in plans:
        names = [g["name"] for g in content["groups"]]
        assert names == [str(n) for n in range(1, len(names) + 1)], names
        assert {b["group"] for b in content["blocks"]} <= set(names)


def test_given_the_demo_relayed_then_no_record_carries_a_reason_header_only_that_there_was_one(demo_on_kafka) -> None:
    _, _, records = demo_on_kafka
    assert not [r for r in records if b"ce_reason=" in r.raw]
    assert any(b"ce_hasreason=true" in r.raw for r in records)
