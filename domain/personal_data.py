"""Which fields of the meeting events hold personal data, declared once.

Per event type (the class name in ``events.py``), the attributes whose values are
personal and the data-key scope that protects them. The store, topic and read-side edges
in ``ops/`` encrypt and decrypt exactly these, through ``rewrite``.

A path names values inside an event's attributes: ``text`` (an attribute),
``segments[].text`` (the ``text`` of each item of the list ``segments``),
``context.*`` (every value of the dict ``context`` except the operational keys of
``CLEAR_CONTEXT_FIELDS``). A leaf field protects the *text* found there (strings; None
and numbers stay as they are); a ``whole`` field protects its value whatever it is.

Decisions:

- Every ``Started.context`` field is personal except ``CLEAR_CONTEXT_FIELDS`` (values the
  system itself reads to run the meeting); a free-form context is where callers put names,
  e-mails and CV notes.
- Masked text (PII replaced by the enhancer) may travel in clear: ``Enhanced.text`` and its
  turns' ``text`` are personal only when ``pii_masked`` is false. ``raw_text`` and speaker
  names of the turns are always personal.
- The whole report is personal (it quotes the transcript and names the speakers).
- Erased (the key destroyed): a text leaf reads as ``""``, a whole value as its field's
  ``erased`` value (None, or ``{}`` for the report); no event carries an "erased" flag of
  its own: ``DataKeys.destroyed`` and the ``Erased`` event say what was erased.

Must not: encrypt anything itself, do I/O, or name a field of an event that does not
exist.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

AUDIO = "audio"
RAW_TEXT = "raw_text"
SCOPES = (AUDIO, RAW_TEXT)

#: Started.context keys the system reads to run the meeting: never personal, kept in clear.
CLEAR_CONTEXT_FIELDS = frozenset({"idle_finish_sec"})


@dataclass(frozen=True)
class PersonalField:
    path: str
    scope: str = RAW_TEXT
    whole: bool = False
    """True: the value at the path is protected whatever its type (not just its text)."""
    erased: Any = ""
    """What the value reads as once its key is destroyed."""
    applies: Callable[[Mapping[str, Any]], bool] | None = None
    """None = always; else a rule on the event's attributes (e.g. only when not masked)."""


def _unmasked(state: Mapping[str, Any]) -> bool:
    return not state.get("pii_masked", False)


PERSONAL_FIELDS: dict[str, tuple[PersonalField, ...]] = {
    "Started": (
        PersonalField("context.*", whole=True, erased=None),
        PersonalField("recipients[]"),
    ),
    "ChunkReceived": (PersonalField("speaker_hint"),),
    "Transcribed": (
        PersonalField("segments[].text"),
        PersonalField("segments[].words[].word"),
        PersonalField("segments[].speaker"),
    ),
    "Enhanced": (
        PersonalField("text", applies=_unmasked),
        PersonalField("segments[].text", applies=_unmasked),
        PersonalField("segments[].raw_text"),
        PersonalField("segments[].speaker"),
    ),
    "Reported": (PersonalField("report", whole=True, erased={}),),
    "SpeakersEdited": (PersonalField("speakers[].name"),),
    "DeliveryAttempted": (PersonalField("target"), PersonalField("error")),
    "ConnectorRequested": (PersonalField("participants[]"),),
}

Leaf = Callable[[Any, PersonalField], Any]
"""Given a value found at a field's path and the field, the value to put there instead."""


def personal_fields(event_type: str) -> tuple[PersonalField, ...]:
    """The personal fields of an event type (its class name, or an Avro full name)."""
    return PERSONAL_FIELDS.get(event_type.rsplit(".", 1)[-1], ())


def rewrite(event_type: str, state: Mapping[str, Any], leaf: Leaf) -> dict[str, Any]:
    """A copy of an event's attributes with every personal value replaced by ``leaf``.

    Only what lies on a personal path is copied; the input is never changed. Attributes
    missing from ``state`` (older events) are skipped.
    """
    result = dict(state)
    for field in personal_fields(event_type):
        if field.applies is not None and not field.applies(state):
            continue
        head, _, rest = field.path.partition(".")
        name, each = _step(head)
        if name not in result:
            continue
        result[name] = _walk(result[name], each, rest, field, leaf)
    return result


def _step(part: str) -> tuple[str, bool]:
    return (part[:-2], True) if part.endswith("[]") else (part, False)


def _walk(value: Any, each: bool, rest: str, field: PersonalField, leaf: Leaf) -> Any:
    if each:
        if not isinstance(value, list):
            return value
        return [_walk(item, False, rest, field, leaf) for item in value]
    if not rest:
        if field.whole or isinstance(value, str):
            return leaf(value, field)
        return value
    if not isinstance(value, dict):
        return value
    head, _, tail = rest.partition(".")
    if head == "*":
        return {
            key: item if key in CLEAR_CONTEXT_FIELDS else _walk(item, False, tail, field, leaf)
            for key, item in value.items()
        }
    name, sub_each = _step(head)
    if name not in value:
        return value
    copy = dict(value)
    copy[name] = _walk(value[name], sub_each, tail, field, leaf)
    return copy
