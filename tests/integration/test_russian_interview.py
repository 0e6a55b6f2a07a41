"""A Russian interview through every stage on the bundled multilingual ``base``.

The recording is the committed festival interview (tests/fixtures/make_russian_interview.py
made it; no synthesiser or download at test time). Stages run as in test_stages.py: real
event store, messages built as the relay builds them, no Kafka. One session-scoped ``base``
with 2 threads; about 0.1 x real time per pass, so the whole module costs about a minute.

Must not: synthesise speech or download a model (the fixture and the wheels hold both).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from interview_analytics.domain.application import LanguagePolicy, Meetings
from interview_analytics.domain.errors import UnsupportedLanguageError
from interview_analytics.domain.wer import word_error_rate
from interview_analytics.ops.workers import BUNDLED_RUBRIC
from interview_analytics.streams.speech import Recognition, SpeechRecognizer, WhisperSettings
from interview_analytics.streams.speech_models import model_languages
from tests.factories import chunk, start, unique_meeting_id
from tests.fixtures.make_russian_interview import load_russian_interview
from tests.integration.test_stages import Harness, stream_types
from tests.speech import Interview
from tests.stack import sqlite_meetings

CYRILLIC = re.compile("[а-яё]", re.IGNORECASE)


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SpeechRecognizer]:
    settings = WhisperSettings(
        model="base", model_cache_dir=tmp_path_factory.mktemp("models"), cpu_threads=2
    )
    recognizer = SpeechRecognizer(settings)
    recognizer.load()
    yield recognizer
    recognizer.close()


@pytest.fixture(scope="module")
def russian() -> Interview:
    return load_russian_interview()


@pytest.fixture
def app(tmp_path: Path) -> Meetings:
    return sqlite_meetings(tmp_path, LanguagePolicy("ru", model_languages("base")))


def harness_with(app: Meetings, recognizer: Any) -> Harness:
    return Harness(app, recognizer, BUNDLED_RUBRIC.read_text())


def send(
    app: Meetings, meeting_id: str, interview: Interview, *, chunks: int | None = None
) -> None:
    for seq, (pcm, speaker) in enumerate(interview.chunks(2.0)[:chunks]):
        app.receive_chunk(chunk(meeting_id, seq, audio=pcm, speaker_hint=speaker))


def samples(pcm: bytes) -> np.ndarray:
    return np.frombuffer(pcm, dtype="<i2").astype(np.float32) / 32768


def detections(app: Meetings, meeting_id: str) -> list[Any]:
    return [e for e in app.stream(meeting_id) if type(e).__name__ == "LanguageDetected"]


async def test_a_russian_interview_in_2s_chunks_with_no_language_is_as_good_as_the_whole_file(
    app: Meetings, base: SpeechRecognizer, russian: Interview
) -> None:
    harness = harness_with(app, base)
    meeting_id = unique_meeting_id("ru")
    app.start(start(meeting_id, language=None))  # the default: ru
    send(app, meeting_id, russian)
    await harness.drain()
    drafts_wer = word_error_rate(russian.text, app.get(meeting_id).raw_transcript())
    app.finish(meeting_id)
    await harness.drain()

    meeting = app.get(meeting_id)
    assert meeting.status == "done"
    assert meeting.language == "ru"
    assert not detections(app, meeting_id)  # a chosen language is never detected
    whole = base.transcribe(samples(russian.pcm), language="ru", final=True)
    whole_wer = word_error_rate(russian.text, " ".join(s.text for s in whole.segments))
    final_wer = word_error_rate(russian.text, meeting.raw_transcript())
    print(f"\nru base: WER whole file {whole_wer:.3f}, chunked final {final_wer:.3f}, ", end="")
    print(f"drafts {drafts_wer:.3f}")
    assert final_wer <= whole_wer + 0.02
    assert final_wer <= 0.4  # festival speech on base measures about 0.26

    enhancement = meeting.latest_enhancement()
    assert enhancement is not None
    print(f"enhanced: {enhancement.text}")
    assert enhancement.pii_masked
    phone_line = next(ln for ln in enhancement.text.splitlines() if "телефон" in ln.lower())
    assert not re.search(r"\d{3}", phone_line), phone_line  # the dictated number is masked
    assert "123" not in enhancement.text
    assert "4567" not in enhancement.text

    report = meeting.latest_report()
    assert report is not None
    assert report.final
    body = report.report
    print(f"report: {body['summary']} | {body['bullets']}")
    assert body["language"] == "ru"
    asked = [q for q in body["analytics"]["questions"] if q.get("speaker") == "interviewer"]
    asked_text = " ".join(str(q.get("text", "")) for q in asked).lower()
    for question in ("опыт", "задача", "связаться"):  # the three questions, by a stem each
        assert question in asked_text, (question, asked)
    for text in (body["summary"], *body["bullets"]):
        assert CYRILLIC.search(str(text)), text


async def test_auto_detects_russian_on_the_first_draft_and_records_it_once(
    app: Meetings, base: SpeechRecognizer, russian: Interview
) -> None:
    harness = harness_with(app, base)
    meeting_id = unique_meeting_id("auto")
    app.start(start(meeting_id, language="auto"))
    send(app, meeting_id, russian, chunks=3)
    await harness.drain()

    meeting = app.get(meeting_id)
    [detected] = detections(app, meeting_id)
    print(f"\ndetected {detected.language} p={detected.probability}")
    assert detected.language == "ru"
    assert 0.5 < detected.probability <= 1.0
    assert meeting.event_kind(detected.input_version) == "ChunkReceived"
    assert meeting.language == "ru"
    assert meeting.start_settings()["language"] == "auto"  # a repeated start still matches
    assert app.start(start(meeting_id, language="auto")).created is False
    assert {t.language for t in meeting.results.transcriptions} == {"ru"}
    types = stream_types(app, meeting_id)
    assert types.index("LanguageDetected") < types.index("Transcribed")

    app.finish(meeting_id)
    await harness.drain()
    before = stream_types(app, meeting_id)
    harness.position = 0  # every event delivered again: no second detection
    await harness.drain()
    assert stream_types(app, meeting_id) == before
    assert len(detections(app, meeting_id)) == 1
    report = app.get(meeting_id).latest_report()
    assert report is not None
    assert report.final
    assert report.report["language"] == "ru"


async def test_auto_in_a_postmeeting_meeting_is_detected_on_the_final_pass(
    app: Meetings, base: SpeechRecognizer, russian: Interview
) -> None:
    harness = harness_with(app, base)
    meeting_id = unique_meeting_id("auto-post")
    app.start(start(meeting_id, language="auto", mode="postmeeting"))
    send(app, meeting_id, russian, chunks=4)
    app.finish(meeting_id)
    await harness.drain()
    meeting = app.get(meeting_id)
    [detected] = detections(app, meeting_id)
    assert (detected.language, meeting.event_kind(detected.input_version)) == ("ru", "Finished")
    [final] = meeting.results.transcriptions
    assert final.final
    assert final.language == "ru"
    assert CYRILLIC.search(meeting.raw_transcript())


class Silent:
    """Test double of the recogniser: hears nothing, guesses English."""

    model_name = "silent"

    async def transcribe_async(self, audio: Any, *, language: str | None, final: bool) -> Any:
        return Recognition((), len(audio) / 16000, 0.0, language=language or "en")


async def test_an_auto_meeting_without_speech_keeps_auto(app: Meetings, russian: Interview) -> None:
    harness = harness_with(app, Silent())
    meeting_id = unique_meeting_id("auto-silent")
    app.start(start(meeting_id, language="auto"))
    send(app, meeting_id, russian, chunks=2)
    app.finish(meeting_id)
    await harness.drain()
    meeting = app.get(meeting_id)
    assert not detections(app, meeting_id)
    assert meeting.language == "auto"
    report = meeting.latest_report()
    assert report is not None
    assert report.final


def test_a_language_base_cannot_do_is_refused_listing_what_it_can(app: Meetings) -> None:
    with pytest.raises(UnsupportedLanguageError) as refused:
        app.start(start(unique_meeting_id(), language="tlh"))
    assert "ru" in refused.value.details["supported"]
    assert "en" in refused.value.details["supported"]
    assert "ru" in refused.value.message


def test_auto_is_refused_for_an_english_only_model(tmp_path: Path) -> None:
    english = sqlite_meetings(tmp_path / "en", LanguagePolicy("en", model_languages("tiny.en")))
    with pytest.raises(UnsupportedLanguageError) as refused:
        english.start(start(unique_meeting_id(), language="auto"))
    assert refused.value.details["supported"] == ["en"]
