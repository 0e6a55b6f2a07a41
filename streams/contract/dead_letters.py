"""The message format of ``dead-letters``: what a stage could not process, and why.

A dead letter is a JSON object on the ``dead-letters`` topic (key = meeting id) that
carries the original message whole (topic, partition, offset, key, value, headers, the
bytes in base64), so it can be inspected and re-driven later (``ia dead-letters list`` /
``redrive``) and projected into the ``dead_letters`` table. Rejected audio is
dead-lettered too, with kind ``rejected``: nothing disappears silently. Readers ignore
keys they do not know, so fields may be added.

Must not: talk to a broker (a ``DeadLetterSink`` of ``streams/dead_letters.py`` publishes).
"""

from __future__ import annotations

import base64
import json
import uuid
from dataclasses import asdict, dataclass, fields
from typing import Any

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

    @classmethod
    def of(cls, record: Any) -> OriginalMessage:
        """A consumed Kafka record as a letter keeps it: anything with ``topic``,
        ``partition``, ``offset``, ``key``, ``value`` and ``headers`` (Faust's
        ``event.message``, aiokafka's ``ConsumerRecord``)."""
        headers = tuple((name, bytes(value)) for name, value in (record.headers or ()))
        return cls(record.topic, record.partition, record.offset, record.key, record.value, headers)


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
    def from_json(cls, data: bytes | str) -> DeadLetter:
        body: dict[str, Any] = json.loads(data)
        original = body["original"]
        return cls(
            **{f.name: body[f.name] for f in fields(cls) if f.name != "original"},
            original=OriginalMessage(
                topic=original["topic"],
                partition=original["partition"],
                offset=original["offset"],
                key=_unb64(original["key"]),
                value=_unb64(original["value"]) or b"",
                headers=tuple((k, _unb64(v) or b"") for k, v in original["headers"]),
            ),
        )


def _b64(data: bytes | None) -> str | None:
    return None if data is None else base64.b64encode(data).decode()


def _unb64(text: str | None) -> bytes | None:
    return None if text is None else base64.b64decode(text)
