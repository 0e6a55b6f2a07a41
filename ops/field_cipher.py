"""Personal event fields ↔ ciphertext markers, with the meeting's data keys.

A personal value (``domain/personal_data.py`` says which) is replaced by a marker string
``$enc:v1:<scope>:<base64 of nonce + AES-GCM ciphertext>``; the plaintext is the value's
JSON, the associated data ``"<meeting_id>/<scope>"``, so a marker moved to another
meeting does not decrypt. A string marker fits every place a value can be (Avro string
fields, typed dicts, the aggregate's state), so the topic's schemas and the domain types
are unchanged. ``open`` turns markers back into values while the key exists, and into the
field's erased value (``""``, None or ``{}``) once it was destroyed; values that are not
markers (events stored before encryption) are returned as they are.

Sealing when the key was already destroyed stores the erased value: the data is dropped,
never written in clear.

Must not: write a value in clear where its key is gone, or decrypt for a meeting other
than the marker's.
"""

from __future__ import annotations

import base64
import json
import os
from collections.abc import Mapping
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from interview_analytics.domain.personal_data import PersonalField, rewrite
from interview_analytics.ops.data_keys import NONCE_BYTES, DataKeyError, DataKeys

MARKER_PREFIX = "$enc:v1:"


def is_marker(value: object) -> bool:
    return isinstance(value, str) and value.startswith(MARKER_PREFIX)


class FieldCipher:
    """Seals and opens the personal fields of one event's attributes."""

    def __init__(self, keys: DataKeys) -> None:
        self.keys = keys

    def seal(self, event_type: str, meeting_id: str, state: Mapping[str, Any]) -> dict[str, Any]:
        """The attributes with every personal value encrypted (a new key is made for a
        meeting's first personal value)."""

        def leaf(value: Any, field: PersonalField) -> Any:
            # Even a value that looks like a marker is sealed: a caller's context value
            # "$enc:v1:…" must come back as the caller's text, not be taken for ciphertext.
            key = self.keys.key(meeting_id, field.scope, create=True)
            if key is None:
                return field.erased
            return seal_value(key, meeting_id, field.scope, value)

        return rewrite(event_type, state, leaf)

    def open(self, event_type: str, meeting_id: str, state: Mapping[str, Any]) -> dict[str, Any]:
        """The attributes with every marker decrypted, or erased where its key is gone."""

        def leaf(value: Any, field: PersonalField) -> Any:
            if not is_marker(value):
                return value
            scope = marker_scope(value)
            key = self.keys.key(meeting_id, scope)
            if key is None:
                return field.erased
            return open_value(key, meeting_id, value)

        return rewrite(event_type, state, leaf)


def seal_value(key: bytes, meeting_id: str, scope: str, value: Any) -> str:
    nonce = os.urandom(NONCE_BYTES)
    plain = json.dumps(value, ensure_ascii=False, sort_keys=True).encode()
    sealed = nonce + AESGCM(key).encrypt(nonce, plain, f"{meeting_id}/{scope}".encode())
    return f"{MARKER_PREFIX}{scope}:{base64.b64encode(sealed).decode()}"


def marker_scope(marker: str) -> str:
    return marker[len(MARKER_PREFIX) :].split(":", 1)[0]


def open_value(key: bytes, meeting_id: str, marker: str) -> Any:
    scope, _, encoded = marker[len(MARKER_PREFIX) :].partition(":")
    try:
        sealed = base64.b64decode(encoded, validate=True)
        plain = AESGCM(key).decrypt(
            sealed[:NONCE_BYTES], sealed[NONCE_BYTES:], f"{meeting_id}/{scope}".encode()
        )
    except (ValueError, InvalidTag):
        raise DataKeyError(
            f"a {scope} value of meeting {meeting_id!r} does not decrypt "
            "(tampered, or sealed for another meeting)"
        ) from None
    return json.loads(plain)
