"""One process of a parallel rebuild: some partitions of a projection's topics, read from Kafka into its aside tables.

    python -m dualtrack.messaging.rebuild_worker '<share as JSON>'

Started by `dualtrack.messaging.rebuild` (never by hand): forked from the rebuilding process when that process runs
no other thread (nothing to import again, nothing half-held by another thread to inherit), else as the command
above. It imports only what it needs (the projection's class, the view database, a Kafka source), applies its
partitions up to the ends it was given, under epochs of its own like any projector, and writes one JSON line per
batch (`{"read": n}`) and a last one: `{"done": ...}` with what it applied and the offsets it reached, or
`{"error": ..., "kind": ...}` (exit status 1).
"""

from __future__ import annotations

import importlib
import json
import logging
import sys
from dataclasses import asdict, dataclass
from typing import IO, Any

Partition = tuple[str, int]


@dataclass(frozen=True)
class Share:
    """What one worker does: which partitions, up to where, into which view database."""

    projection: str
    """The projection's class, as `module:qualname`."""
    view_url: str
    bootstrap_servers: str
    topics: list[str]
    ends: list[tuple[str, int, int]]
    """(topic, partition, end offset) of each partition of this share."""
    suffix: str
    batch_size: int = 5000

    def to_json(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def from_json(cls, text: str) -> Share:
        data = json.loads(text)
        data["ends"] = [tuple(e) for e in data["ends"]]
        return cls(**data)


def _say(out: IO[str], message: dict[str, Any]) -> None:
    out.write(json.dumps(message) + "\n")
    out.flush()


def build_share(share: Share, out: IO[str]) -> dict[str, Any]:
    """Apply the share's partitions up to their ends into the aside tables; what was applied and where it stopped."""
    from dualtrack.messaging.projector import Projector
    from dualtrack.messaging.sources import KafkaSource
    from services.common.viewstore import ViewDatabase

    module, _, name = share.projection.partition(":")
    projection = getattr(importlib.import_module(module), name)()
    ends = {(t, p): e for t, p, e in share.ends}
    db = ViewDatabase(share.view_url)
    source = KafkaSource(share.bootstrap_servers, share.topics, group_id=f"dualtrack-rebuild-{projection.name}",
                         partitions=list(ends))
    try:
        projector = Projector(projection, db, source, suffix=share.suffix, batch_size=share.batch_size)
        projector.catch_up(ends, on_batch=lambda n: _say(out, {"read": n}))
    finally:
        source.close()
        db.close()
    return {"applied": projector.progress.applied, "skipped": projector.progress.skipped,
            "offsets": [[t, p, o] for (t, p), o in sorted(projector.offsets.items())]}


def run(spec: str, out: IO[str]) -> int:
    """Build the share described by `spec` (JSON), saying how it goes on `out`; the exit status."""
    logging.getLogger("kafka").setLevel(logging.ERROR)  # its event loop complains of a busy process: we are busy
    share = Share.from_json(spec)
    try:
        _say(out, {"done": build_share(share, out)})
    except Exception as error:
        from dualtrack.messaging.projector import PoisonMessage, ViewUnwritable
        from toolkit.cloudevents import NotACloudEvent

        kind = ("poison" if isinstance(error, (PoisonMessage, NotACloudEvent)) else
                "unwritable" if isinstance(error, ViewUnwritable) else "other")
        _say(out, {"error": str(error) or repr(error), "kind": kind, "type": type(error).__name__})
        return 1
    return 0


def forked(spec: str, fd: int) -> None:
    """A forked worker's start: says how it goes on the pipe `fd`, exits with run()'s status."""
    with open(fd, "w") as out:
        sys.exit(run(spec, out))


def main(argv: list[str]) -> int:
    logging.basicConfig(level=logging.WARNING, format="rebuild worker: %(message)s")
    return run(argv[0], sys.stdout)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
