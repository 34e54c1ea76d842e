-- A dead letter always lands: fields that do not fit their column are cut with their length and a
-- hash (see DeadLetterRow), and the payload keeps at most 1 MiB; its size as it arrived is here.
-- Shard key: time bucket (first_failed_at), as dead_letters.
ALTER TABLE dead_letters ADD COLUMN payload_bytes INT UNSIGNED NULL COMMENT 'size of the record value as it arrived' AFTER payload;
