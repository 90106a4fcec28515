-- name: insert_action_item
INSERT INTO action_items (id, meeting_id, group_id, text, owner_person_id, owner_name, due_date)
VALUES ($1, $2, $3, $4, $5, $6, $7)
RETURNING *;

-- name: get_action_item
SELECT ai.*, p.email AS owner_email, p.organisation_id AS owner_organisation_id
FROM action_items ai LEFT JOIN people p ON p.id = ai.owner_person_id
WHERE ai.id = $1;

-- name: close_action_item
UPDATE action_items
SET status = $3, closed_in_meeting_id = $4, closing_note = $5, closed_at = now(), version = version + 1
WHERE id = $1 AND version = $2
RETURNING *;

-- name: update_action_item
UPDATE action_items
SET text = $3, owner_person_id = $4, owner_name = $5, due_date = $6, version = version + 1,
    due_soon_notified_at = CASE WHEN due_date IS DISTINCT FROM $6 THEN NULL ELSE due_soon_notified_at END,
    overdue_notified_at = CASE WHEN due_date IS DISTINCT FROM $6 THEN NULL ELSE overdue_notified_at END
WHERE id = $1 AND version = $2
RETURNING *;

-- name: list_action_items
SELECT ai.*, p.email AS owner_email, m.starts_at AS meeting_starts_at, count(*) OVER () AS total
FROM action_items ai
JOIN meetings m ON m.id = ai.meeting_id
LEFT JOIN people p ON p.id = ai.owner_person_id
WHERE ($1::text IS NULL OR ai.status = $1)
  AND ($2::uuid IS NULL OR ai.group_id = $2)
  AND ($3::uuid IS NULL OR ai.meeting_id = $3)
  AND ($4::uuid IS NULL OR ai.owner_person_id = $4)
  AND ($5::uuid IS NULL OR p.organisation_id = $5)
ORDER BY ai.due_date NULLS LAST, m.starts_at, ai.created_at
LIMIT $6 OFFSET $7;

-- name: claim_due_soon
-- Open items due within the window that have not been announced yet; locked so two workers never
-- announce the same item.
SELECT ai.*, p.email AS owner_email
FROM action_items ai LEFT JOIN people p ON p.id = ai.owner_person_id
WHERE ai.status = 'open' AND ai.due_date IS NOT NULL
  AND ai.due_date >= $1 AND ai.due_date <= $2
  AND ai.due_soon_notified_at IS NULL
ORDER BY ai.due_date
LIMIT 500
FOR UPDATE OF ai SKIP LOCKED;

-- name: claim_overdue
SELECT ai.*, p.email AS owner_email
FROM action_items ai LEFT JOIN people p ON p.id = ai.owner_person_id
WHERE ai.status = 'open' AND ai.due_date IS NOT NULL AND ai.due_date < $1
  AND ai.overdue_notified_at IS NULL
ORDER BY ai.due_date
LIMIT 500
FOR UPDATE OF ai SKIP LOCKED;

-- name: mark_due_soon
UPDATE action_items SET due_soon_notified_at = now() WHERE id = $1;

-- name: mark_overdue
UPDATE action_items SET overdue_notified_at = now(), due_soon_notified_at = coalesce(due_soon_notified_at, now())
WHERE id = $1;
