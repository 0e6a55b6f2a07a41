"""Transcription stage: ``ChunkReceived`` → draft ``Transcribed``; ``Finished`` → final.

Live drafts: each chunk is decoded together with up to ``draft_context_sec`` of the
chunks just before it (rolling context, so words at the chunk's start are heard in
context), and only the words that fall in the new chunk are kept. Drafts use the state of
the stream as of the chunk's own version, so a redelivered chunk is decoded the same way.

Final pass: when the meeting finishes, the whole recording (all chunks in seq order) is
transcribed in one call, which is what makes a chunked meeting as accurate as a file
transcribed in one go; its result replaces every draft. A ``postmeeting`` meeting, or a
chunk that is only processed after its meeting finished, gets no draft: the final pass
covers it.

Language: a meeting started with ``auto`` is decoded without a language until the first
recognition with speech (a draft, or the final pass when no draft ran); the language the
model detected there is recorded (``RecordLanguage`` → ``Meeting.LanguageDetected``, before
that transcription) and is the meeting's language from then on. A recognition without
speech records nothing, so a silent start does not pin the wrong language.

Speakers, the most trusted source first: the chunk's ``speaker_hint`` (a client's, or the
connector's platform identity); for stereo chunks without a hint, the louder channel of
each word (named after ``context.participants`` in order, else "S1"/"S2"); for a mono
recording with neither, acoustic diarization of the whole recording on the final pass
(``streams/diarization/``; drafts stay unattributed), its turns applied word by word
(``split_by_turns`` in ``domain/speakers.py``). The final ``Transcribed`` records which
of these produced the labels, a confidence and the speaker count.

Consent (``domain/consent.py``): a meeting whose consent is denied gets no transcription at
all. A chunk stored held (``unknown`` consent under ``CONSENT_UNKNOWN_POLICY=hold``) gets no
draft, and a finished meeting with held chunks no final pass, until a ``ConsentChanged`` to
``granted``: handling that event, the chunks it released get their drafts (live meetings)
and a finished meeting its final pass, each recorded against its own input event as usual.

Must not: run the recogniser on the event loop (``SpeechRecognizer.transcribe_async`` uses
its own threads) or record a result without its input version.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from interview_analytics.domain.audio import BlobStore
from interview_analytics.domain.commands import RecordLanguage, RecordTranscript, RejectChunk
from interview_analytics.domain.consent import GRANTED
from interview_analytics.domain.lifecycle import AUTO_LANGUAGE
from interview_analytics.domain.meeting import Meeting
from interview_analytics.domain.results import TRANSCRIBE, ChunkRecord
from interview_analytics.domain.speakers import (
    CHANNEL,
    HINT,
    NO_ATTRIBUTION,
    Attribution,
    participant_names,
    split_by_turns,
)
from interview_analytics.domain.timeline import Timeline, chunk_spans, place_segments
from interview_analytics.domain.transcript import Segment
from interview_analytics.streams.audio import (
    SAMPLE_RATE,
    AudioDecodeError,
    DecodedAudio,
    concatenate,
    decode,
)
from interview_analytics.streams.contract.codec import Envelope
from interview_analytics.streams.contract.events import CHUNK_RECEIVED, CONSENT_CHANGED, FINISHED
from interview_analytics.streams.diarization.result import Diarizer
from interview_analytics.streams.pipeline import (
    DUPLICATE,
    RECORDED,
    REJECTED_OUTCOME,
    SKIPPED,
    MeetingsGateway,
    StageResult,
    stage_meta,
)
from interview_analytics.streams.speech import Recognition, SpeechRecognizer

DECODED_CHUNK_CACHE = 32
"""Decoded chunks kept for draft context (2 s of 16 kHz float32 is 128 KB)."""


@dataclass(frozen=True)
class TranscriberSettings:
    draft_context_sec: float = 8.0
    drafts_enabled: bool = True


class Transcriber:
    name = TRANSCRIBE
    handles = frozenset({CHUNK_RECEIVED, FINISHED, CONSENT_CHANGED})

    def __init__(
        self,
        *,
        gateway: MeetingsGateway,
        blobs: BlobStore,
        recognizer: SpeechRecognizer,
        settings: TranscriberSettings = TranscriberSettings(),
        on_recognition: Callable[[float, float], None] | None = None,
        diarizer: Diarizer | None = None,
    ) -> None:
        self.gateway = gateway
        self.blobs = blobs
        self.recognizer = recognizer
        self.settings = settings
        self.on_recognition = on_recognition
        self.diarizer = diarizer
        """Tells mono speakers apart on the final pass; None = leave them unattributed."""
        self._decoded: dict[str, DecodedAudio] = {}
        """Called with (audio seconds, processing seconds) after every decode (metrics)."""

    async def handle(self, envelope: Envelope) -> StageResult:
        meeting = await self.gateway.call(self.gateway.meetings.get, envelope.meeting_id)
        if (self.name, envelope.version) in meeting.results.done:
            return StageResult(DUPLICATE)
        if meeting.processing_refused:
            return StageResult(SKIPPED)  # consent denied: nothing of it is transcribed
        if envelope.event_type == CONSENT_CHANGED:
            return await self._release(meeting, envelope)
        if envelope.event_type == FINISHED:
            if meeting.audio_on_hold:
                return StageResult(SKIPPED)  # the final pass waits for consent (_release)
            return await self._final(meeting, envelope)
        if int(envelope.fields["seq"]) in meeting.audio_on_hold:
            return StageResult(SKIPPED)  # held until consent is granted (_release)
        return await self._draft(meeting, envelope)

    # ------------------------------------------------------------------ consent granted

    async def _release(self, meeting: Meeting, envelope: Envelope) -> StageResult:
        """Consent granted: every chunk stored before it without a transcription gets its
        draft, and a finished meeting without its final transcript gets the final pass."""
        if envelope.fields["consent"] != GRANTED or meeting.audio_on_hold:
            return StageResult(SKIPPED)
        done, rejected = meeting.results.done, meeting.results.rejections
        outcomes: list[str] = []
        waiting = [
            chunk
            for chunk in sorted(meeting.chunks.values(), key=lambda c: c.seq)
            if chunk.version < envelope.version
            and (self.name, chunk.version) not in done
            and chunk.seq not in rejected
        ]
        for chunk in waiting:
            chunk_input = _input_of(envelope, CHUNK_RECEIVED, chunk.version, seq=chunk.seq)
            outcomes.append((await self._draft(meeting, chunk_input)).outcome)
        finished = meeting.finished_version
        if finished is not None and (self.name, finished) not in done:
            final_input = _input_of(envelope, FINISHED, finished)
            outcomes.append((await self._final(meeting, final_input)).outcome)
        return StageResult(RECORDED if RECORDED in outcomes else SKIPPED)

    # ------------------------------------------------------------------ drafts

    async def _draft(self, meeting: Meeting, envelope: Envelope) -> StageResult:
        version = envelope.version
        chunk = meeting.chunks[int(envelope.fields["seq"])]
        if not self.settings.drafts_enabled or meeting.mode == "postmeeting" or meeting.is_finished:
            return StageResult(SKIPPED)
        try:
            target = await self._decode(chunk)
        except AudioDecodeError as error:
            rejection = RejectChunk(
                meeting_id=envelope.meeting_id,
                input_version=version,
                code=error.code,
                reason=error.message,
            )
            recorded = await self.gateway.call(
                self.gateway.meetings.reject_chunk, rejection, stage_meta(self.name, envelope)
            )
            return StageResult(
                REJECTED_OUTCOME if recorded else DUPLICATE, (error.code, error.message)
            )

        # The stream as of this chunk's version: later chunks must not change this draft.
        known = {c.seq: c for c in meeting.chunks.values() if c.version <= version}
        context = await self._context(meeting, known, chunk.seq)
        spans = chunk_spans(
            {s: c.duration_sec for s, c in known.items()},
            {s: c.speaker_hint for s, c in known.items()},
            fill_gaps_with=chunk.duration_sec,
        )
        timeline = Timeline(spans)
        first_seq = context[0][0] if context else chunk.seq
        parts = [*context, (chunk.seq, target)]
        audio = concatenate([decoded for _, decoded in parts])
        recognition, language = await self._recognize(meeting, envelope, audio, final=False)
        segments = place_segments(
            recognition.segments,
            offset_sec=timeline.offset_of(first_seq),
            speaker_of=self._speaker_function(timeline, parts, meeting),
            id_prefix=f"d{version}",
            keep_from_sec=timeline.offset_of(chunk.seq),
        )
        command = RecordTranscript(
            meeting_id=envelope.meeting_id,
            input_version=version,
            seqs=[chunk.seq],
            segments=segments,
            final=False,
            model=self.recognizer.model_name,
            language=language,
            audio_sec=chunk.duration_sec,
            processing_sec=round(recognition.processing_sec, 4),
        )
        recorded = await self.gateway.call(
            self.gateway.meetings.record_transcript, command, stage_meta(self.name, envelope)
        )
        return StageResult(RECORDED if recorded else DUPLICATE)

    async def _context(
        self, meeting: Meeting, known: dict[int, ChunkRecord], seq: int
    ) -> list[tuple[int, DecodedAudio]]:
        """Decoded chunks just before ``seq`` (contiguous, known, not rejected)."""
        context: list[tuple[int, DecodedAudio]] = []
        budget = self.settings.draft_context_sec
        previous = seq - 1
        while previous in known and previous not in meeting.results.rejections and budget > 0:
            try:
                decoded = await self._decode(known[previous])
            except AudioDecodeError:
                break
            context.insert(0, (previous, decoded))
            budget -= known[previous].duration_sec
            previous -= 1
        return context

    # ------------------------------------------------------------------ final pass

    async def _final(self, meeting: Meeting, envelope: Envelope) -> StageResult:
        chunks = [meeting.chunks[s] for s in sorted(meeting.chunks)]
        parts: list[tuple[int, DecodedAudio]] = []
        for chunk in chunks:
            try:
                decoded = (
                    _silence(chunk.duration_sec)
                    if chunk.seq in meeting.results.rejections
                    else await self._decode(chunk)
                )
            except AudioDecodeError:
                decoded = _silence(chunk.duration_sec)  # keep the timeline; the draft rejected it
            parts.append((chunk.seq, decoded))
        timeline = Timeline(
            chunk_spans(
                {c.seq: c.duration_sec for c in chunks}, {c.seq: c.speaker_hint for c in chunks}
            )
        )
        segments: list[Segment] = []
        processing_sec = 0.0
        language = meeting.language
        attribution = Attribution(NO_ATTRIBUTION, None, 0)
        audio = concatenate([decoded for _, decoded in parts])
        if parts and audio.duration_sec > 0:
            recognition, language = await self._recognize(meeting, envelope, audio, final=True)
            processing_sec = recognition.processing_sec
            segments = place_segments(
                recognition.segments,
                offset_sec=0.0,
                speaker_of=self._speaker_function(timeline, parts, meeting),
                id_prefix=f"f{envelope.version}",
            )
            segments, attribution = await self._attribute(
                meeting, chunks, parts, audio, segments, f"f{envelope.version}"
            )
        command = RecordTranscript(
            meeting_id=envelope.meeting_id,
            input_version=envelope.version,
            seqs=[c.seq for c in chunks],
            segments=segments,
            final=True,
            model=self.recognizer.model_name,
            language=language,
            audio_sec=round(sum(c.duration_sec for c in chunks), 4),
            processing_sec=round(processing_sec, 4),
            **attribution.event_fields(),
        )
        recorded = await self.gateway.call(
            self.gateway.meetings.record_transcript, command, stage_meta(self.name, envelope)
        )
        return StageResult(RECORDED if recorded else DUPLICATE)

    async def _attribute(
        self,
        meeting: Meeting,
        chunks: list[ChunkRecord],
        parts: list[tuple[int, DecodedAudio]],
        audio: DecodedAudio,
        segments: list[Segment],
        id_prefix: str,
    ) -> tuple[list[Segment], Attribution]:
        """Who said each word of the final transcript, and how that was decided: hints and
        channels are already on the segments; a mono recording without hints is diarized."""
        if any(c.speaker_hint for c in chunks):
            return segments, Attribution(HINT, 1.0, _speaker_count(segments))
        if any(decoded.channel_count > 1 for _, decoded in parts):
            return segments, Attribution(CHANNEL, 1.0, _speaker_count(segments))
        if self.diarizer is None or not segments:
            return segments, Attribution(NO_ATTRIBUTION, None, _speaker_count(segments))
        expected = len(participant_names(meeting.context)) or None
        diarization = await asyncio.to_thread(self.diarizer.diarize, audio.mono, expected)
        if not diarization.turns:
            return segments, Attribution(diarization.method, 0.0, 0)
        attributed = split_by_turns(segments, diarization.turns, id_prefix=id_prefix)
        return attributed, Attribution(
            diarization.method, diarization.confidence, _speaker_count(attributed)
        )

    # ------------------------------------------------------------------ helpers

    async def _recognize(
        self, meeting: Meeting, envelope: Envelope, audio: DecodedAudio, *, final: bool
    ) -> tuple[Recognition, str]:
        """Decode ``audio`` in the meeting's language, or detect it for an ``auto`` meeting
        (recording the first detection that heard speech). The language decoded is returned."""
        auto = meeting.language == AUTO_LANGUAGE
        recognition = await self.recognizer.transcribe_async(
            audio.mono, language=None if auto else meeting.language, final=final
        )
        self._account(recognition.audio_sec, recognition.processing_sec)
        if not auto or not recognition.has_speech or recognition.language is None:
            return recognition, meeting.language
        detected = RecordLanguage(
            meeting_id=envelope.meeting_id,
            input_version=envelope.version,
            language=recognition.language,
            probability=round(recognition.language_probability, 4),
        )
        await self.gateway.call(
            self.gateway.meetings.record_language, detected, stage_meta(self.name, envelope)
        )
        return recognition, recognition.language

    async def _decode(self, chunk: ChunkRecord) -> DecodedAudio:
        """Decoded audio of a chunk; the last few are kept, since each draft decodes the
        chunks before it again as context (blob keys are content addressed)."""
        cached = self._decoded.pop(chunk.blob_key, None)
        if cached is None:
            data = await asyncio.to_thread(self.blobs.get, chunk.blob_key)
            cached = await asyncio.to_thread(
                decode, data, chunk.codec, chunk.sample_rate, chunk.channels
            )
        self._decoded[chunk.blob_key] = cached  # most recently used last
        while len(self._decoded) > DECODED_CHUNK_CACHE:
            self._decoded.pop(next(iter(self._decoded)))
        return cached

    def _speaker_function(
        self, timeline: Timeline, parts: list[tuple[int, DecodedAudio]], meeting: Meeting
    ) -> Callable[[float, float], str | None]:
        by_seq = dict(parts)
        names = participant_names(meeting.context)

        def speaker_of(start: float, end: float) -> str | None:
            middle = (start + end) / 2
            span = timeline.span_at(middle)
            if span is None:
                return None
            if span.speaker:
                return span.speaker
            decoded = by_seq.get(span.seq)
            if decoded is None or decoded.channel_count < 2:
                return None
            channel = _louder_channel(decoded, start - span.start_sec, end - span.start_sec)
            return names[channel] if channel < len(names) else f"S{channel + 1}"

        return speaker_of

    def _account(self, audio_sec: float, processing_sec: float) -> None:
        if self.on_recognition is not None:
            self.on_recognition(audio_sec, processing_sec)


def _input_of(envelope: Envelope, event_type: str, version: int, **fields: Any) -> Envelope:
    """The input event at ``version`` as a stage input; the metadata stays the handled
    event's (``event_id``), so the results name it as their cause."""
    return dataclasses.replace(
        envelope,
        event_type=event_type,
        metadata={**envelope.metadata, "version": version},
        fields=fields,
    )


def _silence(seconds: float) -> DecodedAudio:
    return DecodedAudio(np.zeros((1, round(seconds * SAMPLE_RATE)), dtype=np.float32))


def _speaker_count(segments: list[Segment]) -> int:
    return len({s["speaker"] for s in segments if s["speaker"]})


def _louder_channel(decoded: DecodedAudio, start_sec: float, end_sec: float) -> int:
    """Index of the channel that is louder over the word."""
    begin = max(int(start_sec * SAMPLE_RATE), 0)
    end = max(int(end_sec * SAMPLE_RATE), begin + 1)
    window = decoded.channels[:, begin:end]
    energy = (window.astype(np.float64) ** 2).mean(axis=1) if window.size else np.zeros(2)
    return int(np.argmax(energy))
