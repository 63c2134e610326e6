"""A real single-node Apache Kafka broker run from Maven-resolved jars, for development and tests."""

from __future__ import annotations

import base64
import fcntl
import json
import os
import re
import secrets
import shutil
import signal
import socket
import string
import subprocess
import time
from pathlib import Path

from dualtrack.private_files import make_private
from services.common.limits import MAX_RECORD_BYTES

REPO_ROOT = Path(__file__).resolve().parents[2]
KAFKA_INFRA = REPO_ROOT / "infra" / "kafka"
POM = KAFKA_INFRA / "pom.xml"
SERVER_PROPERTIES_TEMPLATE = KAFKA_INFRA / "server.properties.template"
LOG4J2_CONFIG = KAFKA_INFRA / "log4j2.yaml"

HOST = "127.0.0.1"


def kafka_version() -> str:
    """The Kafka version the pom resolves; read from it so the two cannot drift apart."""
    match = re.search(r"<kafka\.version>([^<]+)</kafka\.version>", POM.read_text())
    if not match:
        raise RuntimeError(f"no <kafka.version> property in {POM}")
    return match.group(1).strip()


def serves_metadata(bootstrap_servers: str, timeout: float = 5.0) -> bool:
    """True when a Kafka broker at bootstrap_servers answers and reports an active (unfenced) broker."""
    host, _, port = bootstrap_servers.split(",")[0].rpartition(":")
    # A plain connect first: the admin client would spend its whole bootstrap timeout on a closed port.
    if not _port_answers(host, int(port)):
        return False
    from kafka import KafkaAdminClient  # imported late: only callers that talk to a broker need it

    try:
        admin = KafkaAdminClient(
            bootstrap_servers=bootstrap_servers,
            bootstrap_timeout_ms=int(timeout * 1000),
            request_timeout_ms=int(timeout * 1000),
        )
    except Exception:
        return False
    try:
        # A broker is listed (fenced) before the controller lets it lead partitions; creating a topic then fails.
        return any(not broker.get("is_fenced", False) for broker in admin.describe_cluster()["brokers"])
    except Exception:
        return False
    finally:
        admin.close()


def running_local_broker(kafka_dir: Path) -> str | None:
    """The bootstrap servers of the local broker whose data is in `kafka_dir` (`<data dir>/kafka`, where
    `dualtrack run` and `dualtrack kafka start` keep it) while it runs and answers, else None. Read from the files it
    keeps there (its pid, its ports; `bootstrap` is written once it serves and removed when it stops), without
    starting anything or resolving jars."""
    if not (Path(kafka_dir) / "bootstrap").exists():
        return None
    status = LocalKafkaBroker(kafka_dir, cache_dir=Path(kafka_dir)).status()
    return status["bootstrap_servers"] if status["running"] else None


