"""Speaker confusion and DER (domain/diarization_error.py) on hand-made turns."""

from __future__ import annotations

import pytest

from interview_analytics.domain.diarization_error import score
from interview_analytics.domain.speakers import SpeakerTurn as T

TRUTH = [T(0.0, 4.0, "A"), T(4.0, 8.0, "B"), T(8.0, 10.0, "A")]


def test_the_same_turns_under_other_labels_score_zero() -> None:
    renamed = [T(0.0, 4.0, "S2"), T(4.0, 8.0, "S1"), T(8.0, 10.0, "S2")]
    assert score(TRUTH, renamed).confusion == 0.0
    assert score(TRUTH, renamed).der == 0.0


def test_one_label_for_everyone_confuses_the_minority_speaker() -> None:
    result = score(TRUTH, [T(0.0, 10.0, "S1")])
    assert result.confusion == pytest.approx(0.4, abs=0.01)
    assert result.der == pytest.approx(0.4, abs=0.03)  # collars excluded around 4.0 and 8.0


def test_errors_inside_the_collar_do_not_count_but_missed_speech_does() -> None:
    late = [T(0.0, 4.2, "x"), T(4.2, 8.0, "y"), T(8.0, 10.0, "x")]
    assert score(TRUTH, late).der == 0.0
    assert score(TRUTH, late).confusion > 0.0
    missing = [T(0.0, 4.0, "x"), T(4.0, 8.0, "y")]
    assert score(TRUTH, missing).der == pytest.approx(1.5 / 9.5, abs=0.02)


def test_overlapped_speech_is_not_scored() -> None:
    overlapping = [*TRUTH, T(2.0, 3.0, "B")]
    assert score(overlapping, [T(0.0, 4.0, "p"), T(4.0, 8.0, "q"), T(8.0, 10.0, "p")]).der == 0.0
