-- name: insert_action_item
INSERT INTO action_items (id, meeting_id, group_id, text, owner_person_id, owner_name, due_date)
VALUES (:id, :meeting_id, :group_id, :text, :owner_person_id, :owner_name, :due_date)
RETURNING *;

-- name: get_action_item
SELECT ai.*, p.email AS owner_email, p.organisation_id AS owner_organisation_id
FROM action_items ai LEFT JOIN people p ON p.id = ai.owner_person_id
WHERE ai.id = :id;

-- name: close_action_item
UPDATE action_items
SET status = :status, closed_in_meeting_id = :closed_in_meeting_id, closing_note = :closing_note,
    closed_at = now(), version = version + 1
WHERE id = :id AND version = :version
RETURNING *;

-- name: update_action_item
UPDATE action_items
SET text = :text, owner_person_id = :owner_person_id, owner_name = :owner_name, due_date = :due_date,
    version = version + 1,
    due_soon_notified_at = CASE WHEN due_date IS DISTINCT FROM :due_date THEN NULL ELSE due_soon_notified_at END,
    overdue_notified_at = CASE WHEN due_date IS DISTINCT FROM :due_date THEN NULL ELSE overdue_notified_at END
WHERE id = :id AND version = :version
RETURNING *;

-- name: list_action_items
SELECT ai.*, p.email AS owner_email, m.starts_at AS meeting_starts_at, count(*) OVER () AS total
FROM action_items ai
JOIN meetings m ON m.id = ai.meeting_id
LEFT JOIN people p ON p.id = ai.owner_person_id
WHERE (:status::text IS NULL OR ai.status = :status)
  AND (:group_id::uuid IS NULL OR ai.group_id = :group_id)
  AND (:meeting_id::uuid IS NULL OR ai.meeting_id = :meeting_id)
  AND (:owner_person_id::uuid IS NULL OR ai.owner_person_id = :owner_person_id)
  AND (:organisation_id::uuid IS NULL OR p.organisation_id = :organisation_id)
ORDER BY ai.due_date NULLS LAST, m.starts_at, ai.created_at
LIMIT :limit OFFSET :offset;

-- name: claim_due_soon
-- Open items due within the window that have not been announced yet; locked so two workers never
-- announce the same item.
SELECT ai.*, p.email AS owner_email
FROM action_items ai LEFT JOIN people p ON p.id = ai.owner_person_id
WHERE ai.status = 'open' AND ai.due_date IS NOT NULL
  AND ai.due_date >= :today AND ai.due_date <= :until
  AND ai.due_soon_notified_at IS NULL
ORDER BY ai.due_date
LIMIT 500
FOR UPDATE OF ai SKIP LOCKED;

-- name: claim_overdue
SELECT ai.*, p.email AS owner_email
FROM action_items ai LEFT JOIN people p ON p.id = ai.owner_person_id
WHERE ai.status = 'open' AND ai.due_date IS NOT NULL AND ai.due_date < :today
  AND ai.overdue_notified_at IS NULL
ORDER BY ai.due_date
LIMIT 500
FOR UPDATE OF ai SKIP LOCKED;

-- name: mark_due_soon
UPDATE action_items SET due_soon_notified_at = now() WHERE id = :id;

-- name: mark_overdue
UPDATE action_items SET overdue_notified_at = now(),
    due_soon_notified_at = coalesce(due_soon_notified_at, now())
WHERE id = :id;
