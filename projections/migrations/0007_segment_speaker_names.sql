-- Speaker names and roles on transcript segments (issue 15): speaker_name is the name shown
-- for the segment's speaker (an edit through POST /v1/meetings/{id}/speakers, a participant
-- of the start's context, else the label itself), role is interviewer, candidate or observer
-- where known. speaker keeps the transcript's label. Rows written before these columns
-- existed read as NULL (read the name as ifNull(speaker_name, speaker)); a replay fills them.
ALTER TABLE {db}.transcript_segments ADD COLUMN IF NOT EXISTS speaker_name Nullable(String) AFTER speaker;
ALTER TABLE {db}.transcript_segments ADD COLUMN IF NOT EXISTS role LowCardinality(Nullable(String)) AFTER speaker_name;
