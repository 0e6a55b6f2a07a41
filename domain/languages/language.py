"""What one language brings to the text pipeline: the shape every language module fills in.

A language module (``en.py``, ``ru.py``) builds one frozen :class:`Language`: the fillers the
enhancer removes and those the report counts, how a question is recognised, the words that
name or dictate personal data, and every sentence the report writes. The stages hold the
matching logic and read only these tables, so a language is added by adding its module.

All words are lower case with "ё" written as "е" (see :func:`normalise`); the stages
compare words in that form.

Must not: hold matching logic beyond reading its own tables (``Questions`` says whether
words open a question; the stages do the rest), or import a stage.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import Enum


def normalise(word: str) -> str:
    """Lower case, "ё" as "е", typographic apostrophes as ASCII ones."""
    return word.lower().replace("\u0451", "\u0435").replace("\u2019", "'")


def words(text: str) -> frozenset[str]:
    """``"a b c"`` → ``frozenset({"a", "b", "c"})``: word lists written as prose."""
    return frozenset(normalise(word) for word in text.split())


def phrases(*written: str) -> frozenset[tuple[str, ...]]:
    """``phrases("can you", "what")`` → ``{("can", "you"), ("what",)}``."""
    return frozenset(tuple(normalise(word) for word in phrase.split()) for phrase in written)


class FillerMode(Enum):
    OPENER = "opener"
    """Removed at the start of a sentence, or when set off by commas."""
    PARENTHETICAL = "parenthetical"
    """Removed only when set off on both sides by a comma, a pause or a sentence boundary."""


@dataclass(frozen=True)
class Fillers:
    """What the enhancer removes from a turn (see ``enhance/fillers.py``)."""

    hesitation: str
    """A regular expression a whole word matches when it is a hesitation ("э-э", "um")."""
    phrases: Mapping[str, FillerMode]
    """Filler words and phrases and where they may go."""


@dataclass(frozen=True)
class FillerCount:
    """How the report counts fillers in raw speech, which is often unpunctuated.

    Phrases are tuples of words, longest first within each kind. ``not_after`` and
    ``not_before`` name, per phrase, the neighbouring words that make it a real word
    ("какого типа", "как бы вы"); an entry starting with ``*`` matches a word's ending.
    """

    hesitation: str
    """A regular expression a whole word matches when it is a hesitation."""
    anywhere: tuple[tuple[str, ...], ...] = ()
    before_pause: tuple[tuple[str, ...], ...] = ()
    """Fillers only when a comma or the end of a sentence follows ("it was, like, hard")."""
    set_off: tuple[tuple[str, ...], ...] = ()
    """Fillers only with a pause or a sentence boundary on both sides ("Значит, так")."""
    not_after: Mapping[tuple[str, ...], frozenset[str]] = field(default_factory=dict)
    not_before: Mapping[tuple[str, ...], frozenset[str]] = field(default_factory=dict)


@dataclass(frozen=True)
class Questions:
    """How a sentence is recognised as a question when no question mark says so.

    ``tidy`` ends an unpunctuated turn with "?" when its last sentence is one; the report
    lists a sentence as a question when it ends with "?", or is unpunctuated and is one, or
    opens with a request ("Расскажите о себе."), which is how interviewers ask.
    """

    openers: frozenset[tuple[str, ...]]
    """First word(s) of a question: ("почему",), ("могли", "бы")."""
    lead_ins: frozenset[str] = frozenset()
    """Skipped before the opener: conjunctions ("а что потом", "and why")."""
    prepositions: frozenset[str] = frozenset()
    """One may stand before the opener ("на каком языке")."""
    particles: frozenset[str] = frozenset()
    """A question particle ("ли") as the second or third word of the first clause."""
    not_particle_after: frozenset[str] = frozenset()
    """Words that make the particle part of a set phrase ("вряд ли", "едва ли")."""
    requests: frozenset[str] = frozenset()
    """Imperatives that ask ("расскажите", "опишите"), first in a clause."""
    report_openers: frozenset[tuple[str, ...]] = frozenset()
    """When given, the report's own (narrower) list for unpunctuated sentences, matched on
    the first one or two words without lead-ins; empty: the report asks as ``tidy`` does."""

    def asks(self, clauses: Sequence[Sequence[str]]) -> bool:
        """Whether a sentence, as its clauses' normalised words, opens like a question: an
        opener first (after one lead-in, and perhaps one preposition), or a particle second
        or third in the first clause."""
        words = [word for clause in clauses for word in clause][:4]
        if words and words[0] in self.lead_ins:
            words = words[1:]
        starts = [words]
        if len(words) > 1 and words[0] in self.prepositions:
            starts.append(words[1:])
        if any(tuple(start[:n]) in self.openers for start in starts if start for n in (1, 2)):
            return True
        first = list(clauses[0]) if clauses else []
        if first and first[0] in self.lead_ins:
            first = first[1:]
        return any(
            index < len(first)
            and first[index] in self.particles
            and first[index - 1] not in self.not_particle_after
            for index in (1, 2)
        )

    def requested(self, clauses: Sequence[Sequence[str]]) -> bool:
        """Whether a request ("расскажите") is among the first three words of the first or
        second clause: "Здравствуйте, расскажите о проекте"."""
        return any(word in self.requests for clause in clauses[:2] for word in clause[:3])

    def report_asks(self, words: Sequence[str]) -> bool:
        """The report's own test of an unpunctuated sentence, where ``report_openers`` is
        given: its first one or two words are one."""
        return any(tuple(words[:n]) in self.report_openers for n in (1, 2))


@dataclass(frozen=True)
class PiiWords:
    """Words around personal data: what names a number, how numbers and addresses are
    dictated, and how a date of birth is said (see ``enhance/pii.py``)."""

    keywords: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    """Kind ("phone", "inn", ...) → words that name it; a key of five letters or more also
    matches as the start of a word ("паспорта", "телефону")."""
    passport: tuple[str, ...] = ()
    """Words for a passport that may open "паспорт 45 06 номер 123456" (matched as stems)."""
    series: tuple[str, ...] = ()
    """Words for a passport's series ("серия", "серии")."""
    number_signs: tuple[str, ...] = ()
    """Words or signs before a passport's number ("номер", "№")."""
    numbers: Mapping[str, int] = field(default_factory=dict)
    """Cardinal numbers said as words: "восемь" 8, "девятьсот" 900 (0-19, tens, hundreds)."""
    plus: frozenset[str] = frozenset()
    """The word for "+" before a dictated phone number."""
    email_at: frozenset[str] = frozenset()
    """Dictated "@" ("собака")."""
    email_dot: frozenset[str] = frozenset()
    """Dictated "." in an address ("точка")."""
    email_joins: frozenset[str] = frozenset()
    """Dictated "-" or "_" inside an address ("тире", "подчеркивание")."""
    birth: tuple[str, ...] = ()
    """Words that say a date is a birth date ("родилась", "рождения"); same matching as
    ``keywords``."""
    months: tuple[str, ...] = ()
    """Month names as stems (a word starting with one is a month), or whole words."""
    whole_months: frozenset[str] = frozenset()
    """Month names that only match whole ("май", "may")."""
    ordinals: str = ""
    """A regular expression a whole word matches when it is an ordinal ("пятого", "5th")."""
    date_words: frozenset[str] = frozenset()
    """Other words a spoken date is made of ("года", "тысяча", "of")."""


@dataclass(frozen=True, eq=False)
class Language:
    """One language; compared by identity (each module builds one)."""

    code: str
    """The primary language tag: "en", "ru"."""
    fillers: Fillers
    filler_count: FillerCount
    questions: Questions
    pii: PiiWords
    texts: Mapping[str, str]
    """Every sentence the report writes, as ``str.format`` templates keyed by purpose; every
    language has the same keys and placeholders."""
    decimal_comma: bool = False
    always_capitalised: frozenset[str] = frozenset()
    """Words written with a capital wherever they stand (English "I", "I'm")."""
    abbreviations: frozenset[str] = frozenset()
    """Words a dot may follow without ending the sentence ("т", "etc")."""
    stopwords: frozenset[str] = frozenset()
    """Function words and fillers left out of key phrases."""
    candidate_labels: tuple[str, ...] = ()
    """Speaker labels that say who the candidate is ("кандидат")."""
    interviewer_labels: tuple[str, ...] = ()
    negations: frozenset[str] = frozenset()
    """A rubric indicator right after one of these is not evidence ("не отвечал за")."""
