-- name: seed_volume
-- A realistic volume for the page bench, written straight into the meetings service's tables (the API
-- would take minutes for it): $1 organisations, $2 people, $3 meetings, each meeting with two
-- invitees, three agenda items, about ten people's attendance and published minutes; every tenth
-- meeting has an open action item. Meetings run from eight years ago to a year ahead, so the start
-- page has coming meetings; those ahead have no minutes or attendance yet. The word "bredband"
-- appears in one meeting's minutes in fifty, the search bench's term.
WITH orgs AS (
    INSERT INTO organisations (id, name, kind)
    SELECT gen_random_uuid(), 'Bänkorganisation ' || n, CASE WHEN n % 10 = 0 THEN 'municipal' ELSE 'user_organisation' END
    FROM generate_series(1, $1::int) AS n
    RETURNING id
), numbered_orgs AS (
    SELECT id, row_number() OVER () AS n FROM orgs
)
INSERT INTO people (id, name, email, organisation_id)
SELECT gen_random_uuid(), 'Bänkperson ' || p, 'bankperson' || p || '@example.se', o.id
FROM generate_series(1, $2::int) AS p
JOIN numbered_orgs o ON o.n = 1 + (p % $1::int);

-- name: seed_groups
INSERT INTO groups (id, name, kind)
SELECT gen_random_uuid(), 'Bänkgrupp ' || g, CASE WHEN g = 1 THEN 'joint_development' ELSE 'working_group' END
FROM generate_series(1, 20) AS g;

-- name: seed_members
-- Twenty members a group, drawn from the bench's people.
INSERT INTO group_members (group_id, person_id, organisation_id)
SELECT g.id, p.id, p.organisation_id
FROM (SELECT id, row_number() OVER (ORDER BY name) AS n FROM groups WHERE name LIKE 'Bänkgrupp %') g
JOIN (SELECT id, organisation_id, row_number() OVER (ORDER BY email) AS n FROM people
      WHERE email LIKE 'bankperson%') p
  ON p.n > (g.n - 1) * 20 AND p.n <= g.n * 20;

-- name: seed_meetings
INSERT INTO meetings (id, title, group_name, group_id, starts_at, ends_at, place, source)
SELECT gen_random_uuid(), 'Bänkmöte ' || n, g.name, g.id,
       date_trunc('hour', now()) - interval '8 years' + (n * ((interval '9 years') / $1::int)),
       date_trunc('hour', now()) - interval '8 years' + (n * ((interval '9 years') / $1::int)) + interval '2 hours',
       'Bryggan', 'import'
FROM generate_series(1, $1::int) AS n
JOIN (SELECT id, name, row_number() OVER (ORDER BY name) - 1 AS k FROM groups WHERE name LIKE 'Bänkgrupp %') g
  ON g.k = n % 20;

-- name: seed_invitees
INSERT INTO meeting_invitees (meeting_id, position, name, email)
SELECT m.id, pos, 'Inbjuden ' || pos, 'inbjuden' || pos || '-' || left(m.id::text, 8) || '@example.se'
FROM meetings m CROSS JOIN generate_series(1, 2) AS pos
WHERE m.title LIKE 'Bänkmöte %';

-- name: seed_agendas
INSERT INTO agenda_items (id, meeting_id, position, title, kind, duration_minutes)
SELECT gen_random_uuid(), m.id, pos, 'Punkt ' || pos,
       (ARRAY['theme', 'information', 'decision'])[pos], 20 * pos
FROM meetings m CROSS JOIN generate_series(1, 3) AS pos
WHERE m.title LIKE 'Bänkmöte %';

-- name: seed_attendance
-- Ten of the group's twenty members at every meeting that has happened.
INSERT INTO attendance (meeting_id, person_id, status, organisation_id)
SELECT m.id, gm.person_id,
       (ARRAY['present', 'present', 'present', 'excused', 'absent'])[1 + abs(hashtext(gm.person_id::text || m.id::text)) % 5],
       gm.organisation_id
