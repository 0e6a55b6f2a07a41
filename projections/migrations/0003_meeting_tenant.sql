-- The tenant a meeting was started under (multi-tenant front door), NULL for none.
-- Rows written before this column existed read as NULL; a replay fills it from the
-- Started events.
ALTER TABLE {db}.meetings ADD COLUMN IF NOT EXISTS tenant Nullable(String) AFTER started_by;
