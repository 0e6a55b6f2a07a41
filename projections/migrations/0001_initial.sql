-- The read side's first tables. `{db}` is replaced by the read store's database name.
-- Every table that projects meeting events is a ReplacingMergeTree keyed by the row
-- identity, with the event's stream version as the version column: re-inserting the same
-- rows (redelivery, replay) changes nothing a reader sees, provided reads use FINAL or
-- argMax (see docs/sql.md). Statements are separated by a `;` at the end of a line.

-- One row per meeting: its state after the newest projected event.
CREATE TABLE IF NOT EXISTS {db}.meetings
(
    meeting_id          String,
    status              LowCardinality(String),
    mode                LowCardinality(String),
    language            LowCardinality(String),
    consent             LowCardinality(String),
    context_json        String,
    recipients          Array(String),
    started_by          Nullable(String),
    started_at          DateTime64(6, 'UTC'),
    last_chunk_at       Nullable(DateTime64(6, 'UTC')),
    finished_at         Nullable(DateTime64(6, 'UTC')),
    updated_at          DateTime64(6, 'UTC'),
    chunks_received     UInt32,
    chunks_transcribed  UInt32,
    chunks_rejected     UInt32,
    failures            UInt32,
    audio_seconds       Float64,
    speakers            Array(String),
    model               LowCardinality(String),
    transcript_final    UInt8,
    raw_transcript      String,
    enhanced_transcript String,
    report_json         String,
    report_final        UInt8,
    version             UInt64
)
ENGINE = ReplacingMergeTree(version)
ORDER BY meeting_id;

-- The current transcript's segments. A segment that stops being current (a draft replaced
-- by a wider draft or by the final pass) gets a tombstone row (is_deleted = 1) at a newer
-- version, so FINAL no longer returns it.
CREATE TABLE IF NOT EXISTS {db}.transcript_segments
(
    meeting_id            String,
    transcription_version UInt64,
    segment_id            String,
    start_sec             Float64,
    end_sec               Float64,
    speaker               Nullable(String),
    raw_text              String,
    enhanced_text         String,
    confidence            Float64,
    words_json            String,
    model                 LowCardinality(String),
    language              LowCardinality(String),
    final                 UInt8,
    version               UInt64,
    is_deleted            UInt8
)
ENGINE = ReplacingMergeTree(version, is_deleted)
ORDER BY (meeting_id, transcription_version, segment_id);

-- One row per Reported event: the report's headline figures, plus the whole report.
CREATE TABLE IF NOT EXISTS {db}.reports
(
    meeting_id            String,
    report_version        UInt64,
    input_version         UInt64,
    final                 UInt8,
    language              LowCardinality(String),
    summary               String,
    recommendation        String,
    risk_flags            Array(String),
    risk_flag_codes       Array(String),
    bullets               Array(String),
    duration_sec          Float64,
    speech_sec            Float64,
    talk_share            Map(String, Float64),
    talk_sec              Map(String, Float64),
    wpm                   Map(String, Float64),
    filler_rate           Map(String, Float64),
    questions_by_speaker  Map(String, UInt32),
    questions_count       UInt32,
    silence_share         Float64,
    response_latency_mean Nullable(Float64),
    response_latency_max  Nullable(Float64),
    mean_word_probability Nullable(Float64),
    low_confidence_share  Nullable(Float64),
    candidate             String,
    report_json           String,
    occurred_at           DateTime64(6, 'UTC'),
    version               UInt64
)
ENGINE = ReplacingMergeTree(version)
ORDER BY (meeting_id, report_version);

-- The audit trail: every domain event as stored, its own fields as JSON.
CREATE TABLE IF NOT EXISTS {db}.event_log
(
    meeting_id      String,
    version         UInt64,
    notification_id Nullable(UInt64),
    event_type      LowCardinality(String),
    event_id        UUID,
    occurred_at     DateTime64(6, 'UTC'),
    actor           Nullable(String),
    correlation_id  Nullable(String),
    causation_id    Nullable(String),
    payload_json    String
)
ENGINE = ReplacingMergeTree(version)
ORDER BY (meeting_id, version);

-- Periodic samples of every consumer group's progress, in event-store positions.
CREATE TABLE IF NOT EXISTS {db}.queue_health
(
    sampled_at     DateTime64(6, 'UTC'),
    group_name     LowCardinality(String),
    topic          LowCardinality(String),
    head           UInt64,
    position       UInt64,
    lag            UInt64,
    relay_position UInt64,
    relay_backlog  UInt64,
    dead_letters   UInt64
)
ENGINE = ReplacingMergeTree
ORDER BY (group_name, sampled_at)
TTL toDateTime(sampled_at) + INTERVAL 30 DAY;

-- What the pipeline gave up on, one row per letter id (the latest copy wins).
CREATE TABLE IF NOT EXISTS {db}.dead_letters
(
    letter_id       String,
    stage           LowCardinality(String),
    kind            LowCardinality(String),
    meeting_id      String,
    version         UInt64,
    notification_id Nullable(UInt64),
    event_type      LowCardinality(String),
    error_code      LowCardinality(String),
    error_message   String,
    attempts        UInt32,
    failed_at       DateTime64(6, 'UTC'),
    resolved        UInt8
)
ENGINE = ReplacingMergeTree(attempts)
ORDER BY letter_id;
