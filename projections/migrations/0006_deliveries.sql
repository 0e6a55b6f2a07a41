-- Deliveries (issue 16): every attempt at delivering a notice (report.ready by e-mail, a
-- webhook …), one row per (meeting_id, delivery_id, attempt), from the DeliveryAttempted
-- events on meeting-events, so a replay rebuilds it like the others. Read with FINAL;
-- GET /v1/meetings/{id}/deliveries comes from here.
CREATE TABLE IF NOT EXISTS {db}.deliveries
(
    meeting_id      String,
    delivery_id     String,
    attempt         UInt32,
    channel         LowCardinality(String),
    target          String,
    notice          LowCardinality(String),
    outcome         LowCardinality(String),
    status_code     Nullable(UInt32),
    error           Nullable(String),
    attempted_at    DateTime64(6, 'UTC'),
    next_attempt_at Nullable(DateTime64(6, 'UTC')),
    redrive         UInt8,
    tenant          Nullable(String),
    version         UInt64
)
ENGINE = ReplacingMergeTree(version)
ORDER BY (meeting_id, delivery_id, attempt);
