"""Who is the candidate and who the interviewer, as the report sees it.

The enhancer decides the roles (``speaker_roles.resolve`` on the meeting's participants,
its speaker edits and the turns' questions) and writes them into every turn it records:
``label`` (the transcript's label), ``speaker`` (the name shown), ``role``,
``role_basis`` and ``role_confidence``. :func:`roles_of` reads them back. Turns without
them (an enhancement recorded before roles existed, or turns built by hand) get the same
inference here, on their ``speaker`` labels alone (:func:`infer_roles`).

Must not: decide roles differently from ``speaker_roles.resolve``; it only feeds it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from interview_analytics.domain.languages import Language
from interview_analytics.domain.report.metrics import find_questions
from interview_analytics.domain.report.model import Turn, read_turns
from interview_analytics.domain.speaker_roles import (
    BASES,
    CANDIDATE_WORDS,
    ROLES,
    UNKNOWN,
    Figures,
    Participant,
    Roles,
    Speaker,
    SpeakerEdit,
    resolve,
)


@dataclass(frozen=True)
class Candidate:
    speaker: str | None
    """The candidate's name as the turns show it; None when nobody is."""
    basis: str
    confidence: float
    known: bool
    """False: one voice, or roles guessed with too little confidence."""

    def as_json(self) -> dict[str, Any]:
        return {"speaker": self.speaker, "basis": self.basis, "confidence": self.confidence}

    @property
    def says_it(self) -> bool:
        """The candidate's name already says "candidate" (no need to point at it)."""
        lowered = (self.speaker or "").lower()
        return any(word in lowered for word in CANDIDATE_WORDS)


def candidate_of(roles: Roles) -> Candidate:
    chosen = roles.candidate
    if chosen is None:
        return Candidate(None, UNKNOWN, 0.0, False)
    return Candidate(chosen.name, roles.basis, roles.confidence, roles.known)


def infer_roles(
    turns: Sequence[Turn],
    language: Language,
    participants: Sequence[Participant] = (),
    edits: Mapping[str, SpeakerEdit] | None = None,
) -> Roles:
    """Roles of the turns' speakers (labels), from participants, edits and questions."""
    questions = find_questions(turns, language)
    figures = []
    for label in sorted({turn.speaker for turn in turns}):
        own = [turn for turn in turns if turn.speaker == label]
        figures.append(
            Figures(
                label=label,
                first_sec=min(turn.start_sec for turn in own),
                talk_sec=sum(turn.duration_sec for turn in own),
                questions=sum(1 for q in questions if q.speaker == label),
            )
        )
    return resolve(figures, participants, edits)


def roles_for_turns(
    turns: Sequence[Mapping[str, Any]],
    language: Language,
    participants: Sequence[Participant] = (),
    edits: Mapping[str, SpeakerEdit] | None = None,
) -> Roles:
    """:func:`infer_roles` on turns in their JSON form (what the enhancer has)."""
    return infer_roles(read_turns(turns), language, participants, edits)


def roles_of(
    turns: Sequence[Mapping[str, Any]], ordered: Sequence[Turn], language: Language
) -> Roles:
    """The roles written into the turns, or inferred when the turns carry none."""
    if not turns or not all(isinstance(t, Mapping) and "role_basis" in t for t in turns):
        return infer_roles(ordered, language)
    speakers: dict[str, Speaker] = {}
    for turn in turns:
        name = str(turn["speaker"]).strip() or "unknown"
        role = turn.get("role") if turn.get("role") in ROLES else None
        basis = turn["role_basis"] if turn["role_basis"] in BASES else UNKNOWN
        confidence = turn.get("role_confidence")
        speakers[name] = Speaker(
            label=str(turn.get("label") or name),
            name=name,
            role=role,
            basis=basis,
            confidence=float(confidence) if isinstance(confidence, int | float) else 0.0,
        )
    return Roles(
        tuple(speakers[name] for name in sorted(speakers, key=lambda n: speakers[n].label))
    )