FROM meetings m
JOIN LATERAL (SELECT person_id, organisation_id FROM group_members WHERE group_id = m.group_id
              ORDER BY person_id LIMIT 10) gm ON true
WHERE m.title LIKE 'Bänkmöte %' AND m.starts_at < now();

-- name: seed_minutes
INSERT INTO minutes (id, meeting_id, version_no, status, title, minute_taker, sections, decisions,
                     body_text, approved_at, approved_by, published_at)
SELECT gen_random_uuid(), m.id, 1, 'published', 'Protokoll ' || m.title, 'Bänkperson 1',
       jsonb_build_array(
           jsonb_build_object('heading', 'Mötets öppnande', 'text', 'Ordföranden öppnade mötet och hälsade alla välkomna.'),
           jsonb_build_object('heading', 'Information', 'text', m.body),
           jsonb_build_object('heading', 'Övrigt', 'text', 'Nästa möte hålls enligt planen. Mötet avslutades.')),
       jsonb_build_array(jsonb_build_object('text', 'Mötet beslutade att godkänna dagordningen.', 'section', 'Mötets öppnande'),
                         jsonb_build_object('text', 'Mötet beslutade att lägga informationen till handlingarna.', 'section', 'Information')),
       'Mötets öppnande Ordföranden öppnade mötet och hälsade alla välkomna. Information ' || m.body
           || ' Övrigt Nästa möte hålls enligt planen. Mötet avslutades.',
       m.starts_at + interval '1 week', 'Bänkperson 1', m.starts_at + interval '1 week'
FROM (SELECT id, title, starts_at,
             CASE WHEN n % 50 = 0
                  THEN 'Gruppen diskuterade utbyggnaden av bredband på landsbygden och vad kommunen kan göra.'
                  ELSE 'Gruppen gick igenom läget i arbetet med tillgänglighet, kollektivtrafik och föreningsbidrag.'
             END || ' ' || repeat('Deltagarna delade erfarenheter från sina organisationer och ställde frågor. ', 8) AS body
      FROM (SELECT id, title, starts_at, row_number() OVER (ORDER BY starts_at) AS n FROM meetings
            WHERE title LIKE 'Bänkmöte %' AND starts_at < now() - interval '1 week') numbered) m;

-- name: seed_action_items
INSERT INTO action_items (id, meeting_id, group_id, text, owner_person_id, owner_name, due_date, status)
SELECT gen_random_uuid(), m.id, m.group_id, 'Uppgift från ' || m.title, p.id, p.name,
       (m.starts_at + interval '30 days')::date,
       CASE WHEN m.n % 100 = 0 THEN 'open' ELSE 'done' END
FROM (SELECT id, title, group_id, starts_at, row_number() OVER (ORDER BY starts_at) AS n FROM meetings
      WHERE title LIKE 'Bänkmöte %') m
JOIN LATERAL (SELECT p.id, p.name FROM group_members gm JOIN people p ON p.id = gm.person_id
              WHERE gm.group_id = m.group_id ORDER BY p.id LIMIT 1) p ON true
WHERE m.n % 10 = 0;

-- name: meeting_with_minutes
-- The meeting page the bench asks for: a recent one with minutes, attendance and an action item.
SELECT m.id FROM meetings m
WHERE m.title LIKE 'Bänkmöte %'
  AND EXISTS (SELECT 1 FROM minutes mi WHERE mi.meeting_id = m.id)
  AND EXISTS (SELECT 1 FROM action_items ai WHERE ai.meeting_id = m.id)
ORDER BY m.starts_at DESC LIMIT 1;

-- name: ceiling_row
SELECT id FROM meetings ORDER BY starts_at DESC LIMIT 1;

-- name: volume
SELECT (SELECT count(*) FROM meetings) AS meetings, (SELECT count(*) FROM minutes) AS minutes,
       (SELECT count(*) FROM attendance) AS attendance, (SELECT count(*) FROM organisations) AS organisations,
       (SELECT count(*) FROM people) AS people, (SELECT count(*) FROM action_items WHERE status = 'open') AS open_items;

-- name: ceiling_get_meeting
SELECT * FROM meetings WHERE id = $1;
