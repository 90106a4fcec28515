-- name: list_agenda_items
SELECT a.*, p.name AS responsible_person_name, p.organisation_id AS responsible_organisation_id,
       g.name AS responsible_group_name
FROM agenda_items a
LEFT JOIN people p ON p.id = a.responsible_person_id
LEFT JOIN groups g ON g.id = a.responsible_group_id
WHERE a.meeting_id = :meeting_id
ORDER BY a.position;

-- name: next_agenda_position
SELECT coalesce(max(position), 0) + 1 FROM agenda_items WHERE meeting_id = :meeting_id;

-- name: insert_agenda_item
INSERT INTO agenda_items (id, meeting_id, position, title, kind, duration_minutes, responsible_person_id,
                          responsible_group_id, guests, description)
VALUES (:id, :meeting_id, :position, :title, :kind, :duration_minutes, :responsible_person_id,
        :responsible_group_id, :guests, :description)
RETURNING *;

-- name: update_agenda_item
UPDATE agenda_items
SET title = :title, kind = :kind, duration_minutes = :duration_minutes,
    responsible_person_id = :responsible_person_id, responsible_group_id = :responsible_group_id,
    guests = :guests, description = :description
WHERE id = :id AND meeting_id = :meeting_id
RETURNING *;

-- name: delete_agenda_item
DELETE FROM agenda_items WHERE id = :id AND meeting_id = :meeting_id RETURNING id;

-- name: set_agenda_position
UPDATE agenda_items SET position = :position WHERE meeting_id = :meeting_id AND id = :id;

-- name: carried_action_items
-- Open action items from the group's earlier meetings: they come back on the next agenda by themselves.
-- With :organisation_id, only those owned by people of that organisation (what its representative may
-- see).
SELECT ai.*, m.starts_at AS meeting_starts_at, m.title AS meeting_title
FROM action_items ai
JOIN meetings m ON m.id = ai.meeting_id
LEFT JOIN people p ON p.id = ai.owner_person_id
WHERE ai.status = 'open'
  AND ai.group_id = :group_id
  AND m.starts_at < :before
  AND (:organisation_id::uuid IS NULL OR p.organisation_id = :organisation_id)
ORDER BY ai.due_date NULLS LAST, m.starts_at, ai.created_at;
