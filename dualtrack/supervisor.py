"""A small process supervisor: starts children, restarts one that crashes, stops them all on Ctrl-C."""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

log = logging.getLogger(__name__)


@dataclass
class Child:
    """One supervised process."""

    name: str
    argv: Sequence[str]
    env: dict[str, str] = field(default_factory=dict)
    log_path: Path | None = None
    """Where its output goes (appended); None: the supervisor's own terminal."""
    process: subprocess.Popen[bytes] | None = None
    restarts: int = 0
    next_start: float = 0.0


class Supervisor:
    def __init__(self, children: list[Child], *, max_backoff: float = 10.0) -> None:
        self.children = children
        self.max_backoff = max_backoff
        self._stopping = False

    def start(self) -> None:
        for child in self.children:
            self._spawn(child)

    def _spawn(self, child: Child) -> None:
        env = {**os.environ, **child.env}
        output = None
        if child.log_path is not None:
            child.log_path.parent.mkdir(parents=True, exist_ok=True)
            output = open(child.log_path, "ab")
        child.process = subprocess.Popen(list(child.argv), env=env, stdout=output, stderr=subprocess.STDOUT)
        if output is not None:
            output.close()  # the child has its own copy
        log.info("started %s (pid %s)", child.name, child.process.pid)

    def watch(self, poll: float = 0.5) -> None:
        """Restart crashed children (with backoff) until stop() is called."""
        while not self._stopping:
            self.check()
            time.sleep(poll)

    def check(self) -> None:
        """Once: note the children that exited (restarted after a backoff) and start those whose time has come."""
        now = time.monotonic()
        for child in self.children:
            if self._stopping:
                return
            if child.process is None:
                if now >= child.next_start:
                    self._spawn(child)
                continue
            code = child.process.poll()
            if code is not None:
                child.restarts += 1
                delay = min(self.max_backoff, 0.5 * 2 ** min(child.restarts, 5))
                log.warning("%s exited with %s; restarting in %.1fs", child.name, code, delay)
                child.process = None
                child.next_start = now + delay

    def stop(self, timeout: float = 15.0) -> None:
        self._stopping = True
        live = [c.process for c in self.children if c.process is not None and c.process.poll() is None]
        for process in live:
            process.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + timeout
        for process in live:
            try:
                process.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
