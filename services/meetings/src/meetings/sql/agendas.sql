-- name: list_agenda_items
SELECT a.*, p.name AS responsible_person_name, g.name AS responsible_group_name
FROM agenda_items a
LEFT JOIN people p ON p.id = a.responsible_person_id
LEFT JOIN groups g ON g.id = a.responsible_group_id
WHERE a.meeting_id = $1
ORDER BY a.position;

-- name: next_agenda_position
SELECT coalesce(max(position), 0) + 1 FROM agenda_items WHERE meeting_id = $1;

-- name: insert_agenda_item
INSERT INTO agenda_items (id, meeting_id, position, title, kind, duration_minutes, responsible_person_id,
                          responsible_group_id, guests, description)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
RETURNING *;

-- name: update_agenda_item
UPDATE agenda_items
SET title = $3, kind = $4, duration_minutes = $5, responsible_person_id = $6, responsible_group_id = $7,
    guests = $8, description = $9
WHERE id = $2 AND meeting_id = $1
RETURNING *;

-- name: delete_agenda_item
DELETE FROM agenda_items WHERE id = $2 AND meeting_id = $1 RETURNING id;

-- name: set_agenda_position
UPDATE agenda_items SET position = $3 WHERE meeting_id = $1 AND id = $2;

-- name: carried_action_items
-- Open action items from the group's earlier meetings: they come back on the next agenda by themselves.
SELECT ai.*, m.starts_at AS meeting_starts_at, m.title AS meeting_title
FROM action_items ai
JOIN meetings m ON m.id = ai.meeting_id
WHERE ai.status = 'open'
  AND ai.group_id = $1
  AND m.starts_at < $2
ORDER BY ai.due_date NULLS LAST, m.starts_at, ai.created_at;
