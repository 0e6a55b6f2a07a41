"""The pipeline's processes for black-box tests: relay and workers as real subprocesses.

Each runs the ``ia`` command a user or a container runs, against a real broker and a
SQLite store in a temporary data directory; any one can be SIGKILLed and started again.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from interview_analytics.domain.application import LanguagePolicy, Meetings
from interview_analytics.ops.blobs import FileBlobStore
from interview_analytics.ops.data_keys import DataKeys, load_master_key
from interview_analytics.ops.event_store import eventsourcing_env
from interview_analytics.ops.field_cipher import FieldCipher
from interview_analytics.ops.sealing_mapper import SealingMapper
from interview_analytics.ops.settings import Settings

IA = str(Path(sys.executable).with_name("ia"))
ROLES = ("relay", "transcriber", "enhancer", "reporter")


ENGLISH_ONLY = LanguagePolicy("en", frozenset({"en"}))


def sqlite_meetings(directory: Path, languages: LanguagePolicy = ENGLISH_ONLY) -> Meetings:
    """The write model on ``directory``'s SQLite file and blob folder, as ``ia`` lays them
    out; English only unless told otherwise."""
    directory.mkdir(parents=True, exist_ok=True)
    url = f"sqlite:///{directory / 'events.sqlite3'}"
    # The processes' data keys (same store, same <DATA_DIR>/keys/master.key): the test
    # reads and writes personal fields sealed, as they do.
    keys = DataKeys(url, load_master_key(Settings.from_env({"DATA_DIR": str(directory)})))
    cipher = FieldCipher(keys)
    return Meetings(
        env=eventsourcing_env(url),
        blobs=FileBlobStore(directory / "blobs", keys),
        languages=languages,
        wrap_mapper=lambda mapper: SealingMapper(mapper, cipher),
    )


def reap(process: subprocess.Popen[bytes], timeout: float) -> bool:
    """Wait for a signalled process; kill it after ``timeout``. Whether it ended by itself."""
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
        return False
    return True


class Stack:
    def __init__(self, data_dir: Path, bootstrap_servers: str, **settings: str) -> None:
        self.data_dir = data_dir
        self.env = {
            **{k: v for k, v in os.environ.items() if not k.startswith(("KAFKA_", "EVENT_STORE"))},
            "DATA_DIR": str(data_dir),
            "KAFKA_BOOTSTRAP_SERVERS": bootstrap_servers,
            "KAFKA_PROFILE": "embedded",
            "RELAY_POLL_INTERVAL_SEC": "0.05",
            "RELAY_METRICS_PORT": "0",
            "TRANSCRIBER_METRICS_PORT": "0",
            "ENHANCER_METRICS_PORT": "0",
            "REPORTER_METRICS_PORT": "0",
            "FAUST_COMMIT_INTERVAL_SEC": "0.5",
            # English test speech: the fast English-only bundled model.
            "WHISPER_MODEL": "tiny.en",
            **settings,
        }
        self.processes: dict[str, subprocess.Popen[bytes]] = {}
        self.logs: dict[str, Path] = {}

    def meetings(self) -> Meetings:
        return sqlite_meetings(self.data_dir)

    def start(self, *roles: str) -> None:
        for role in roles or ROLES:
            argv = [IA, "relay"] if role == "relay" else [IA, "worker", role]
            log = self.data_dir / f"{role}.log"
            self.logs[role] = log
            with log.open("ab") as handle:
                self.processes[role] = subprocess.Popen(
                    argv, env=self.env, stdout=handle, stderr=subprocess.STDOUT
                )

    def kill(self, role: str) -> None:
        process = self.processes.pop(role)
        process.send_signal(signal.SIGKILL)
        process.wait()

    def stop(self) -> None:
        for process in self.processes.values():
            process.send_signal(signal.SIGTERM)
        for process in self.processes.values():
            reap(process, timeout=20)
        self.processes.clear()

    def log_tail(self, lines: int = 30) -> str:
        tails = []
        for role, path in self.logs.items():
            text = path.read_text(errors="replace").splitlines()[-lines:] if path.exists() else []
            tails.append(f"--- {role} ---\n" + "\n".join(text))
        return "\n".join(tails)

    def wait_for(self, condition: Callable[[], bool], timeout: float, what: str) -> None:
        deadline = time.monotonic() + timeout
        while not condition():
            for role, process in self.processes.items():
                if process.poll() is not None:
                    raise AssertionError(
                        f"{role} exited with {process.returncode}\n{self.log_tail()}"
                    )
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out waiting for {what}\n{self.log_tail()}")
            time.sleep(0.2)
