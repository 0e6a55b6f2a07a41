"""Who is who in a meeting: each speaker label's name and interview role.

A label is what the transcript's segments say (``S1``, a speaker hint, ``channel:0``). Its
role (``interviewer``, ``candidate``, ``observer``) and the name shown for it come, the most
trusted first, from:

1. ``edited``: someone said so after the fact (``Meeting.SpeakersEdited``); confidence 1;
2. ``participants``: the start's ``context.participants``, each an object with a ``role``
   and a ``name``, matched to a label by its ``label`` (or ``speaker``), its ``channel``
   (label ``channel:<n>``) or its ``name``; roles such as "recruiter" or "кандидат" count
   as the role their language's labels say; confidence 1;
3. ``inferred``: a label that says it ("Candidate Ann", "Интервьюер") with confidence 0.9;
   else, with two or more speakers, the interviewer is who asks the most questions (a tie
   goes to who talks first) and the candidate, among the others, who asks the fewest,
   then who talks the most.
   Confidence: 0.35, plus up to 0.55 for how clearly the questions point to one speaker
   (weighed by how many there are, full from three), plus 0.1 when the interviewer also
   spoke first. When one role is declared and one other speaker is left, that speaker gets
   the other role (confidence 0.9);
4. ``unknown``: one speaker, or nobody: nobody is the candidate.

Below :data:`CONFIDENT` the roles are a guess the report must say is one.

Must not: do I/O, or leave a tie to chance (the label order decides it).
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from interview_analytics.domain.enhance.pipeline import EnhancedTranscript, readable_text
from interview_analytics.domain.languages import ALL

INTERVIEWER, CANDIDATE, OBSERVER = "interviewer", "candidate", "observer"
ROLES = (INTERVIEWER, CANDIDATE, OBSERVER)

EDITED, PARTICIPANTS, INFERRED, UNKNOWN = "edited", "participants", "inferred", "unknown"
BASES = (EDITED, PARTICIPANTS, INFERRED, UNKNOWN)

CONFIDENT = 0.5
"""Roles inferred with less confidence are reported as uncertain."""
LABEL_CONFIDENCE = 0.9
COMPLEMENT_CONFIDENCE = 0.9
MAX_NAME_LENGTH = 100

# Role words are what people typed or a platform gave, in any language.
CANDIDATE_WORDS = tuple(word for language in ALL for word in language.candidate_labels)
INTERVIEWER_WORDS = tuple(word for language in ALL for word in language.interviewer_labels)
_CHANNEL = re.compile(r"channel:(\d+)", re.IGNORECASE)


@dataclass(frozen=True)
class SpeakerEdit:
    """What an edit says about one label: a new name and/or role (None: unchanged)."""

    label: str
    name: str | None = None
    role: str | None = None

    def as_json(self) -> dict[str, Any]:
        return {"label": self.label, "name": self.name, "role": self.role}

    @classmethod
    def from_json(cls, value: Mapping[str, Any]) -> SpeakerEdit:
        return cls(str(value["label"]), value.get("name"), value.get("role"))


def merged_edits(
    earlier: Mapping[str, SpeakerEdit], edits: Iterable[SpeakerEdit]
) -> dict[str, SpeakerEdit]:
    """The edits so far with ``edits`` laid over them, field by field."""
    result = dict(earlier)
    for edit in edits:
        before = result.get(edit.label, SpeakerEdit(edit.label))
        result[edit.label] = SpeakerEdit(
            edit.label,
            edit.name if edit.name is not None else before.name,
            edit.role if edit.role is not None else before.role,
        )
    return dict(sorted(result.items()))


@dataclass(frozen=True)
class Participant:
    """One entry of ``context.participants``."""

    name: str | None
    role: str | None
    label: str | None
    channel: int | None

    def matches(self, label: str) -> bool:
        channel = _CHANNEL.fullmatch(label)
        if self.label is not None and self.label == label:
            return True
        if self.channel is not None and channel is not None:
            return self.channel == int(channel.group(1))
        return self.label is None and self.name is not None and self.name == label


def participants_from(context: Mapping[str, Any]) -> tuple[Participant, ...]:
    """The usable entries of ``context.participants`` (anything else there is ignored:
    the context is the client's free-form object)."""
    raw = context.get("participants")
    if not isinstance(raw, list):
        return ()
    found = []
    for entry in raw:
        if isinstance(entry, str) and entry.strip():
            found.append(Participant(entry.strip(), None, None, None))
        elif isinstance(entry, Mapping):
            channel = entry.get("channel")
            found.append(
                Participant(
                    _text(entry.get("name")),
                    role_of(entry.get("role")),
                    _text(entry.get("label")) or _text(entry.get("speaker")),
                    channel if isinstance(channel, int) and not isinstance(channel, bool) else None,
                )
            )
    return tuple(found)


def role_of(word: Any) -> str | None:
    """The role a word names ("Recruiter" → interviewer, "кандидат" → candidate), or None."""
    text = _text(word)
    if text is None:
        return None
    lowered = text.lower()
    if lowered in ROLES:
        return lowered
    if any(w in lowered for w in CANDIDATE_WORDS):
        return CANDIDATE
    if any(w in lowered for w in INTERVIEWER_WORDS):
        return INTERVIEWER
    return None


def _text(value: Any) -> str | None:
    return value.strip() or None if isinstance(value, str) else None


@dataclass(frozen=True)
class Figures:
    """What the inference looks at for one label."""

    label: str
    first_sec: float
    talk_sec: float
    questions: int


@dataclass(frozen=True)
class Speaker:
    label: str
    name: str
    """What is shown: the edited name, the participant's, else the label."""
    role: str | None
    basis: str
    confidence: float

    def as_json(self) -> dict[str, Any]:
        return {
            "label": self.label,
            "name": self.name,
            "role": self.role,
            "basis": self.basis,
            "confidence": self.confidence,
        }


@dataclass(frozen=True)
class Roles:
    speakers: tuple[Speaker, ...]
    """In label order."""

    def of(self, label: str) -> Speaker | None:
        return next((s for s in self.speakers if s.label == label), None)

    def with_role(self, role: str) -> Speaker | None:
        return next((s for s in self.speakers if s.role == role), None)

    @property
    def candidate(self) -> Speaker | None:
        return self.with_role(CANDIDATE)

    @property
    def interviewer(self) -> Speaker | None:
        return self.with_role(INTERVIEWER)

    @property
    def basis(self) -> str:
        return self.candidate.basis if self.candidate is not None else UNKNOWN

    @property
    def confidence(self) -> float:
        """How sure the candidate/interviewer split is (the least sure of the two)."""
        chosen = [s.confidence for s in (self.candidate, self.interviewer) if s is not None]
        return min(chosen) if self.candidate is not None else 0.0

    @property
    def known(self) -> bool:
        return self.candidate is not None and self.confidence >= CONFIDENT

    def as_json(self) -> dict[str, Any]:
        candidate, interviewer = self.candidate, self.interviewer
        return {
            "candidate": candidate.name if candidate is not None else None,
            "interviewer": interviewer.name if interviewer is not None else None,
            "basis": self.basis,
            "confidence": self.confidence,
            "known": self.known,
            "speakers": [speaker.as_json() for speaker in self.speakers],
        }


def resolve(
    figures: Sequence[Figures],
    participants: Sequence[Participant] = (),
    edits: Mapping[str, SpeakerEdit] | None = None,
) -> Roles:
    """Names and roles of the labels in ``figures`` (see the module docstring)."""
    edits = edits or {}
    by_label = {f.label: f for f in sorted(figures, key=lambda f: f.label)}
    names: dict[str, str] = {}
    declared: dict[str, tuple[str, str, float]] = {}  # label -> (role, basis, confidence)
    for label in by_label:
        participant = next((p for p in participants if p.matches(label)), None)
        edit = edits.get(label)
        names[label] = (
            (edit.name if edit is not None else None)
            or (participant.name if participant is not None else None)
            or label
        )
        if edit is not None and edit.role is not None:
            declared[label] = (edit.role, EDITED, 1.0)
        elif participant is not None and participant.role is not None:
            declared[label] = (participant.role, PARTICIPANTS, 1.0)
    edited_roles = {role for role, basis, _ in declared.values() if basis == EDITED}
    declared = {  # an edit outranks a participant entry that gave someone else the role
        label: entry
        for label, entry in declared.items()
        if entry[1] == EDITED or entry[0] not in edited_roles
    }
    inferred = _infer([by_label[label] for label in by_label if label not in declared], declared)
    speakers = []
    for label in by_label:
        role, basis, confidence = declared.get(label) or inferred.get(label) or (None, UNKNOWN, 0)
        speakers.append(Speaker(label, names[label], role, basis, round(float(confidence), 2)))
    return Roles(tuple(speakers))


def _infer(
    open_figures: list[Figures], declared: Mapping[str, tuple[str, str, float]]
) -> dict[str, tuple[str, str, float]]:
    """Roles for the labels nobody declared."""
    taken = {role for role, _, _ in declared.values()}
    missing = [role for role in (INTERVIEWER, CANDIDATE) if role not in taken]
    if not missing or not open_figures:
        return {}
    if declared and len(open_figures) == 1:
        return {open_figures[0].label: (missing[0], INFERRED, COMPLEMENT_CONFIDENCE)}
    result: dict[str, tuple[str, str, float]] = {}
    rest = list(open_figures)
    for role, words in ((CANDIDATE, CANDIDATE_WORDS), (INTERVIEWER, INTERVIEWER_WORDS)):
        said = [f for f in rest if role in missing and _says(f.label, words)]
        if said:
            chosen = _most_talk(said)
            result[chosen.label] = (role, INFERRED, LABEL_CONFIDENCE)
            rest.remove(chosen)
            missing.remove(role)
    if not missing:
        return result
    if missing == [CANDIDATE] and rest:
        result[_most_talk(rest).label] = (CANDIDATE, INFERRED, LABEL_CONFIDENCE)
        return result
    if missing == [INTERVIEWER] and rest:
        asker = _asker(rest)
        result[asker.label] = (INTERVIEWER, INFERRED, LABEL_CONFIDENCE)
        return result
    everyone = [*rest, *(f for f in open_figures if f.label in result)]
    if len(open_figures) + len(declared) < 2 or len(rest) < 2:
        return result  # one voice: nobody can tell who is who
    interviewer = _asker(rest)
    candidate = _answerer([f for f in rest if f is not interviewer])
    confidence = _confidence(interviewer, candidate, everyone)
    result[interviewer.label] = (INTERVIEWER, INFERRED, confidence)
    result[candidate.label] = (CANDIDATE, INFERRED, confidence)
    return result


def _asker(figures: Sequence[Figures]) -> Figures:
    return min(figures, key=lambda f: (-f.questions, f.first_sec, f.label))


def _answerer(figures: Sequence[Figures]) -> Figures:
    return min(figures, key=lambda f: (f.questions, -f.talk_sec, f.label))


def _most_talk(figures: Sequence[Figures]) -> Figures:
    return min(figures, key=lambda f: (-f.talk_sec, f.label))


def _confidence(interviewer: Figures, candidate: Figures, everyone: Sequence[Figures]) -> float:
    asked = interviewer.questions + candidate.questions
    confidence = 0.35
    if asked:
        dominance = (interviewer.questions - candidate.questions) / asked  # 0..1
        confidence += 0.55 * dominance * min(1.0, asked / 3)
    if interviewer.first_sec <= min(f.first_sec for f in everyone):
        confidence += 0.1
    return min(1.0, confidence)


def _says(label: str, words: tuple[str, ...]) -> bool:
    lowered = label.lower()
    return any(word in lowered for word in words)


def with_roles(enhanced: EnhancedTranscript, roles: Roles) -> tuple[str, list[dict[str, Any]]]:
    """The enhanced transcript's text and turns with each label's name and role: a turn's
    ``speaker`` is the name shown, ``label`` the transcript's label, and ``role``,
    ``role_basis``, ``role_confidence`` say who it is and how sure that is."""
    named = [
        dataclasses.replace(turn, speaker=_name(roles, turn.speaker)) for turn in enhanced.turns
    ]
    turns = []
    for turn in enhanced.event_segments():
        label = str(turn["speaker"])
        speaker = roles.of(label) or Speaker(label, label, None, UNKNOWN, 0.0)
        turns.append(
            {
                **turn,
                "speaker": speaker.name,
                "label": label,
                "role": speaker.role,
                "role_basis": speaker.basis,
                "role_confidence": speaker.confidence,
            }
        )
    return readable_text(named), turns


def _name(roles: Roles, label: str) -> str:
    speaker = roles.of(label)
    return speaker.name if speaker is not None else label


@dataclass(frozen=True)
class SegmentSpeaker:
    """Who speaks in one transcript segment, as its enhanced turn says."""

    name: str | None
    """The name shown; None when the segment had no label and nobody named its speaker."""
    role: str | None


def segment_speakers(
    segments: Iterable[Mapping[str, Any]], turns: Iterable[Mapping[str, Any]]
) -> dict[str, SegmentSpeaker]:
    """segment_id → name and role from the enhanced turn that contains the segment.

    ``turns`` are an ``Enhanced`` event's segments (``speaker`` the name shown, ``label``,
    ``role``; an enhancement recorded before roles existed has only ``speaker``, the label).
    A segment no turn contains keeps its own label and no role. An unlabelled segment sits
    in a turn of the enhancer's fallback label: it shows a name only when someone gave one,
    so it does not suddenly read "Speaker 1".
    """
    by_segment: dict[str, Mapping[str, Any]] = {}
    for turn in turns:
        for segment_id in turn.get("segment_ids") or ():
            by_segment[str(segment_id)] = turn
    found = {}
    for segment in segments:
        segment_id, label = str(segment["segment_id"]), segment.get("speaker")
        held = by_segment.get(segment_id)
        if held is None:
            found[segment_id] = SegmentSpeaker(label, None)
            continue
        name = str(held.get("speaker") or "") or None
        renamed = name is not None and name != str(held.get("label") or name)
        role = held.get("role")
        found[segment_id] = SegmentSpeaker(
            name if label is not None or renamed else None,
            role if isinstance(role, str) else None,
        )
    return found
