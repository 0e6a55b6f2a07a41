"""The interview analytics report: pure, deterministic, in Russian or English.

``build_report(turns, segments, language=..., audio_sec=..., rubric=..., final=...)`` turns
the enhancer's speaker turns and the recogniser's segments into a JSON-ready dict: the
contract's ``summary``, ``bullets``, ``risk_flags`` and ``recommendation``, the quotes behind
each bullet and flag, conversation analytics and rubric scores. The rubric arrives as data
(``Rubric.from_dict`` on ``ops/config/rubric.json``).

| module | what |
| --- | --- |
| ``build`` | ``build_report``: assembles the dict |
| ``model`` | turn input (``TurnDict``), checked ``Turn``, evidence ``Quote`` |
| ``metrics`` | talk time, pace, monologues, pauses, questions, fillers, transcript quality |
| ``phrases`` | key phrases and topics |
| ``roles`` | which speaker is the candidate |
| ``rubric`` | ``Rubric``, ``Competency``, scoring from cited indicator matches |
| ``findings`` | key points and risk flags with their evidence |
| ``summary`` | summary paragraph and recommendation |
| ``wording``, ``text`` | sentences in the meeting's language, tokens, questions, fillers |

The words of each language — stopwords, fillers, question openers, candidate labels and
every sentence — are its module in ``languages/``.

Must not: do I/O, read a clock or draw random numbers.
"""

from __future__ import annotations

from interview_analytics.domain.report.build import SCHEMA_VERSION, build_report
from interview_analytics.domain.report.model import Quote, TurnDict
from interview_analytics.domain.report.rubric import Competency, Rubric

__all__ = ["SCHEMA_VERSION", "Competency", "Quote", "Rubric", "TurnDict", "build_report"]
