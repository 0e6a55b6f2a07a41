"""Dead letters: messages a stage could not process, with the error and attempt count.

A dead letter is a JSON object on the ``dead-letters`` topic (key = meeting id) that
carries the original message whole (topic, partition, offset, key, value, headers), so it
can be inspected and re-driven later (``ia dead-letters list`` / ``redrive``). Rejected
audio is dead-lettered too, with kind ``rejected``: nothing disappears silently.

Must not: talk to a broker (a ``DeadLetterSink`` publishes, e.g. ``streams/app.py``).
"""

from __future__ import annotations

import base64
import json
import uuid
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

FAILED = "failed"
REJECTED = "rejected"


@dataclass(frozen=True)
class OriginalMessage:
    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes
    headers: tuple[tuple[str, bytes], ...]


@dataclass(frozen=True)
class DeadLetter:
    stage: str
    kind: str  # failed | rejected
    meeting_id: str
    event_type: str
    version: int
    notification_id: int | None
    error_code: str
    error_message: str
    attempts: int
    failed_at: str
    original: OriginalMessage

    @property
    def letter_id(self) -> str:
        """Stable per (stage, original message): a re-sent dead letter keeps its id."""
        name = f"{self.stage}:{self.original.topic}:{self.meeting_id}:{self.version}"
        return str(uuid.uuid5(uuid.NAMESPACE_URL, name))

    def to_json(self) -> bytes:
        body = asdict(self)
        body["letter_id"] = self.letter_id
        body["original"] = {
            **body["original"],
            "key": _b64(self.original.key),
            "value": _b64(self.original.value),
            "headers": [[k, _b64(v)] for k, v in self.original.headers],
        }
        return json.dumps(body, sort_keys=True).encode()

    @classmethod
    def from_json(cls, data: bytes) -> DeadLetter:
        body: dict[str, Any] = json.loads(data)
        body.pop("letter_id", None)
        original = body.pop("original")
        return cls(
            **body,
            original=OriginalMessage(
                topic=original["topic"],
                partition=original["partition"],
                offset=original["offset"],
                key=_unb64(original["key"]),
                value=_unb64(original["value"]) or b"",
                headers=tuple((k, _unb64(v) or b"") for k, v in original["headers"]),
            ),
        )


def now_iso() -> str:
    return datetime.now(UTC).isoformat()


class DeadLetterSink(Protocol):
    async def publish(self, letter: DeadLetter) -> None: ...


def _b64(data: bytes | None) -> str | None:
    return None if data is None else base64.b64encode(data).decode()


def _unb64(text: str | None) -> bytes | None:
    return None if text is None else base64.b64decode(text)
