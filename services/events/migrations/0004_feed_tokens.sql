-- Secret feed links per organisation: the organisation's events that are not public (staff and
-- group events too). Only a hash is kept; rotating replaces it, so the old link stops working.
CREATE TABLE feed_tokens (
    organisation_id uuid PRIMARY KEY,
    token_hash      bytea NOT NULL UNIQUE,
    rotated_at      timestamptz NOT NULL DEFAULT now(),
    rotated_by      text
);

SELECT backbone_track_data_version(ARRAY['feed_tokens']::regclass[]);
