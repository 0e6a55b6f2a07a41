"""Runtime facts that one ``ia`` process publishes for the others (``DATA_DIR/runtime.json``).

The embedded broker picks a free port at start; ``ia events tail`` and ``ia relay`` read
that address here when no ``KAFKA_BOOTSTRAP_SERVERS`` is configured.

Must not: hold settings (only facts learnt at run time, such as the broker's port).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

FILE_NAME = "runtime.json"


def write(data_dir: Path, **facts: Any) -> None:
    data_dir.mkdir(parents=True, exist_ok=True)
    path = data_dir / FILE_NAME
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps({**facts, "pid": os.getpid()}))
    os.replace(tmp, path)


def read(data_dir: Path) -> dict[str, Any]:
    try:
        facts: dict[str, Any] = json.loads((data_dir / FILE_NAME).read_text())
    except (FileNotFoundError, json.JSONDecodeError):
        return {}
    return facts


def bootstrap_servers(data_dir: Path) -> str:
    return str(read(data_dir).get("bootstrap_servers") or "")


def clear(data_dir: Path) -> None:
    (data_dir / FILE_NAME).unlink(missing_ok=True)


def running_pid(data_dir: Path) -> int | None:
    """The pid of the ``ia up`` that published ``runtime.json``, if it is still alive."""
    pid = read(data_dir).get("pid")
    if not isinstance(pid, int):
        return None
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return None
    except PermissionError:
        return pid
    return pid
