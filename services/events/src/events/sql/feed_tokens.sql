-- name: put_feed_token
INSERT INTO feed_tokens (organisation_id, token_hash, rotated_by)
VALUES (:organisation_id, :token_hash, :rotated_by)
ON CONFLICT (organisation_id) DO UPDATE
SET token_hash = EXCLUDED.token_hash, rotated_at = now(), rotated_by = EXCLUDED.rotated_by
RETURNING *;

-- name: organisation_of_feed_token
SELECT organisation_id FROM feed_tokens WHERE token_hash = :token_hash;

-- name: private_feed_event_keys
-- An organisation's own feed: the events it organises that its representative may see through the
-- API, by the same rule (events_representative_sees, migration 0012), so never a staff-only event
-- (as feed_event_keys).
SELECT coalesce(string_agg(id::text || '/' || xmin::text, ',' ORDER BY starts_at, id), '') AS keys
FROM events
WHERE ends_at >= :since AND :organisation_id = ANY (organiser_ids)
  AND events_representative_sees(events, :organisation_id);

-- name: put_group_feed_token
INSERT INTO group_feed_tokens (group_id, token_hash, rotated_by)
VALUES (:group_id, :token_hash, :rotated_by)
ON CONFLICT (group_id) DO UPDATE
SET token_hash = EXCLUDED.token_hash, rotated_at = now(), rotated_by = EXCLUDED.rotated_by
RETURNING *;

-- name: group_of_feed_token
SELECT group_id FROM group_feed_tokens WHERE token_hash = :token_hash;

-- name: group_feed_event_keys
-- A group's feed: the events for its members (audience 'groups' naming it) that are not drafts
-- (as feed_event_keys).
SELECT coalesce(string_agg(id::text || '/' || xmin::text, ',' ORDER BY starts_at, id), '') AS keys
FROM events
WHERE status <> 'draft' AND ends_at >= :since AND audience = 'groups' AND :group_id = ANY (audience_group_ids);
