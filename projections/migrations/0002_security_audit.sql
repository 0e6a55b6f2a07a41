-- The front door's security audit: one row per allow/deny decision, from the
-- security-audit topic. A decision keeps its decision_id and occurred_at when it is
-- redelivered, so the sorting key (occurred_at, decision_id) makes the copies one row
-- under FINAL; the monthly partition keeps both copies in the same part set and lets
-- time-range reads skip old months.
CREATE TABLE IF NOT EXISTS {db}.security_audit_log
(
    decision_id  String,
    occurred_at  DateTime64(6, 'UTC'),
    allowed      UInt8,
    event        LowCardinality(String),
    endpoint     LowCardinality(String),
    method       LowCardinality(String),
    subject      String,
    auth_type    LowCardinality(String),
    reason       String,
    client_ip    String,
    status_code  Nullable(UInt16),
    error_code   LowCardinality(Nullable(String)),
    meeting_id   Nullable(String),
    request_id   Nullable(String)
)
ENGINE = ReplacingMergeTree
PARTITION BY toYYYYMM(occurred_at)
ORDER BY (occurred_at, decision_id);
