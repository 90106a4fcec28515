-- name: put_feed_token
INSERT INTO feed_tokens (organisation_id, token_hash, rotated_by)
VALUES (:organisation_id, :token_hash, :rotated_by)
ON CONFLICT (organisation_id) DO UPDATE
SET token_hash = EXCLUDED.token_hash, rotated_at = now(), rotated_by = EXCLUDED.rotated_by
RETURNING *;

-- name: organisation_of_feed_token
SELECT organisation_id FROM feed_tokens WHERE token_hash = :token_hash;

-- name: list_private_feed_events
-- An organisation's own feed: every event it organises that is not a draft, whatever the audience.
SELECT * FROM events
WHERE status <> 'draft' AND ends_at >= :since AND :organisation_id = ANY (organiser_ids)
ORDER BY starts_at, id;

-- name: put_group_feed_token
INSERT INTO group_feed_tokens (group_id, token_hash, rotated_by)
VALUES (:group_id, :token_hash, :rotated_by)
ON CONFLICT (group_id) DO UPDATE
SET token_hash = EXCLUDED.token_hash, rotated_at = now(), rotated_by = EXCLUDED.rotated_by
RETURNING *;

-- name: group_of_feed_token
SELECT group_id FROM group_feed_tokens WHERE token_hash = :token_hash;

-- name: list_group_feed_events
-- A group's feed: the events for its members (audience 'groups' naming it) that are not drafts.
SELECT * FROM events
WHERE status <> 'draft' AND ends_at >= :since AND audience = 'groups' AND :group_id = ANY (audience_group_ids)
ORDER BY starts_at, id;

-- name: private_feed_event_versions
-- list_private_feed_events' validators (see feed_event_versions).
SELECT id, updated_at FROM events
WHERE status <> 'draft' AND ends_at >= :since AND :organisation_id = ANY (organiser_ids)
ORDER BY starts_at, id;

-- name: group_feed_event_versions
-- list_group_feed_events' validators (see feed_event_versions).
SELECT id, updated_at FROM events
WHERE status <> 'draft' AND ends_at >= :since AND audience = 'groups' AND :group_id = ANY (audience_group_ids)
ORDER BY starts_at, id;
