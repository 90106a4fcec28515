-- name: insert_programme_item
INSERT INTO programme_items (id, event_id, starts_at, ends_at, room, title, responsible, notes)
VALUES (:id, :event_id, :starts_at, :ends_at, :room, :title, :responsible, :notes)
RETURNING *;

-- name: lock_programme_item
SELECT * FROM programme_items WHERE id = :id AND event_id = :event_id FOR UPDATE;

-- name: update_programme_item
UPDATE programme_items SET starts_at = :starts_at, ends_at = :ends_at, room = :room, title = :title,
                           responsible = :responsible, notes = :notes, updated_at = now()
WHERE id = :id
RETURNING *;

-- name: delete_programme_item
DELETE FROM programme_items WHERE id = :id AND event_id = :event_id;

-- name: list_programme
SELECT * FROM programme_items WHERE event_id = :event_id ORDER BY starts_at, room NULLS FIRST, id;

-- name: copy_programme
-- A copied event's programme: the same items, moved as far as the event was.
INSERT INTO programme_items (id, event_id, starts_at, ends_at, room, title, responsible, notes)
SELECT gen_random_uuid(), :copy_id, starts_at + :shift, ends_at + :shift, room, title, responsible, notes
FROM programme_items
WHERE event_id = :source_id;
