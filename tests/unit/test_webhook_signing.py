"""Standard Webhooks signatures: the spec's test vector, and what ``verify`` refuses."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from interview_analytics.streams.delivery.webhook_signing import (
    WebhookVerificationError,
    sign,
    signature_headers,
    verify,
)

# The example of the Standard Webhooks specification (and of Svix's libraries).
SPEC_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
SPEC_ID = "msg_p5jXN8AQM9LWM0D4loKWxJek"
SPEC_TIMESTAMP = 1614265330
SPEC_BODY = b'{"test": 2432232314}'
SPEC_SIGNATURE = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="


def test_the_signature_is_the_specs_test_vector() -> None:
    assert sign(SPEC_SECRET, SPEC_ID, SPEC_TIMESTAMP, SPEC_BODY) == SPEC_SIGNATURE


def test_the_specs_request_verifies_within_the_tolerance() -> None:
    headers = signature_headers(SPEC_SECRET, SPEC_ID, SPEC_TIMESTAMP, SPEC_BODY)
    assert headers["webhook-signature"] == SPEC_SIGNATURE
    verify(SPEC_SECRET, headers, SPEC_BODY, now=SPEC_TIMESTAMP + 299)


def test_an_old_or_future_timestamp_is_refused() -> None:
    headers = signature_headers(SPEC_SECRET, SPEC_ID, SPEC_TIMESTAMP, SPEC_BODY)
    for now in (SPEC_TIMESTAMP + 301, SPEC_TIMESTAMP - 301):
        with pytest.raises(WebhookVerificationError, match="tolerance"):
            verify(SPEC_SECRET, headers, SPEC_BODY, now=now)


@pytest.mark.parametrize(
    ("header", "value"),
    [
        ("webhook-id", "msg_other"),
        ("webhook-timestamp", str(SPEC_TIMESTAMP + 1)),
        ("webhook-signature", "v1,AAAA" + SPEC_SIGNATURE[7:]),
        ("webhook-signature", "v2," + SPEC_SIGNATURE[3:]),
    ],
)
def test_a_changed_header_is_refused(header: str, value: str) -> None:
    headers = signature_headers(SPEC_SECRET, SPEC_ID, SPEC_TIMESTAMP, SPEC_BODY)
    headers[header] = value
    with pytest.raises(WebhookVerificationError):
        verify(SPEC_SECRET, headers, SPEC_BODY, now=SPEC_TIMESTAMP)


def test_missing_headers_are_refused() -> None:
    with pytest.raises(WebhookVerificationError, match="missing"):
        verify(SPEC_SECRET, {}, SPEC_BODY, now=SPEC_TIMESTAMP)


def test_one_matching_signature_among_several_is_enough() -> None:
    """While a secret rotates, several space-separated signatures are sent."""
    headers = signature_headers(SPEC_SECRET, SPEC_ID, SPEC_TIMESTAMP, SPEC_BODY)
    headers["webhook-signature"] = f"v1,bm90IGl0 {SPEC_SIGNATURE}"
    verify(SPEC_SECRET, headers, SPEC_BODY, now=SPEC_TIMESTAMP)


@given(body=st.binary(max_size=200), flip=st.integers(min_value=0, max_value=199))
def test_any_change_to_the_body_is_refused(body: bytes, flip: int) -> None:
    headers = signature_headers(SPEC_SECRET, SPEC_ID, SPEC_TIMESTAMP, body)
    verify(SPEC_SECRET, headers, body, now=SPEC_TIMESTAMP)
    changed = [body + b"x"]
    if body:  # one byte with one bit flipped
        at = flip % len(body)
        changed.append(body[:at] + bytes([body[at] ^ 1]) + body[at + 1 :])
    for other in changed:
        with pytest.raises(WebhookVerificationError):
            verify(SPEC_SECRET, headers, other, now=SPEC_TIMESTAMP)


def test_another_secret_does_not_verify() -> None:
    headers = signature_headers(SPEC_SECRET, SPEC_ID, SPEC_TIMESTAMP, SPEC_BODY)
    with pytest.raises(WebhookVerificationError, match="no matching"):
        verify("whsec_" + "QUJD" * 8, headers, SPEC_BODY, now=SPEC_TIMESTAMP)
