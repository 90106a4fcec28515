-- Secret feed links per group: the events for the members of a group (audience 'groups'), which are
-- not public. As for organisations, only a hash is kept, and rotating makes the old link stop working.
CREATE TABLE group_feed_tokens (
    group_id   uuid PRIMARY KEY,
    token_hash bytea NOT NULL UNIQUE,
    rotated_at timestamptz NOT NULL DEFAULT now(),
    rotated_by text
);

SELECT backbone_track_data_version(ARRAY['group_feed_tokens']::regclass[]);
