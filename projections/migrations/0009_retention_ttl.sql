-- Retention (issue 17, docs/security.md): ClickHouse TTLs bound the audit and failure
-- history. These are the defaults (365 days, RETENTION_SECURITY_AUDIT_DAYS,
-- RETENTION_EVENT_LOG_DAYS, RETENTION_DEAD_LETTERS_DAYS); the projector and the embedded
-- API set each table's TTL from those settings after migrating (0 removes it). The event
-- store keeps every event whatever event_log's TTL; an erased meeting's rows are deleted
-- at once by the erasure, not by a TTL.
ALTER TABLE {db}.security_audit_log MODIFY TTL toDateTime(occurred_at) + INTERVAL 365 DAY;
ALTER TABLE {db}.event_log MODIFY TTL toDateTime(occurred_at) + INTERVAL 365 DAY;
ALTER TABLE {db}.dead_letters MODIFY TTL toDateTime(failed_at) + INTERVAL 365 DAY;
