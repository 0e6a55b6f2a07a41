"""Key phrases and topics: what the meeting was about, by word frequency.

Content words are tokens of three or more characters that are not numbers or stopwords
(fillers among them) of the meeting's language or of English. Bigrams are two adjacent
content words in one sentence; one said at least twice outranks single words (it scores
twice its count), and words it contains only count what is left of them outside the chosen
bigrams. Ties go to the phrase said first. Words are
compared in normal form and shown as first spelled (lower case). Topics group the
key phrases said at least twice that share a word (compared on its first five letters, so
"кафка" and "кафку", "sourcing" and "source" meet); a topic is named after its
highest-ranked phrase. A word said once can be a key phrase of a short meeting, never a topic.

Must not: make a topic of a phrase said once.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from interview_analytics.domain.languages import FALLBACK, Language, normalise
from interview_analytics.domain.report.model import Turn
from interview_analytics.domain.report.text import sentences, tokens

MIN_TERM_CHARS = 3
MAX_KEY_PHRASES = 10
MAX_TOPICS = 5
MIN_BIGRAM_COUNT = 2
MIN_TOPIC_COUNT = 2
STEM_CHARS = 5


@dataclass(frozen=True)
class KeyPhrase:
    phrase: str
    count: int

    def as_json(self) -> dict[str, Any]:
        return {"phrase": self.phrase, "count": self.count}


@dataclass(frozen=True)
class Topic:
    label: str
    phrases: tuple[KeyPhrase, ...]

    def as_json(self) -> dict[str, Any]:
        return {
            "label": self.label,
            "phrases": [phrase.phrase for phrase in self.phrases],
            "count": sum(phrase.count for phrase in self.phrases),
        }


def stopwords(language: Language) -> frozenset[str]:
    """The meeting language's stopwords and English ones (English terms fill every
    technical interview)."""
    return language.stopwords | FALLBACK.stopwords


def is_content_word(word: str, stop: frozenset[str]) -> bool:
    return (
        len(word) >= MIN_TERM_CHARS
        and word not in stop
        and not word.replace("-", "").replace("'", "").isdigit()
    )


def key_phrases(turns: Sequence[Turn], language: Language) -> list[KeyPhrase]:
    stop = stopwords(language)
    counts: dict[str, int] = {}
    first_seen: dict[str, int] = {}
    bigrams: dict[str, int] = {}

    def see(term: str, table: dict[str, int]) -> None:
        table[term] = table.get(term, 0) + 1
        first_seen.setdefault(term, len(first_seen))

    surface: dict[str, str] = {}

    for turn in turns:
        for _, sentence in sentences(turn.text):
            toks = tokens(sentence)
            words = [t.norm if is_content_word(t.norm, stop) else "" for t in toks]
            spelled = [sentence[t.start : t.end].lower() for t in toks]
            for word, shown in zip(words, spelled, strict=True):
                if word:
                    see(word, counts)
                    surface.setdefault(word, shown)
            for i, (left, right) in enumerate(itertools.pairwise(words)):
                if left and right and left != right:
                    see(f"{left} {right}", bigrams)
                    surface.setdefault(f"{left} {right}", f"{spelled[i]} {spelled[i + 1]}")

    chosen = sorted(
        (b for b, n in bigrams.items() if n >= MIN_BIGRAM_COUNT),
        key=lambda b: (-bigrams[b], first_seen[b]),
    )[:MAX_KEY_PHRASES]
    residual = dict(counts)
    for bigram in chosen:
        for word in bigram.split():
            residual[word] -= bigrams[bigram]
    ranked = [(2 * bigrams[b], b, bigrams[b]) for b in chosen]
    ranked += [(left, word, counts[word]) for word, left in residual.items() if left > 0]
    ranked.sort(key=lambda item: (-item[0], first_seen[item[1]], item[1]))
    return [KeyPhrase(surface[phrase], count) for _, phrase, count in ranked[:MAX_KEY_PHRASES]]


def topics(phrases: Sequence[KeyPhrase]) -> list[Topic]:
    groups: list[tuple[set[str], list[KeyPhrase]]] = []
    for phrase in phrases:
        if phrase.count < MIN_TOPIC_COUNT:
            continue
        stems = {normalise(word)[:STEM_CHARS] for word in phrase.phrase.split()}
        for group_stems, members in groups:
            if stems & group_stems:
                group_stems |= stems
                members.append(phrase)
                break
        else:
            groups.append((stems, [phrase]))
    return [Topic(members[0].phrase, tuple(members)) for _, members in groups[:MAX_TOPICS]]
