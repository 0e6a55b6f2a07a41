"""Which speaker is the candidate.

In order, among speakers with at least one turn:

1. ``label``: a speaker whose label contains "candidate", "кандидат", "applicant" or
   "соискатель" — the candidate labels of every language — (several: the one with the
   most talk time);
2. ``interviewer_label``: else, when some labels say "interviewer", "интервьюер",
   "recruiter", "рекрутер" or "hiring manager", the unlabelled speaker with the most talk
   time (nobody, when every speaker is so labelled);
3. ``only_speaker``: else, a lone speaker;
4. ``fewest_questions``: else the speaker who asked the fewest questions, then the one with
   the most talk time (an interviewer asks; a candidate answers at length).

Remaining ties go to the label that sorts first, so the choice is deterministic.

Must not: leave a tie to chance: the label order decides it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from interview_analytics.domain.languages import ALL
from interview_analytics.domain.report.metrics import SpeakerStats

# Labels are names people typed or a connector gave, in any language.
CANDIDATE_LABELS = tuple(label for language in ALL for label in language.candidate_labels)
INTERVIEWER_LABELS = tuple(label for language in ALL for label in language.interviewer_labels)


@dataclass(frozen=True)
class Candidate:
    speaker: str | None
    basis: str | None

    def as_json(self) -> dict[str, Any]:
        return {"speaker": self.speaker, "basis": self.basis}


def identify_candidate(stats: Mapping[str, SpeakerStats]) -> Candidate:
    speakers = sorted(stats)
    if not speakers:
        return Candidate(None, None)

    def most_talk(among: list[str]) -> str:
        return min(among, key=lambda s: (-stats[s].talk_sec, s))

    labelled = [s for s in speakers if _says(s, CANDIDATE_LABELS)]
    if labelled:
        return Candidate(most_talk(labelled), "label")
    interviewers = [s for s in speakers if _says(s, INTERVIEWER_LABELS)]
    if interviewers:
        others = [s for s in speakers if s not in interviewers]
        return (
            Candidate(most_talk(others), "interviewer_label") if others else Candidate(None, None)
        )
    if len(speakers) == 1:
        return Candidate(speakers[0], "only_speaker")
    chosen = min(speakers, key=lambda s: (stats[s].questions, -stats[s].talk_sec, s))
    return Candidate(chosen, "fewest_questions")


def _says(label: str, words: tuple[str, ...]) -> bool:
    lowered = label.lower()
    return any(word in lowered for word in words)