class LocalKafkaBroker:
    """One KRaft broker+controller JVM whose logs, config and pid live in data_dir."""

    def __init__(self, data_dir: Path, *, cache_dir: Path, port: int | None = None, heap: str = "512m"):
        self.data_dir = Path(data_dir).resolve()
        self.cache_dir = Path(cache_dir).expanduser().resolve()
        self.heap = heap
        self._requested_port = port
        self._process: subprocess.Popen | None = None

    # Files in data_dir -------------------------------------------------------------------------

    @property
    def _log_dir(self) -> Path:
        return self.data_dir / "kraft-logs"

    @property
    def _properties_file(self) -> Path:
        return self.data_dir / "server.properties"

    @property
    def _pid_file(self) -> Path:
        return self.data_dir / "broker.pid"

    @property
    def _bootstrap_file(self) -> Path:
        return self.data_dir / "bootstrap"

    @property
    def _ports_file(self) -> Path:
        return self.data_dir / "ports.json"

    @property
    def _cluster_id_file(self) -> Path:
        return self.data_dir / "cluster-id"

    @property
    def _console_log(self) -> Path:
        return self.data_dir / "broker.out"

    @property
    def _server_log(self) -> Path:
        return self.data_dir / "server.log"

    # Public API --------------------------------------------------------------------------------

    @property
    def bootstrap_servers(self) -> str | None:
        """"127.0.0.1:PORT" while the broker runs, else None."""
        return self.status()["bootstrap_servers"]

    def ensure_jars(self) -> Path:
        """Resolve the broker's jars into cache_dir/<version>/libs with Maven, once; return that dir."""
        version_dir = self.cache_dir / kafka_version()
        libs = version_dir / "libs"
        marker = version_dir / "libs.complete"
        if marker.exists():
            return libs
        version_dir.mkdir(parents=True, exist_ok=True)
        mvn = shutil.which("mvn")
        if mvn is None:
            raise RuntimeError("Maven (mvn) is not on PATH; it is needed once to fetch the Kafka broker jars")
        # Two test processes may resolve at once; the lock keeps them from interleaving copies.
        with open(version_dir / "libs.lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            if marker.exists():
                return libs
            command = [
                mvn, "-B", "-q", "-Dstyle.color=never", "-f", str(POM), "dependency:copy-dependencies",
                "-DincludeScope=runtime", f"-DoutputDirectory={libs}",
            ]
            result = subprocess.run(command, capture_output=True, text=True)
            if result.returncode != 0 or not any(libs.glob("kafka_*.jar")):
                output = (result.stdout + result.stderr).strip()[-4000:]
                raise RuntimeError(
                    f"resolving the Kafka jars failed (exit {result.returncode}): {' '.join(command)}\n{output}"
                )
            marker.write_text(" ".join(command) + "\n")
        return libs

    def start(self, timeout: float = 120) -> str:
        """Start the broker (or find it already running) and return its bootstrap servers."""
        pid = self._live_pid()
        if pid is not None:
            # Started earlier, possibly by another process: wait in case it is still coming up.
            self._wait_until_serving(pid, timeout)
            return self._bootstrap()

        libs = self.ensure_jars()
        java = _java()
        make_private(self.data_dir)  # its log dirs, config and logs: 0700/0600, and the JVM inherits the umask
        port, controller_port = self._ports()
        self._write_properties(port, controller_port)
        bootstrap = f"{HOST}:{port}"
        if _port_answers(HOST, port):
            raise RuntimeError(f"port {port} is already taken by another process; cannot start a broker there")
        self._format_storage(java, libs)

        command = [
            java, f"-Xmx{self.heap}", f"-Xms{self.heap}", "-Djava.awt.headless=true",
            f"-Dlog4j2.configurationFile={LOG4J2_CONFIG}", f"-Dkafka.logs.dir={self.data_dir}",
            "-cp", str(libs / "*"), "kafka.Kafka", str(self._properties_file),
        ]
        with open(self._console_log, "ab") as console:
            # A new session keeps a Ctrl-C meant for the parent's terminal from killing the broker mid-write;
            # stop() (or the caller's own shutdown) is what ends it.
            self._process = subprocess.Popen(
                command, stdin=subprocess.DEVNULL, stdout=console, stderr=subprocess.STDOUT,
                cwd=self.data_dir, start_new_session=True,
            )
        self._pid_file.write_text(f"{self._process.pid}\n")
        try:
            self._wait_until_serving(self._process.pid, timeout)
        except BaseException:
            self.stop()
            raise
        self._bootstrap_file.write_text(bootstrap + "\n")
        return bootstrap

    def stop(self, timeout: float = 30) -> None:
        """Stop the broker: SIGTERM for a controlled shutdown, SIGKILL if it does not end in time."""
        pid = self._live_pid()
        if pid is not None:
            _signal(pid, signal.SIGTERM)
            if not self._wait_for_exit(pid, timeout):
                _signal(pid, signal.SIGKILL)
                self._wait_for_exit(pid, 10)
        self._process = None
        self._pid_file.unlink(missing_ok=True)
        # A stale bootstrap file would point readers at a broker that is gone.
        self._bootstrap_file.unlink(missing_ok=True)

    def status(self) -> dict:
        """Whether the broker runs and serves, its pid and bootstrap servers, and the data dir."""
        pid = self._live_pid()
        serving = pid is not None and _port_answers(HOST, self._ports()[0])
        return {
            "running": serving,
            "pid": pid,
            "bootstrap_servers": self._bootstrap() if serving else None,
            "data_dir": str(self.data_dir),
        }

    def __enter__(self) -> LocalKafkaBroker:
        self.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self.stop()

    def __repr__(self) -> str:
        return f"LocalKafkaBroker(data_dir={str(self.data_dir)!r})"

    # Internals ---------------------------------------------------------------------------------

    def _bootstrap(self) -> str:
        return f"{HOST}:{self._ports()[0]}"

    def _ports(self) -> tuple[int, int]:
        """(broker port, controller port), chosen once and kept so a restart finds the same metadata."""
        stored = json.loads(self._ports_file.read_text()) if self._ports_file.exists() else None
        if stored and self._requested_port in (None, stored["port"]):
            return stored["port"], stored["controller_port"]
        ports: tuple[int, int]
        if self._requested_port is not None:  # a stored file without a requested port was returned above
            ports = (self._requested_port, stored["controller_port"] if stored else _free_ports(1)[0])
        else:
            broker_port, controller_port = _free_ports(2)
            ports = (broker_port, controller_port)
        if self.data_dir.exists():
            self._ports_file.write_text(json.dumps({"port": ports[0], "controller_port": ports[1]}) + "\n")
        return ports

    def _write_properties(self, port: int, controller_port: int) -> None:
        template = string.Template(SERVER_PROPERTIES_TEMPLATE.read_text())
        self._properties_file.write_text(
            template.substitute(port=port, controller_port=controller_port, log_dirs=self._log_dir,
                                message_max_bytes=MAX_RECORD_BYTES)
        )

    def _format_storage(self, java: str, libs: Path) -> None:
        """Format the KRaft log dir on first use; the cluster id is generated once and kept."""
        if (self._log_dir / "meta.properties").exists():
            return
        if not self._cluster_id_file.exists():
            self._cluster_id_file.write_text(_new_cluster_id() + "\n")
        cluster_id = self._cluster_id_file.read_text().strip()
        command = [
            java, "-Xmx256m", f"-Dlog4j2.configurationFile={LOG4J2_CONFIG}", f"-Dkafka.logs.dir={self.data_dir}",
            "-cp", str(libs / "*"), "kafka.tools.StorageTool",
            "format", "--ignore-formatted", "-t", cluster_id, "-c", str(self._properties_file),
        ]
        result = subprocess.run(command, capture_output=True, text=True)
        if result.returncode != 0:
            raise RuntimeError(
                f"formatting Kafka storage in {self._log_dir} failed (exit {result.returncode}):\n"
                f"{(result.stdout + result.stderr).strip()[-4000:]}"
            )

    def _live_pid(self) -> int | None:
        """The pid from the pid file if that process is alive and is this data dir's broker."""
        if self._process is not None and self._process.poll() is not None:
            self._process = None  # reaped: an exited child would otherwise linger as a zombie
        try:
            pid = int(self._pid_file.read_text().strip())
        except (FileNotFoundError, ValueError):
            return None
        if self._process is not None and self._process.pid == pid:
            # Our own child: poll() is exact, and right after fork its cmdline is not java's yet.
            return pid
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
            state = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0]
        except (FileNotFoundError, ProcessLookupError, IndexError):
            return None
        # The pid may have been reused by an unrelated process since the file was written.
        if state == "Z" or str(self._properties_file).encode() not in cmdline:
            return None
        return pid

    def _wait_until_serving(self, pid: int, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        bootstrap = self._bootstrap()
        while time.monotonic() < deadline:
            if self._live_pid() != pid:
                raise RuntimeError(f"the Kafka broker exited during start-up\n{self._log_tail()}")
            if serves_metadata(bootstrap, timeout=min(5.0, max(0.5, deadline - time.monotonic()))):
                return
            time.sleep(0.25)
        raise RuntimeError(f"the Kafka broker did not serve metadata within {timeout:.0f} s\n{self._log_tail()}")

    def _wait_for_exit(self, pid: int, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._live_pid() != pid:
                return True
            time.sleep(0.1)
        return self._live_pid() != pid

    def _log_tail(self, lines: int = 40) -> str:
        parts = []
        for log in (self._console_log, self._server_log):
            if log.exists():
                tail = log.read_text(errors="replace").splitlines()[-lines:]
                parts.append(f"--- last lines of {log} ---\n" + "\n".join(tail))
        return "\n".join(parts) or f"(no broker log in {self.data_dir})"


def _java() -> str:
    java_home = os.environ.get("JAVA_HOME")
    java = str(Path(java_home) / "bin" / "java") if java_home else shutil.which("java")
    if not java or not Path(java).exists():
        raise RuntimeError("no java found (JAVA_HOME or PATH); the local Kafka broker needs Java 17+")
    return java


def _signal(pid: int, signum: int) -> None:
    try:
        os.kill(pid, signum)
    except ProcessLookupError:
        pass  # it ended on its own in the meantime


def _new_cluster_id() -> str:
    """A Kafka cluster id: 16 random bytes, base64url without padding (22 characters)."""
    while True:
        cluster_id = base64.urlsafe_b64encode(secrets.token_bytes(16)).decode().rstrip("=")
        # Kafka's own generator avoids a leading '-', which command-line parsers take for an option.
        if not cluster_id.startswith("-"):
            return cluster_id


def _free_ports(count: int) -> list[int]:
    """Distinct free loopback ports; all sockets are held open together so none is handed out twice."""
    sockets = []
    try:
        for _ in range(count):
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            sock.bind((HOST, 0))
            sockets.append(sock)
        return [sock.getsockname()[1] for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()


def _port_answers(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False
