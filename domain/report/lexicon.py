"""Word lists the report uses for English and Russian: stopwords, fillers, question words.

Small and hand-made on purpose: they only need to keep function words out of key phrases,
count hesitation fillers and spot questions in unpunctuated speech. Words are lower case
with ``ё`` written as ``е`` (see ``text.normalise``).

Must not: hold logic (data only); the modules that use the lists do the matching.
"""

from __future__ import annotations


def _words(text: str) -> frozenset[str]:
    return frozenset(_words_in_order(text))


def _words_in_order(text: str) -> list[str]:
    return text.split()


STOPWORDS_EN = _words(
    """
    a about above after again against all also am an and any are as at be because been before
    being below between both but by can could did do does doing done down during each even few
    for from further get gets got had has have having he her here hers him his how i if in into
    is it its itself just know let like lot lots make me more most much my no nor not now of off
    on once one only or other our ours out over own really right said same say see she should
    so some something such than that the their them then there these they thing things think
    this those through to too two under until up us very was way we well were what when where
    which while who whom why will with would yeah yes you your yours okay ok sure going want
    maybe kind sort actually basically mean good great thank thanks tell use used using also
    i'm it's don't that's we're i've you're can't didn't doesn't isn't there's let's i'd i'll
    what's they're we've wasn't won't would've could've um umm uh uhh uhm erm er hmm
    led lead work worked working went come came take took made find found need needed try
    tried start started join joined joining give gave look looked keep kept told feel felt
    """
)

STOPWORDS_RU = _words(
    """
    и в во не что он на я с со как а то все она так его но да ты к у же вы за бы по только ее
    мне было вот от меня еще нет о из ему теперь когда даже ну вдруг ли если уже или ни быть был
    него до вас нибудь опять уж вам ведь там потом себя ничего ей может они тут где есть надо ней
    для мы тебя их чем была сам чтоб без будто чего раз тоже себе под будет ж тогда кто этот
    того потому этого какой совсем ним здесь этом один почти мой тем чтобы нее сейчас были куда
    зачем всех никогда можно при наконец два об другой хоть после над больше тот через эти нас
    про всего них какая много разве три эту моя впрочем хорошо свою этой перед иногда лучше чуть
    том нельзя такой им более всегда конечно всю между это эта очень просто типа короче вообще
    общем наверное который которые которая которых которой также свой своей своих нам нами вами
    ага спасибо давайте ладно скажите расскажите какие каких какое каким какую сколько почему
    тоже себя мне меня нас был была было были будет будут есть этим этими этих тех такие такая
    такое так же вот вроде как бы э ээ эээ эм мм ммм
    работал работала работали работаю работает делал делала делали сделал сделала сделали
    будем хочу хотел хотела могу можем нужно знаю думаю говорю сказал сказала
    """
)

STOPWORDS = STOPWORDS_EN | STOPWORDS_RU

FILLER_TOKENS = frozenset({"um", "umm", "uh", "uhh", "uhm", "erm", "er", "hmm", "ну", "типа"})
"""Single words that are fillers wherever they stand (``э``, ``ээ``, ``эм``, ``ммм`` match a
pattern in ``text``; ``короче`` is listed with the phrases, where "короче говоря" counts once)."""

FILLER_PHRASES: tuple[tuple[str, ...], ...] = (
    ("в", "общем"),
    ("так", "сказать"),
    ("это", "самое"),
    ("короче", "говоря"),
    ("короче",),
)
"""Multi-word fillers counted wherever they stand, longest first."""

PUNCTUATED_FILLERS: tuple[tuple[str, ...], ...] = (("you", "know"), ("like",))
"""Fillers only when a comma or the end of a sentence follows them ("it was, like, hard";
"we shipped it, you know."), so "I like Go" and "do you know Kafka" do not count."""

NOT_FILLER_BEFORE_YOU_KNOW = frozenset({"do", "did", "does", "don't", "didn't", "if", "what"})

KAK_BY_PRONOUNS = frozenset({"я", "ты", "вы", "мы", "он", "она", "они", "оно"})
""""как бы" is a filler, but not in "как бы вы поступили" (a real question)."""

QUESTION_STARTS: frozenset[tuple[str, ...]] = frozenset(
    {(word,) for word in _words("what why how when where who whom whose which")}
    | {
        tuple(_words_in_order(pair))
        for pair in (
            "can you",
            "could you",
            "would you",
            "will you",
            "do you",
            "did you",
            "have you",
            "are you",
            "were you",
            "is there",
            "tell me",
            "walk me",
        )
    }
    | {
        (word,)
        for word in _words(
            "что почему зачем как когда где куда откуда кто какой какая какое какие каким какую "
            "каких сколько чем чего расскажите скажите можете могли опишите объясните"
        )
    }
)
"""First word(s) that make an unpunctuated sentence a question."""

CANDIDATE_LABELS = ("candidate", "кандидат", "applicant", "соискатель")
INTERVIEWER_LABELS = ("interviewer", "интервьюер", "recruiter", "рекрутер", "hiring manager")
