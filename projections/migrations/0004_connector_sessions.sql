-- Connector sessions (issue 6): one row per meeting whose connector was ever asked to join,
-- its session state after the newest projected event of the meeting that changed it. Built
-- from the Connector* events on meeting-events, so a replay rebuilds it like the others.
-- Read with FINAL; the admin API's status and session list come from here.
CREATE TABLE IF NOT EXISTS {db}.connector_sessions
(
    meeting_id        String,
    provider          LowCardinality(String),
    state             LowCardinality(String),
    connected         UInt8,
    attempts          UInt32,
    reconnects        UInt32,
    cursor            UInt64,
    chunks            UInt64,
    last_error        Nullable(String),
    last_error_kind   Nullable(String),
    failed_stage      Nullable(String),
    participants      Array(String),
    language          Nullable(String),
    tenant            Nullable(String),
    meeting_status    LowCardinality(String),
    requested_at      DateTime64(6, 'UTC'),
    connected_at      Nullable(DateTime64(6, 'UTC')),
    last_audio_at     Nullable(DateTime64(6, 'UTC')),
    last_heartbeat_at Nullable(DateTime64(6, 'UTC')),
    last_seen_at      DateTime64(6, 'UTC'),
    updated_at        DateTime64(6, 'UTC'),
    version           UInt64
)
ENGINE = ReplacingMergeTree(version)
ORDER BY meeting_id;
