"""Standard Webhooks signatures (https://www.standardwebhooks.com), as Svix sends them.

Every webhook request carries three headers:

- ``webhook-id``: the delivery id, the same on every retry of one delivery (receivers
  drop repeats by it);
- ``webhook-timestamp``: unix seconds when this attempt was signed;
- ``webhook-signature``: ``v1,<base64 HMAC-SHA256 of "{id}.{timestamp}.{body}">`` keyed
  with the base64-decoded part of the ``whsec_`` secret after its prefix; several
  space-separated signatures may be sent while a secret rotates.

:func:`verify` is what a receiver runs: it checks the timestamp against a tolerance
(replays of an old request are refused) and compares signatures in constant time. It
needs only the standard library, so a receiver can copy it (the README shows how).

Must not: send anything, or log a secret or a body.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import time
from collections.abc import Mapping

SIGNATURE_VERSION = "v1"
SECRET_PREFIX = "whsec_"  # noqa: S105 - the format's prefix, not a secret
ID_HEADER = "webhook-id"
TIMESTAMP_HEADER = "webhook-timestamp"
SIGNATURE_HEADER = "webhook-signature"
DEFAULT_TOLERANCE_SEC = 300
"""How far a receiver lets ``webhook-timestamp`` be from its clock (the spec's 5 minutes)."""


class WebhookVerificationError(ValueError):
    """The request is not a genuine, fresh webhook from the holder of the secret."""


def _key(secret: str) -> bytes:
    try:
        return base64.b64decode(secret.removeprefix(SECRET_PREFIX), validate=True)
    except binascii.Error as error:
        raise WebhookVerificationError("the secret is not whsec_ + base64") from error


def sign(secret: str, msg_id: str, timestamp: int, body: bytes) -> str:
    """The ``webhook-signature`` value for one request: ``v1,<base64 HMAC-SHA256>``."""
    signed = f"{msg_id}.{timestamp}.".encode() + body
    digest = hmac.new(_key(secret), signed, hashlib.sha256).digest()
    return f"{SIGNATURE_VERSION},{base64.b64encode(digest).decode('ascii')}"


def signature_headers(secret: str, msg_id: str, timestamp: int, body: bytes) -> dict[str, str]:
    """The three headers a webhook request is sent with."""
    return {
        ID_HEADER: msg_id,
        TIMESTAMP_HEADER: str(timestamp),
        SIGNATURE_HEADER: sign(secret, msg_id, timestamp, body),
    }


def verify(
    secret: str,
    headers: Mapping[str, str],
    body: bytes,
    *,
    tolerance_sec: int = DEFAULT_TOLERANCE_SEC,
    now: float | None = None,
) -> None:
    """Raise :class:`WebhookVerificationError` unless ``body`` with ``headers`` was signed
    with ``secret`` within ``tolerance_sec`` of ``now`` (default: this machine's clock).

    ``headers`` is looked up by lower-case name (pass ``{k.lower(): v ...}`` when your
    framework keeps the case); ``body`` is the raw request body, not re-serialised JSON.
    """
    msg_id = headers.get(ID_HEADER)
    stamp = headers.get(TIMESTAMP_HEADER)
    signatures = headers.get(SIGNATURE_HEADER)
    if not msg_id or not stamp or not signatures:
        raise WebhookVerificationError("missing webhook-id, webhook-timestamp or signature")
    try:
        timestamp = int(stamp)
    except ValueError as error:
        raise WebhookVerificationError("webhook-timestamp is not unix seconds") from error
    current = time.time() if now is None else now
    if abs(current - timestamp) > tolerance_sec:
        raise WebhookVerificationError("webhook-timestamp is outside the tolerance")
    expected = sign(secret, msg_id, timestamp, body).encode()
    for candidate in signatures.split():
        if candidate.startswith(f"{SIGNATURE_VERSION},") and hmac.compare_digest(
            candidate.encode(), expected
        ):
            return
    raise WebhookVerificationError("no matching v1 signature")
