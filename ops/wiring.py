"""Composition root: builds the adapters from Settings and hands them to the layers.

Nothing is built at import time; every function takes the settings it needs.

Must not: read the environment or start anything at import time.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from interview_analytics.domain.application import LanguagePolicy, Meetings
from interview_analytics.domain.audio import AudioFormat
from interview_analytics.domain.errors import InvalidAudioError
from interview_analytics.ops import event_store
from interview_analytics.ops.blobs import FileBlobStore
from interview_analytics.ops.data_keys import DataKeys, load_master_key
from interview_analytics.ops.embedded import EmbeddedBroker
from interview_analytics.ops.field_cipher import FieldCipher
from interview_analytics.ops.sealing_mapper import SealingMapper
from interview_analytics.ops.settings import Settings, SettingsError
from interview_analytics.streams import contract
from interview_analytics.streams.audio import AudioDecodeError, decode
from interview_analytics.streams.contract import EventCodec, TopicSpec
from interview_analytics.streams.relay import Relay, RelayConfig
from interview_analytics.streams.speech import WhisperSettings
from interview_analytics.streams.speech_models import model_languages, resolve_model


def data_keys_of(meetings: Meetings) -> DataKeys | None:
    """The data keys a Meetings built by ``build_meetings`` seals with: destroy through
    them, and this process forgets the key at once (None for a Meetings that does not seal)."""
    mapper = meetings.mapper
    return mapper.fields.keys if isinstance(mapper, SealingMapper) else None


def event_codec(meetings: Meetings | None = None) -> EventCodec:
    """The codec of our own consumers: it opens the sealed personal fields of each message
    with the meetings' data keys (without ``meetings``: the markers stay as they are)."""
    keys = data_keys_of(meetings) if meetings is not None else None
    return EventCodec(decryptor=FieldCipher(keys).open if keys is not None else None)


def build_data_keys(settings: Settings) -> DataKeys:
    """The per-meeting data keys, in the event store's own database (crypto-shredding)."""
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    url = settings.resolved_event_store_url
    event_store.prepare(url)
    return DataKeys(url, load_master_key(settings))


def build_meetings(
    settings: Settings, *, data_keys: DataKeys | None = None, sealed_view: bool = False
) -> Meetings:
    """The write side, with crypto-shredding: personal fields are sealed before they are
    stored, and audio blobs encrypted, with the meetings' data keys (``data_keys``, built
    when not given). ``sealed_view``: a reader that sees the stored ciphertext markers
    (``ia events show``); it must not write."""
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    url = settings.resolved_event_store_url
    event_store.prepare(url)
    keys = data_keys if data_keys is not None else build_data_keys(settings)
    cipher = FieldCipher(keys)
    return Meetings(
        env={
            **event_store.eventsourcing_env(url),
            # Cached meetings are fast-forwarded with the events other processes stored
            # since, so the cache is safe with several writers of one meeting.
            "AGGREGATE_CACHE_MAXSIZE": str(settings.event_store_cache_size or ""),
        },
        blobs=FileBlobStore(settings.blob_dir, keys),
        languages=language_policy(settings),
        unknown_consent=settings.consent_unknown_policy,
        wrap_mapper=None if sealed_view else (lambda mapper: SealingMapper(mapper, cipher)),
    )


def whisper_settings(settings: Settings) -> WhisperSettings:
    # WHISPER_MODEL alone is not the model: speech_model also falls back to WHISPER_MODEL_SIZE.
    return settings.section(WhisperSettings, "whisper_", "speech_", model=settings.speech_model)


def language_policy(settings: Settings) -> LanguagePolicy:
    """Meetings may only ask for languages the configured speech model can transcribe."""
    supported = model_languages(settings.speech_model)
    default = settings.whisper_language or ("en" if supported == {"en"} else "ru")
    if default not in supported:
        raise SettingsError(
            f"WHISPER_LANGUAGE={default!r} is not a language of model "
            f"{settings.speech_model!r} ({', '.join(sorted(supported))})"
        )
    return LanguagePolicy(default=default, supported=supported)


def prepare_speech_model(settings: Settings, say: Callable[[str], None] | None = None) -> str:
    """The configured speech model made ready where a process will load it: a bundled
    ``base`` is assembled into ``<DATA_DIR>/models`` the first time (``say`` hears the
    progress), later starts only re-verify it. What faster-whisper will be given (the
    directory, or a size name it fetches itself); ``SpeechModelError`` when a bundled model
    is missing or corrupt."""
    return resolve_model(settings.speech_model, settings.speech_model_cache_dir, progress=say)


def topic_specs(settings: Settings) -> list[TopicSpec]:
    """The contract's topics with the configured partitions and replication."""
    return contract.topic_specs(
        settings.kafka_meeting_events_partitions, settings.kafka_replication_factor
    )


def build_relay(settings: Settings, meetings: Meetings, bootstrap_servers: str) -> Relay:
    return Relay(
        store=meetings.recorder,
        tracking=meetings.factory.tracking_recorder(),
        # The stored markers are published as they are: the topic never holds personal
        # data in clear.
        mapper=meetings.mapper.sealed()
        if isinstance(meetings.mapper, SealingMapper)
        else meetings.mapper,
        codec=EventCodec(),
        config=RelayConfig(
            bootstrap_servers=bootstrap_servers,
            topics=topic_specs(settings),
            batch_size=settings.relay_batch_size,
            poll_interval_sec=settings.relay_poll_interval_sec,
            broker_check_interval_sec=settings.relay_broker_check_interval_sec,
            enable_idempotence=settings.kafka_enable_idempotence,
        ),
    )


@dataclass
class Broker:
    bootstrap_servers: str
    embedded: EmbeddedBroker | None


@contextmanager
def broker(settings: Settings) -> Iterator[Broker]:
    """The configured Kafka, or an embedded Tansu started for the duration of the block."""
    if settings.kafka_bootstrap_servers:
        yield Broker(settings.kafka_bootstrap_servers, None)
        return
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    with EmbeddedBroker(
        port=settings.embedded_broker_port, log_path=settings.data_dir / "tansu.log"
    ) as embedded:
        yield Broker(embedded.bootstrap_servers, embedded)


def probe_duration(audio: bytes, audio_format: AudioFormat) -> float:
    """Seconds of audio in a container chunk; ``InvalidAudioError`` when it does not decode."""
    try:
        decoded = decode(audio, audio_format.codec, audio_format.sample_rate, audio_format.channels)
    except AudioDecodeError as error:
        raise InvalidAudioError(
            error.message, codec=audio_format.codec, reason=error.code
        ) from None
    return decoded.duration_sec
