-- Why a meeting ended (its Finished event's reason): client, connector_left or idle (or a
-- reason the client named); NULL while it is open. Rows written before this column existed
-- read as NULL; a replay fills it from the Finished events.
ALTER TABLE {db}.meetings ADD COLUMN IF NOT EXISTS finish_reason Nullable(String) AFTER finished_at;
