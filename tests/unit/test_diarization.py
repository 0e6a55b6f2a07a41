"""The diarizers (streams/diarization/) on synthetic interviews whose turns are known.

Voices are espeak-ng's (tests/voices.py renders them at test time, ~40 s of audio each)
and the committed festival interview (tests/fixtures/ru_interview.wav). The bar is the
issue's: a two-person interview with no hints comes back as two speakers with at most
10 % speaker confusion; one voice comes back as one speaker.
"""

from __future__ import annotations

import numpy as np
import pytest

from interview_analytics.domain.diarization_error import score
from interview_analytics.domain.speakers import SpeakerTurn
from interview_analytics.streams.diarization import engines, senko_engine
from interview_analytics.streams.diarization.model_free import ModelFreeDiarizer, ModelFreeSettings
from interview_analytics.streams.diarization.result import MODEL_FREE
from tests.fixtures.make_russian_interview import load_russian_interview
from tests.speech import espeak_available
from tests.voices import ENGLISH, Recording, Voice, interview

MAX_CONFUSION = 0.10

pytestmark = pytest.mark.skipif(not espeak_available(), reason="needs espeak-ng (make system-deps)")


@pytest.fixture(scope="module")
def two_voices() -> Recording:
    return interview((Voice("en+m3"), Voice("en+f3")), ENGLISH)


def test_a_two_person_interview_without_hints_gives_two_speakers(two_voices: Recording) -> None:
    result = ModelFreeDiarizer().diarize(two_voices.samples, None)
    assert result.speaker_count == 2
    assert result.method == "model_free"
    assert score(two_voices.turns, result.turns).confusion <= MAX_CONFUSION
    assert result.turns[0].speaker == "S1"  # labelled by first speech
    assert 0.0 <= result.confidence <= 1.0


def test_the_same_audio_gives_the_same_turns(two_voices: Recording) -> None:
    diarizer = ModelFreeDiarizer()
    assert diarizer.diarize(two_voices.samples, None) == diarizer.diarize(two_voices.samples, None)


def test_a_known_speaker_count_is_used(two_voices: Recording) -> None:
    assert ModelFreeDiarizer().diarize(two_voices.samples, 1).speaker_count == 1
    told = ModelFreeDiarizer().diarize(two_voices.samples, 2)
    assert told.speaker_count == 2
    assert score(two_voices.turns, told.turns).confusion <= MAX_CONFUSION


def test_the_committed_russian_interview_separates_its_two_voices() -> None:
    recorded = load_russian_interview()
    samples = np.frombuffer(recorded.pcm, dtype="<i2").astype(np.float32) / 32768
    truth = [SpeakerTurn(line.start_sec, line.end_sec, line.speaker) for line in recorded.lines]
    result = ModelFreeDiarizer().diarize(samples, None)
    assert result.speaker_count == 2
    assert score(truth, result.turns).confusion <= MAX_CONFUSION


@pytest.mark.parametrize("voice", ["en+m3", "en-us"])
def test_one_voice_gives_one_speaker_when_one_is_allowed(voice: str) -> None:
    monologue = interview((Voice(voice),), ENGLISH[:8])
    result = ModelFreeDiarizer(ModelFreeSettings(min_speakers=1)).diarize(monologue.samples, None)
    assert result.speaker_count == 1
    assert {t.speaker for t in result.turns} == {"S1"}


def test_by_default_a_recording_has_at_least_two_speakers() -> None:
    """An interview has two people (the issue's 2–6): the one-voice test is opt-in, since it
    merged two real same-gender telephone voices (bench/README.md)."""
    monologue = interview((Voice("en+m3"),), ENGLISH[:8])
    assert ModelFreeDiarizer().diarize(monologue.samples, None).speaker_count == 2
    built = engines.build_diarizer(MODEL_FREE, min_speakers=1)
    assert isinstance(built, ModelFreeDiarizer)
    assert built.diarize(monologue.samples, None).speaker_count == 1


def test_silence_gives_no_turns() -> None:
    result = ModelFreeDiarizer().diarize(np.zeros(16_000 * 5, dtype=np.float32), None)
    assert (result.turns, result.speaker_count) == ((), 0)


def test_the_engine_setting_picks_the_diarizer(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(senko_engine, "available", lambda: False)
    assert isinstance(engines.build_diarizer("auto"), ModelFreeDiarizer)
    assert isinstance(engines.build_diarizer("model_free"), ModelFreeDiarizer)
    with pytest.raises(RuntimeError, match="diarization-model"):
        engines.build_diarizer("senko")
    with pytest.raises(ValueError, match="unknown"):
        engines.build_diarizer("pyannote")
    monkeypatch.setattr(senko_engine, "available", lambda: True)
    assert isinstance(engines.build_diarizer("auto"), senko_engine.SenkoDiarizer)
    assert isinstance(engines.build_diarizer("model_free"), ModelFreeDiarizer)


def test_the_senko_adapter_turns_its_segments_into_labelled_turns(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """senko itself is an optional extra; its interface is stood in for here."""
    import sys
    import types

    calls: list[float] = []

    class FakeSenko:
        def __init__(self, **options: object) -> None:
            assert options["device"] == "cpu"

        def diarize_samples(self, samples: np.ndarray, sample_rate: int) -> dict[str, object]:
            calls.append(float(np.abs(samples).max()))
            return {
                "merged_segments": [
                    {"start": 2.0, "end": 3.0, "speaker": "SPEAKER_00"},
                    {"start": 0.0, "end": 1.5, "speaker": "SPEAKER_01"},
                ],
                "speaker_centroids": {"SPEAKER_00": [1.0, 0.0], "SPEAKER_01": [0.6, 0.8]},
            }

    threads: list[int] = []
    monkeypatch.setitem(sys.modules, "senko", types.SimpleNamespace(Diarizer=FakeSenko))
    monkeypatch.setitem(sys.modules, "torch", types.SimpleNamespace(set_num_threads=threads.append))
    monkeypatch.setattr(senko_engine, "available", lambda: True)
    result = senko_engine.SenkoDiarizer(threads=2).diarize(np.full(100, 1.5, np.float32), None)
    assert [(t.start_sec, t.speaker) for t in result.turns] == [(0.0, "S1"), (2.0, "S2")]
    assert (result.method, result.speaker_count, result.confidence) == ("senko", 2, 0.4)
    assert calls == [1.0]  # clipped into [-1, 1], which senko insists on
    assert threads == [2]
