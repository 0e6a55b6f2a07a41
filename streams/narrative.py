"""Optional LLM enrichment: a narrative summary from an OpenAI-compatible endpoint.

Off unless ``LLM_BASE_URL`` is set. The deterministic report is always built first and is
what the system relies on; the narrative is added beside it (``report["narrative"]``) for
final reports only, and a failing endpoint only adds ``report["narrative_error"]``. The
model sees the report's facts and the enhanced transcript (PII already masked), never
the raw one.

Must not: replace any part of the deterministic report, or fail the report stage.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import httpx

from interview_analytics.domain.report import SCHEMA_VERSION

MAX_TRANSCRIPT_CHARS = 12_000


@dataclass(frozen=True)
class NarratorSettings:
    base_url: str
    api_key: str
    model: str
    timeout_sec: float = 30.0


class NarrativeError(RuntimeError):
    pass


class OpenAINarrator:
    """Calls ``POST {base_url}/chat/completions`` (OpenAI, vLLM, Ollama, LM Studio, …)."""

    def __init__(self, settings: NarratorSettings) -> None:
        self.settings = settings

    async def narrate(self, report: dict[str, Any], enhanced_text: str, language: str) -> str:
        facts = {k: report[k] for k in ("summary", "bullets", "risk_flags", "recommendation")}
        instruction = (
            "You write a short narrative summary (4-6 sentences) of a job interview for a "
            "hiring manager, in the interview's language ({language}). Use only the facts "
            "and transcript given; do not invent. Do not repeat personal data."
        ).format(language="Russian" if language.startswith("ru") else "English")
        body = {
            "model": self.settings.model,
            "temperature": 0,
            "messages": [
                {"role": "system", "content": instruction},
                {
                    "role": "user",
                    "content": json.dumps(
                        {"report": facts, "transcript": enhanced_text[:MAX_TRANSCRIPT_CHARS]},
                        ensure_ascii=False,
                    ),
                },
            ],
        }
        headers = (
            {"Authorization": f"Bearer {self.settings.api_key}"} if self.settings.api_key else {}
        )
        url = self.settings.base_url.rstrip("/") + "/chat/completions"
        try:
            async with httpx.AsyncClient(timeout=self.settings.timeout_sec) as client:
                response = await client.post(url, json=body, headers=headers)
                response.raise_for_status()
                text = response.json()["choices"][0]["message"]["content"]
        except (httpx.HTTPError, KeyError, IndexError, TypeError, ValueError) as error:
            raise NarrativeError(f"{type(error).__name__}: {error}") from error
        if not isinstance(text, str) or not text.strip():
            raise NarrativeError("the endpoint returned no text")
        return text.strip()


async def enrich(
    narrator: OpenAINarrator, report: dict[str, Any], enhanced_text: str, language: str
) -> dict[str, Any]:
    """The report with ``narrative`` (or ``narrative_error``) added; never raises."""
    try:
        text = await narrator.narrate(report, enhanced_text, language)
    except NarrativeError as error:
        return {**report, "narrative_error": str(error)[:500]}
    return {
        **report,
        "narrative": {
            "text": text,
            "model": narrator.settings.model,
            "schema_version": SCHEMA_VERSION,
        },
    }
