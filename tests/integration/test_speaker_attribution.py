"""Who said what, through the transcriber's final pass on the real speech model (tiny.en).

Sources, most trusted first: chunk hints, stereo channels, then acoustic diarization of a
mono recording. The interviews are espeak-ng voices rendered at test time (tests/voices.py)
so the true turns are known; each word of the final transcript is checked against them.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from interview_analytics.domain.application import LanguagePolicy, Meetings
from interview_analytics.domain.audio import AudioFormat
from interview_analytics.domain.diarization_error import score
from interview_analytics.domain.meeting import Meeting
from interview_analytics.domain.speakers import SpeakerTurn, speaker_during
from interview_analytics.domain.transcript import Segment
from interview_analytics.http.meeting_document import from_write_model
from interview_analytics.streams.diarization.model_free import ModelFreeDiarizer
from interview_analytics.streams.speech import SpeechRecognizer
from interview_analytics.streams.speech_models import model_languages
from interview_analytics.streams.transcriber import Transcriber
from tests.factories import chunk, start, unique_meeting_id
from tests.integration.test_stages import Harness
from tests.speech import espeak_available
from tests.stack import sqlite_meetings
from tests.text_stages import TextStages
from tests.voices import ENGLISH, Recording, Voice, interview

pytestmark = pytest.mark.skipif(not espeak_available(), reason="needs espeak-ng (make system-deps)")

MAX_WORD_CONFUSION = 0.10
CHUNK_SEC = 2.0


@pytest.fixture(scope="module")
def two_voices() -> Recording:
    return interview((Voice("en+m3"), Voice("en+f3")), ENGLISH[:8])


@pytest.fixture
def app(tmp_path: Path) -> Meetings:
    return sqlite_meetings(tmp_path, LanguagePolicy("en", model_languages("tiny.en")))


@pytest.fixture
def harness(app: Meetings, recognizer: SpeechRecognizer) -> Harness:
    from interview_analytics.ops.workers import BUNDLED_RUBRIC

    built = Harness(app, recognizer, BUNDLED_RUBRIC.read_text())
    transcriber = Transcriber(
        gateway=built.gateway, blobs=app.blobs, recognizer=recognizer, diarizer=ModelFreeDiarizer()
    )
    built.runners = {"transcribe": built._runner(transcriber)}  # attribution only
    return built


async def transcribe(
    harness: Harness,
    app: Meetings,
    pieces: list[tuple[bytes, str | None]],
    *,
    channels: int = 1,
    participants: list[str] | None = None,
) -> Meeting:
    meeting_id = unique_meeting_id("who")
    context = {"participants": participants} if participants else {}
    app.start(start(meeting_id, mode="postmeeting", context=context))
    audio_format = AudioFormat(channels=channels)
    for seq, (pcm, hint) in enumerate(pieces):
        app.receive_chunk(
            chunk(meeting_id, seq, audio=pcm, speaker_hint=hint, audio_format=audio_format)
        )
    app.finish(meeting_id)
    await harness.drain()
    return app.get(meeting_id)


def final_segments(meeting: Meeting) -> list[Segment]:
    final = [t for t in meeting.results.transcriptions if t.final]
    assert len(final) == 1
    return list(final[0].segments)


def word_confusion(segments: list[Segment], truth: tuple[SpeakerTurn, ...]) -> float:
    """Share of words given to the wrong person, under the best label mapping."""
    pairs = Counter(
        (s["speaker"], speaker_during(truth, w["start_sec"], w["end_sec"]))
        for s in segments
        for w in s["words"]
    )
    total = sum(pairs.values())
    labels = sorted({label for label, _ in pairs}, key=str)
    best = max(
        sum(pairs[label, person] for label, person in zip(labels, order, strict=False))
        for order in (("A", "B"), ("B", "A"))
    )
    return 1 - best / total


def mono_pieces(recording: Recording, hints: bool = False) -> list[tuple[bytes, str | None]]:
    """2 s chunks, each within one line (and its pause) so that a hint is never wrong."""
    pieces: list[tuple[bytes, str | None]] = []
    pcm = recording.pcm()
    bounds = [round(t.start_sec * 16_000) * 2 for t in recording.turns[1:]]
    for speaker, begin, end in zip(
        [t.speaker for t in recording.turns], [0, *bounds], [*bounds, len(pcm)], strict=True
    ):
        step = int(CHUNK_SEC * 16_000) * 2
        for offset in range(begin, end, step):
            piece = pcm[offset : min(offset + step, end)]
            pieces.append(
                (piece, {"A": "Interviewer", "B": "Candidate"}[speaker] if hints else None)
            )
    return pieces


async def test_mono_without_hints_is_diarized_into_two_speakers_word_by_word(
    harness: Harness,
    app: Meetings,
    two_voices: Recording,
) -> None:
    meeting = await transcribe(harness, app, mono_pieces(two_voices))
    segments = final_segments(meeting)
    final = next(t for t in meeting.results.transcriptions if t.final)
    assert (final.speaker_method, final.speaker_count) == ("model_free", 2)
    assert final.speaker_confidence is not None
    assert 0 < final.speaker_confidence <= 1
    assert {s["speaker"] for s in segments} == {"S1", "S2"}
    assert segments[0]["speaker"] == "S1"  # the first to speak
    assert word_confusion(segments, two_voices.turns) <= MAX_WORD_CONFUSION
    document = from_write_model(meeting)
    assert document["speaker_attribution"] == {
        "method": "model_free",
        "confidence": final.speaker_confidence,
        "speaker_count": 2,
    }

    # The report names the right person as the candidate: the label most of whose words
    # the true candidate (speaker B, who answers) said.
    await TextStages(app).drain()
    report = app.get(meeting.meeting_id).latest_report()
    assert report is not None
    assert report.final
    said_by_b = Counter(
        s["speaker"]
        for s in segments
        for w in s["words"]
        if speaker_during(two_voices.turns, w["start_sec"], w["end_sec"]) == "B"
    )
    true_candidate = said_by_b.most_common(1)[0][0]
    assert report.report["analytics"]["candidate"]["speaker"] == true_candidate
    roles = {s["label"]: s["role"] for s in report.report["roles"]["speakers"]}
    assert roles[true_candidate] == "candidate"
    assert roles[({"S1", "S2"} - {true_candidate}).pop()] == "interviewer"


async def test_hints_win_over_acoustics(
    harness: Harness,
    app: Meetings,
    two_voices: Recording,
) -> None:
    meeting = await transcribe(harness, app, mono_pieces(two_voices, hints=True))
    final = next(t for t in meeting.results.transcriptions if t.final)
    assert (final.speaker_method, final.speaker_count) == ("speaker_hint", 2)
    segments = final_segments(meeting)
    assert {s["speaker"] for s in segments} == {"Interviewer", "Candidate"}
    renamed = tuple(
        SpeakerTurn(t.start_sec, t.end_sec, {"A": "Interviewer", "B": "Candidate"}[t.speaker])
        for t in two_voices.turns
    )
    said = [
        SpeakerTurn(w["start_sec"], max(w["end_sec"], w["start_sec"] + 0.01), s["speaker"] or "")
        for s in segments
        for w in s["words"]
    ]
    assert score(renamed, said).confusion <= MAX_WORD_CONFUSION


async def test_stereo_gives_one_speaker_per_channel_named_after_participants(
    harness: Harness,
    app: Meetings,
    two_voices: Recording,
) -> None:
    mono = (np.frombuffer(two_voices.pcm(), dtype="<i2")).copy()
    left, right = mono.copy(), mono.copy()
    for turn in two_voices.turns:  # each person on their own channel, faint on the other
        span = slice(round(turn.start_sec * 16_000), round(turn.end_sec * 16_000))
        (right if turn.speaker == "A" else left)[span] //= 20
    stereo = np.stack([left, right], axis=1).astype("<i2").tobytes()
    step = int(CHUNK_SEC * 16_000) * 4
    pieces: list[tuple[bytes, str | None]] = [
        (stereo[i : i + step], None) for i in range(0, len(stereo), step)
    ]
    meeting = await transcribe(harness, app, pieces, channels=2, participants=["Anna", "Boris"])
    final = next(t for t in meeting.results.transcriptions if t.final)
    assert (final.speaker_method, final.speaker_count) == ("channel", 2)
    segments = final_segments(meeting)
    truth = tuple(
        SpeakerTurn(t.start_sec, t.end_sec, {"A": "Anna", "B": "Boris"}[t.speaker])
        for t in two_voices.turns
    )
    wrong = [
        w["word"]
        for s in segments
        for w in s["words"]
        if speaker_during(truth, w["start_sec"], w["end_sec"]) != s["speaker"]
    ]
    assert len(wrong) <= MAX_WORD_CONFUSION * sum(len(s["words"]) for s in segments)
