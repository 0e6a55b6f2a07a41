"""Enhancement: speaker turns, filler removal, tidying and PII masking of a transcript.

Pure functions over :class:`~interview_analytics.domain.transcript.Segment` dicts, in the
meeting's language: the words of each (fillers, question openers, the words around personal
data) are its module in ``languages/``. ``enhance`` in ``pipeline`` is the entry point;
``numbers`` reads numbers said as words for ``pii``.

Must not: do I/O, or import anything but the standard library and the domain (like the
rest of ``domain/``).
"""

from __future__ import annotations

from interview_analytics.domain.enhance.fillers import remove_fillers
from interview_analytics.domain.enhance.pii import Masked, mask_pii
from interview_analytics.domain.enhance.pipeline import EnhancedTranscript, Turn, enhance
from interview_analytics.domain.enhance.tidy import paragraphs, tidy

__all__ = [
    "EnhancedTranscript",
    "Masked",
    "Turn",
    "enhance",
    "mask_pii",
    "paragraphs",
    "remove_fillers",
    "tidy",
]
