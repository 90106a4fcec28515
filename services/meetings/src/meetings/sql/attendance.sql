-- name: upsert_attendance
INSERT INTO attendance (meeting_id, person_id, status, organisation_id) VALUES ($1, $2, $3, $4)
ON CONFLICT (meeting_id, person_id)
DO UPDATE SET status = EXCLUDED.status, organisation_id = EXCLUDED.organisation_id, recorded_at = now()
RETURNING *;

-- name: list_attendance
SELECT a.*, p.name AS person_name, o.name AS organisation_name
FROM attendance a
JOIN people p ON p.id = a.person_id
LEFT JOIN organisations o ON o.id = a.organisation_id
WHERE a.meeting_id = $1 AND ($2::uuid IS NULL OR a.organisation_id = $2)
ORDER BY CASE a.status WHEN 'present' THEN 0 WHEN 'guest' THEN 1 WHEN 'excused' THEN 2 ELSE 3 END,
         lower(p.name);

-- name: delete_attendance
DELETE FROM attendance WHERE meeting_id = $1 AND person_id = $2 RETURNING *;

-- name: member_organisation
SELECT organisation_id FROM group_members WHERE group_id = $1 AND person_id = $2;

-- name: attendance_by_organisation
-- Counts per month and organisation; cancelled meetings do not count.
SELECT to_char(date_trunc('month', m.starts_at AT TIME ZONE m.timezone), 'YYYY-MM') AS period,
       a.organisation_id,
       coalesce(o.name, 'Utan organisation') AS organisation_name,
       count(*) FILTER (WHERE a.status = 'present') AS present,
       count(*) FILTER (WHERE a.status = 'guest') AS guest,
       count(*) FILTER (WHERE a.status = 'excused') AS excused,
       count(*) FILTER (WHERE a.status = 'absent') AS absent,
       count(DISTINCT m.id) AS meetings
FROM attendance a
JOIN meetings m ON m.id = a.meeting_id
LEFT JOIN organisations o ON o.id = a.organisation_id
WHERE m.status = 'scheduled'
  AND ($1::uuid IS NULL OR m.group_id = $1)
  AND ($2::timestamptz IS NULL OR m.starts_at >= $2)
  AND ($3::timestamptz IS NULL OR m.starts_at < $3)
  AND ($4::uuid IS NULL OR a.organisation_id = $4)
GROUP BY 1, 2, 3
ORDER BY 1, 3;
