"""Run a command (the test suite) with one PostgreSQL server and one Kafka broker started for all of it.

    python -m tests.support.servers pytest -n auto ...

Both servers start at once, before the command, and stop after it, whatever its outcome; the command gets their
addresses in DUALTRACK_TEST_POSTGRES_URL and DUALTRACK_TEST_KAFKA_BOOTSTRAP_SERVERS (tests/support reads them), so
every pytest-xdist worker shares the two servers instead of starting its own. The application's own
KAFKA_BOOTSTRAP_SERVERS is left alone: tests that run dualtrack without a broker still run it without one. Each
test still gets its own database and its own topic prefix. A variable already set is used as it is (a server of
your own), and so is KAFKA_BOOTSTRAP_SERVERS; nothing is started for it.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractContextManager, ExitStack

POSTGRES_VARIABLE = "DUALTRACK_TEST_POSTGRES_URL"
KAFKA_VARIABLE = "DUALTRACK_TEST_KAFKA_BOOTSTRAP_SERVERS"


def _servers() -> dict[str, Callable[[], AbstractContextManager[str]]]:
    from tests.support.kafka import kafka_bootstrap_servers
    from tests.support.postgres import postgres_url

    return {POSTGRES_VARIABLE: postgres_url, KAFKA_VARIABLE: kafka_bootstrap_servers}


def main(argv: list[str]) -> int:
    if not argv:
        print(__doc__, file=sys.stderr)
        return 2
    if os.environ.get("KAFKA_BOOTSTRAP_SERVERS") and not os.environ.get(KAFKA_VARIABLE):
        os.environ[KAFKA_VARIABLE] = os.environ["KAFKA_BOOTSTRAP_SERVERS"]  # a running broker of your own
    with ExitStack() as stack:
        wanted = {name: start for name, start in _servers().items() if not os.environ.get(name)}
        began = time.monotonic()

        def enter(name: str) -> tuple[str, str]:
            manager = wanted[name]()
            address = manager.__enter__()
            stack.push(manager.__exit__)  # ExitStack is not thread-safe for entering; pushing an exit is a list append
            return name, address

        # Started side by side: the broker's JVM takes longest, PostgreSQL is ready well before it.
        with ThreadPoolExecutor(max_workers=max(1, len(wanted))) as pool:
            futures = [pool.submit(enter, name) for name in wanted]
            errors = []
            for future in futures:
                try:
                    name, address = future.result()
                    os.environ[name] = address
                except Exception as error:  # every failure is reported, and what did start is stopped
                    errors.append(error)
        if errors:
            for error in errors:
                print(f"tests/support/servers: {type(error).__name__}: {error}", file=sys.stderr)
            return 3
        if wanted:
            print(f"tests/support/servers: {', '.join(f'{n}={os.environ[n]}' for n in wanted)} "
                  f"(started in {time.monotonic() - began:.1f} s)", file=sys.stderr, flush=True)
        return subprocess.call(argv)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
