"""Least exposure: how much of a meeting's personal data an identity reads.

The raw transcript (``raw_transcript``, the segments' ``text``, live frames' ``raw_text``),
the recognised ``words`` and unmasked evidence quotes are personal data in clear. They are
answered as recorded only to an identity allowed to read personal data
(:func:`may_read_personal_data`): a service identity, a token carrying the ``pii:read``
scope (JWT ``scope``/``scp``), or the anonymous caller of ``AUTH_MODE=none`` (local
development, where the guards let everything through and production refuses it).
Everyone else gets the same documents with every transcript text PII-masked
(``domain/enhance/pii.py``: e-mails, phones, cards, document numbers and dates of birth
become ``[EMAIL]``, ``[PHONE]`` …) and no words, whose timings would spell out what the mask
hides. Enhanced text and report quotes are masked when they are made (``PII_MASKING``,
``domain/report/findings.py``); they are masked here again, which changes nothing then
(masking masked text is a no-op) and keeps them masked when ``PII_MASKING`` is off or a
report predates masked quotes. A delivery's e-mail target and error are masked the same way.

Must not: change a document for an identity allowed to read personal data, change anything
but the strings under the transcript-text keys and words, or do I/O.
"""

from __future__ import annotations

from typing import Any

from interview_analytics.domain.enhance.pii import mask_pii
from interview_analytics.http.identity import Identity

PII_READ_SCOPE = "pii:read"
"""The OAuth scope that lets a user identity read personal data in clear."""

TEXT_KEYS = frozenset(
    {"raw_transcript", "enhanced_transcript", "text", "raw_text", "enhanced_text", "quote"}
)
"""Keys whose string values are transcript text, wherever they appear in a document."""
WORDS_KEY = "words"
DELIVERY_KEYS = frozenset({"target", "error"})

RULE = (
    "Least exposure: raw transcript text, words and unmasked evidence quotes only for "
    "identities allowed to read personal data (service identities, or tokens with the "
    f"{PII_READ_SCOPE} scope); for everyone else every transcript text is PII-masked "
    "([EMAIL], [PHONE] …) and words are empty."
)
"""The rule in one sentence, for the OpenAPI descriptions of the routes it applies to."""


def may_read_personal_data(identity: Identity) -> bool:
    if identity.auth_type == "none":
        return True  # AUTH_MODE=none allows everything (and is refused in production)
    return identity.is_service or PII_READ_SCOPE in identity.scopes


def masked(text: str) -> str:
    return mask_pii(text).text


def meeting_document(document: dict[str, Any], identity: Identity) -> dict[str, Any]:
    """A meeting document (GET, report page) or live frame as ``identity`` may read it."""
    if may_read_personal_data(identity):
        return document
    result: dict[str, Any] = _masked_value(document)
    return result


def delivery(row: dict[str, Any], identity: Identity) -> dict[str, Any]:
    """A delivery attempt as ``identity`` may read it (the recipient's e-mail masked)."""
    if may_read_personal_data(identity):
        return row
    return {
        key: masked(value) if key in DELIVERY_KEYS and isinstance(value, str) else value
        for key, value in row.items()
    }


def _masked_value(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _masked_entry(key, item) for key, item in value.items()}
    if isinstance(value, list):
        return [_masked_value(item) for item in value]
    return value


def _masked_entry(key: str, value: Any) -> Any:
    if key == WORDS_KEY and isinstance(value, list):
        return []
    if key in TEXT_KEYS and isinstance(value, str):
        return masked(value)
    return _masked_value(value)
