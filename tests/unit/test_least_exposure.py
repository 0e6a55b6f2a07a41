"""Least exposure (issue 17): who reads personal data in clear, what everyone else gets, and
report evidence quotes that are masked in the report itself."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from interview_analytics.http.claims import ClaimRules
from interview_analytics.http.exposure import (
    PII_READ_SCOPE,
    delivery,
    may_read_personal_data,
    meeting_document,
)
from interview_analytics.http.identity import Identity
from tests.unit.test_report import report, sole_flag, turn

RULES = ClaimRules("token_type", ("service",), "roles", ("service",), "")
PHONE = "+7 912 345 67 89"
EMAIL = "anna.k@example.org"
USER = Identity("alice", "user", "jwt")
READER = Identity("petra", "user", "jwt", scopes=frozenset({PII_READ_SCOPE}))
SERVICE = Identity("pipeline", "service", "jwt")
LOCAL = Identity("anonymous", "user", "none")
"""AUTH_MODE=none (local development, refused in production): everything is allowed."""
API_KEY_USER = Identity("k1", "user", "api_key")


def test_the_pii_read_scope_comes_from_scope_or_scp() -> None:
    assert may_read_personal_data(RULES.identity({"sub": "a", "scope": "openid pii:read"}))
    assert may_read_personal_data(RULES.identity({"sub": "a", "scp": ["pii:read"]}))
    assert not may_read_personal_data(RULES.identity({"sub": "a", "scope": "openid pii"}))
    assert not may_read_personal_data(RULES.identity({"sub": "a"}))
    assert may_read_personal_data(RULES.identity({"sub": "a", "token_type": "service"}))


def document() -> dict[str, Any]:
    text = f"reach me at {PHONE} or {EMAIL}"
    return {
        "raw_transcript": text,
        "enhanced_transcript": text,
        "segments": [{"text": text, "words": [{"word": "912"}], "speaker": "S1"}],
        "report": {"risk_flags_evidence": [[{"quote": text, "speaker": "S1"}]]},
        "context": {"participants": ["Anna"]},
    }


def test_readers_of_personal_data_get_the_document_unchanged() -> None:
    for identity in (READER, SERVICE, LOCAL):
        assert meeting_document(document(), identity) == document()


def test_an_api_key_user_does_not_read_personal_data() -> None:
    assert not may_read_personal_data(API_KEY_USER)
    assert meeting_document(document(), API_KEY_USER) != document()


def test_everyone_else_gets_masked_text_and_no_words() -> None:
    shown = meeting_document(document(), USER)
    flat = json.dumps(shown)
    assert "912" not in flat
    assert EMAIL not in flat
    assert shown["raw_transcript"] == "reach me at [PHONE] or [EMAIL]"
    assert shown["segments"][0]["words"] == []
    assert shown["report"]["risk_flags_evidence"][0][0]["quote"].count("[") == 2
    assert shown["context"] == document()["context"]


def test_a_live_frame_is_masked_for_a_plain_user() -> None:
    frame = {"event_type": "transcript.update", "raw_text": f"call {PHONE}", "segments": []}
    assert meeting_document(frame, USER)["raw_text"] == "call [PHONE]"
    assert meeting_document(frame, READER)["raw_text"] == f"call {PHONE}"


def test_a_delivery_target_is_masked_for_a_plain_user() -> None:
    row = {"channel": "email", "target": EMAIL, "error": f"550 {EMAIL} unknown", "attempt": 1}
    assert delivery(row, USER) == {**row, "target": "[EMAIL]", "error": "550 [EMAIL] unknown"}
    assert delivery(row, SERVICE) == row


@given(st.text(max_size=80))
def test_masking_for_a_plain_user_never_adds_or_restores_personal_data(text: str) -> None:
    once = meeting_document({"raw_transcript": text}, USER)
    assert meeting_document(once, USER) == once


def test_report_evidence_quotes_are_masked_in_the_report_itself() -> None:
    raw = f"um so I uh built it, um, call me uh on {PHONE} or {EMAIL} um like " * 3
    turns = [
        turn("Interviewer", 0, 20, "How did it go?"),
        turn("Candidate", 21, 60, f"I built it. Call me on {PHONE}. Why?", raw),
    ]
    built = report(turns)
    _, evidence = sole_flag(built, "high_filler_rate")
    assert evidence[0]["quote"].startswith("um so I uh built")
    flat = json.dumps(built["risk_flags_evidence"] + built["bullets_evidence"])
    assert "912" not in flat
    assert EMAIL not in flat
    assert "[PHONE]" in flat


def test_a_single_voice_quote_is_masked() -> None:
    built = report([turn("SPEAKER_00", 0, 30, f"My number is {PHONE}, thanks.")])
    _, evidence = sole_flag(built, "single_speaker")
    assert "912" not in evidence[0]["quote"]
    assert "[PHONE]" in evidence[0]["quote"]
