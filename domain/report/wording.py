"""Every sentence the report writes, in English and Russian, and how numbers are shown.

Templates are ``str.format`` strings keyed by purpose; the logic elsewhere picks a key and
passes figures, so both languages say the same thing. A meeting in any other language gets
English wording. Russian text avoids gendered verb forms (the speaker's gender is unknown).

Must not: compute figures; it only words what it is given.
"""

from __future__ import annotations

from typing import Any

TEXTS: dict[str, dict[str, str]] = {
    "en": {
        "no_speech": "No speech was recorded in this meeting ({audio} of audio).",
        "overview": "Interview of {duration} with {speech} of speech; speakers: {speakers}, "
        "turns: {turns}.",
        "candidate_talk": "The candidate{who} spoke {share} of the speech time "
        "({talk}, {wpm} words per minute)",
        "speaker_talk": "{speaker} spoke {share} ({talk}, {wpm} words per minute)",
        "questions_count": "Questions asked: {count} ({by}).",
        "topics": "Main topics: {topics}.",
        "draft": "Draft: the meeting is still in progress.",
        "bullet_candidate": "The candidate{who} spoke {share} of the speech time over {turns} "
        "turns; the longest answer lasted {longest}.",
        "bullet_top_speaker": "{speaker} spoke the most: {share} of the speech time over "
        "{turns} turns.",
        "bullet_questions": "{count} questions were asked ({by}).",
        "bullet_topics": "Main topics: {topics}.",
        "bullet_competency": "{title}: {score}/5 from {matches} cited statements by the candidate.",
        "flag_share_low": "The candidate spoke only {share} of the speech time (below {limit}).",
        "flag_share_high": "The candidate spoke {share} of the speech time (above {limit}).",
        "flag_single_speaker": "Only one speaker was detected: speaker separation may have "
        "failed, so per-speaker figures are unreliable.",
        "flag_monologue": "Long monologue: {speaker} spoke for {length} without a break "
        "(over {limit}).",
        "flag_quality": "Transcript quality is poor: {low} of {words} words were recognised "
        "with low confidence (mean word probability {mean}); quotes may be inaccurate.",
        "flag_fillers": "High filler rate for the candidate: {rate} per 100 words "
        "({count} fillers).",
        "flag_latency": "Long response latency: the candidate took {gap} to answer (over {limit}).",
        "flag_no_questions": "The candidate asked no questions.",
        "rec_no_speech": "Insufficient evidence: no speech by the candidate was recorded, so "
        "no recommendation can be made.",
        "rec_few_words": "Insufficient evidence: the candidate said only {words} words. Do not "
        "decide on this transcript alone.",
        "rec_insufficient": "Insufficient evidence: {scored} of {total} competencies have "
        "cited evidence; none for {missing}. Do not decide on this transcript alone; cover "
        "the missing competencies in a follow-up conversation.",
        "rec_strong": "Advance to the next stage: every competency has cited evidence (mean "
        "evidence score {mean}/5).",
        "rec_lean_yes": "Lean towards advancing: mean evidence score {mean}/5 over {scored} of "
        "{total} competencies; probe {weakest} further.",
        "rec_lean_no": "Lean against advancing: evidence is thin (mean evidence score "
        "{mean}/5 over {scored} of {total} competencies); probe {weakest} in a follow-up.",
        "rec_flags": "Check the risk flags ({count}) before deciding.",
        "rec_quality": "Transcript quality is poor: check the recording before relying on "
        "the quotes.",
        "rec_draft": "Draft, the meeting is still in progress. ",
        "seconds": "{value} s",
        "minutes": "{value} min",
    },
    "ru": {
        "no_speech": "Речь во встрече не записана (длительность аудио: {audio}).",
        "overview": "Интервью: {duration}, из них речь — {speech}; участников: {speakers}, "
        "реплик: {turns}.",
        "candidate_talk": "Кандидат{who}: {share} времени речи ({talk}, {wpm} слов в минуту)",
        "speaker_talk": "{speaker}: {share} ({talk}, {wpm} слов в минуту)",
        "questions_count": "Вопросов задано: {count} ({by}).",
        "topics": "Основные темы: {topics}.",
        "draft": "Это черновик: встреча ещё идёт.",
        "bullet_candidate": "Кандидат{who}: {share} времени речи, реплик: {turns}; самый "
        "длинный ответ — {longest}.",
        "bullet_top_speaker": "Больше всех говорит {speaker}: {share} времени речи, "
        "реплик: {turns}.",
        "bullet_questions": "Вопросов задано: {count} ({by}).",
        "bullet_topics": "Основные темы: {topics}.",
        "bullet_competency": "{title}: {score}/5, подтверждений в словах кандидата: {matches}.",
        "flag_share_low": "Доля речи кандидата — всего {share} (меньше {limit}).",
        "flag_share_high": "Доля речи кандидата — {share} (больше {limit}).",
        "flag_single_speaker": "Обнаружен только один говорящий: разделение по спикерам могло "
        "не сработать, показатели по участникам ненадёжны.",
        "flag_monologue": "Длинный монолог: {speaker} говорит {length} без перерыва "
        "(больше {limit}).",
        "flag_quality": "Низкое качество расшифровки: {low} из {words} слов распознаны с низкой "
        "уверенностью (средняя вероятность слова {mean}); цитаты могут быть неточными.",
        "flag_fillers": "Много слов-паразитов у кандидата: {rate} на 100 слов (всего {count}).",
        "flag_latency": "Долгая пауза перед ответом кандидата: {gap} (больше {limit}).",
        "flag_no_questions": "Кандидат не задал ни одного вопроса.",
        "rec_no_speech": "Недостаточно данных: речь кандидата не записана, рекомендацию дать "
        "нельзя.",
        "rec_few_words": "Недостаточно данных: кандидат произнёс всего {words} слов. Не "
        "принимайте решение только по этой расшифровке.",
        "rec_insufficient": "Недостаточно данных: подтверждения есть для {scored} из {total} "
        "компетенций; нет для: {missing}. Не принимайте решение только по этой расшифровке; "
        "проверьте недостающие компетенции на следующей встрече.",
        "rec_strong": "Рекомендуется следующий этап: по всем компетенциям есть подтверждения "
        "(средняя оценка {mean}/5).",
        "rec_lean_yes": "Скорее да: средняя оценка {mean}/5 по {scored} из {total} "
        "компетенций; дополнительно проверьте: {weakest}.",
        "rec_lean_no": "Скорее нет: подтверждений мало (средняя оценка {mean}/5 по {scored} "
        "из {total} компетенций); проверьте на следующей встрече: {weakest}.",
        "rec_flags": "Перед решением изучите флаги риска ({count}).",
        "rec_quality": "Низкое качество расшифровки: сверьте цитаты с записью.",
        "rec_draft": "Черновик, встреча ещё идёт. ",
        "seconds": "{value} с",
        "minutes": "{value} мин",
    },
}


def wording_language(language: str) -> str:
    """ "ru" for Russian ("ru", "ru-RU", "ru_RU"), "en" for everything else."""
    primary = language.strip().lower().replace("_", "-").split("-")[0]
    return "ru" if primary == "ru" else "en"


def say(language: str, key: str, **values: Any) -> str:
    return TEXTS[language][key].format(**values)


def number(value: float, language: str, digits: int = 1) -> str:
    text = f"{value:.{digits}f}"
    return text.replace(".", ",") if language == "ru" else text


def percent(share: float) -> str:
    return f"{round(share * 100)}%"


def duration(sec: float, language: str) -> str:
    """Under a minute in whole seconds, else minutes with one decimal."""
    if sec < 60:
        return say(language, "seconds", value=round(sec))
    return say(language, "minutes", value=number(sec / 60, language))


def listing(items: list[str]) -> str:
    return ", ".join(items)
