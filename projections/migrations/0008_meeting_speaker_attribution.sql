-- How the current transcript's speakers were told apart (issue 15): JSON
-- {"method", "confidence", "speaker_count"} of the newest final transcription (else the
-- newest draft); '' when no transcription recorded it. Rows written before this column
-- existed read as ''; a replay fills it from the Transcribed events.
ALTER TABLE {db}.meetings ADD COLUMN IF NOT EXISTS speaker_attribution_json String DEFAULT '' AFTER speakers;
