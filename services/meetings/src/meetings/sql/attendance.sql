-- name: upsert_attendance
INSERT INTO attendance (meeting_id, person_id, status, organisation_id) VALUES (:meeting_id, :person_id,
                                                                                :status, :organisation_id)
ON CONFLICT (meeting_id, person_id)
DO UPDATE SET status = EXCLUDED.status, organisation_id = EXCLUDED.organisation_id, recorded_at = now()
RETURNING *;

-- name: list_attendance
SELECT a.*, p.name AS person_name, o.name AS organisation_name
FROM attendance a
JOIN people p ON p.id = a.person_id
LEFT JOIN organisations o ON o.id = a.organisation_id
WHERE a.meeting_id = :meeting_id AND (:organisation_id::uuid IS NULL OR a.organisation_id = :organisation_id)
ORDER BY CASE a.status WHEN 'present' THEN 0 WHEN 'guest' THEN 1 WHEN 'excused' THEN 2 ELSE 3 END,
         lower(p.name);

-- name: delete_attendance
DELETE FROM attendance WHERE meeting_id = :meeting_id AND person_id = :person_id RETURNING *;

-- name: member_organisation
SELECT organisation_id FROM group_members WHERE group_id = :group_id AND person_id = :person_id;

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
  AND (:group_id::uuid IS NULL OR m.group_id = :group_id)
  AND (:start::timestamptz IS NULL OR m.starts_at >= :start)
  AND (:end::timestamptz IS NULL OR m.starts_at < :end)
  AND (:organisation_id::uuid IS NULL OR a.organisation_id = :organisation_id)
GROUP BY 1, 2, 3
ORDER BY 1, 3;

-- name: roll_call
-- Everyone expected at a meeting, once each: the group's members, the invitees (the person each
-- invitation was made to; an invitee who is no person yet is keyed by position) and anyone already
-- recorded. :organisation_id limits it to one organisation's people (a representative's roll call).
WITH expected AS (
    SELECT gm.person_id, NULL::integer AS invitee_position, gm.organisation_id AS represents
    FROM group_members gm JOIN meetings m ON m.group_id = gm.group_id
    WHERE m.id = :meeting_id
    UNION ALL
    SELECT i.person_id, CASE WHEN i.person_id IS NULL THEN i.position END, NULL
    FROM meeting_invitees i
    WHERE i.meeting_id = :meeting_id
    UNION ALL
    SELECT a.person_id, NULL, a.organisation_id FROM attendance a WHERE a.meeting_id = :meeting_id
), people_expected AS (
    SELECT DISTINCT ON (e.person_id)
           e.person_id, a.status, coalesce(a.organisation_id, e.represents,
               p.organisation_id) AS organisation_id,
           p.name, p.organisation_id AS own_organisation_id
    FROM expected e
    JOIN people p ON p.id = e.person_id
    LEFT JOIN attendance a ON a.meeting_id = :meeting_id AND a.person_id = e.person_id
    WHERE e.person_id IS NOT NULL
    ORDER BY e.person_id, e.represents NULLS LAST
)
SELECT 'person:' || pe.person_id AS key, pe.person_id, NULL::integer AS invitee_position, pe.name,
       pe.status, pe.organisation_id, o.name AS organisation_name
FROM people_expected pe LEFT JOIN organisations o ON o.id = pe.organisation_id
WHERE :organisation_id::uuid IS NULL OR (pe.organisation_id = :organisation_id
      AND pe.own_organisation_id = :organisation_id)
UNION ALL
SELECT 'invitee:' || i.position, NULL, i.position, i.name, NULL, NULL, NULL
FROM meeting_invitees i
WHERE i.meeting_id = :meeting_id AND :organisation_id::uuid IS NULL AND i.person_id IS NULL
ORDER BY name, key;

-- name: roll_call_invitees
SELECT position, name, email, person_id FROM meeting_invitees WHERE meeting_id = :meeting_id ORDER BY position;

-- name: link_invitee
-- The person a roll call registered for an invitee who was nobody's person yet.
UPDATE meeting_invitees SET person_id = :person_id
WHERE meeting_id = :meeting_id AND position = :position AND person_id IS NULL;
