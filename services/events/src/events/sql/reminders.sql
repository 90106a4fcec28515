-- name: events_with_due_reminders
-- Events with a reminder whose time has come for their current start, not yet handled; the one
-- due first comes first.
SELECT e.id FROM events e, unnest(e.reminder_minutes) AS m (minutes)
WHERE e.status IN ('published', 'changed') AND e.starts_at > :now
  AND e.starts_at - make_interval(mins => m.minutes) <= :now
  AND NOT EXISTS (
      SELECT 1 FROM reminders_sent s
      WHERE s.event_id = e.id AND s.minutes_before = m.minutes AND s.starts_at = e.starts_at
  )
GROUP BY e.id
ORDER BY min(e.starts_at - make_interval(mins => m.minutes)), e.id
LIMIT :limit;

-- name: mark_reminder
INSERT INTO reminders_sent (event_id, minutes_before, starts_at, sent)
VALUES (:event_id, :minutes_before, :starts_at, :sent)
ON CONFLICT DO NOTHING
RETURNING *;

-- name: handled_reminders
SELECT minutes_before FROM reminders_sent WHERE event_id = :event_id AND starts_at = :starts_at;

-- name: registered_people
SELECT * FROM registrations WHERE event_id = :event_id AND status = 'registered' ORDER BY queue_no;
