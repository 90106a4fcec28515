-- name: insert_minutes
INSERT INTO minutes (id, meeting_id, version_no, title, minute_taker, sections, decisions, correction_note,
                     needs_review, body_text)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
RETURNING *;

-- name: get_minutes
SELECT mi.*, m.group_id, m.starts_at, m.timezone, m.place, m.title AS meeting_title
FROM minutes mi JOIN meetings m ON m.id = mi.meeting_id
WHERE mi.id = $1;

-- name: lock_minutes
SELECT * FROM minutes WHERE id = $1 FOR UPDATE;

-- name: latest_minutes
SELECT id FROM minutes WHERE meeting_id = $1 ORDER BY version_no DESC LIMIT 1;

-- name: latest_published_minutes
SELECT id FROM minutes WHERE meeting_id = $1 AND status = 'published' ORDER BY version_no DESC LIMIT 1;

-- name: list_minutes_versions
SELECT id, meeting_id, version_no, status, correction_note, revision, created_at, approved_at, published_at
FROM minutes WHERE meeting_id = $1 ORDER BY version_no;

-- name: update_minutes_content
UPDATE minutes
SET title = $3, minute_taker = $4, sections = $5, decisions = $6, body_text = $7, status = $8,
    needs_review = $9, revision = revision + 1, updated_at = now()
WHERE id = $1 AND revision = $2
RETURNING *;

-- name: set_minutes_status
UPDATE minutes
SET status = $3, revision = revision + 1, updated_at = now(),
    approved_at = CASE WHEN $3 = 'approved' THEN now() WHEN $3 = 'draft' THEN NULL ELSE approved_at END,
    approved_by = CASE WHEN $3 = 'approved' THEN $4 WHEN $3 = 'draft' THEN NULL ELSE approved_by END,
    approved_in_meeting_id = CASE WHEN $3 = 'approved' THEN $5::uuid WHEN $3 = 'draft' THEN NULL
                                  ELSE approved_in_meeting_id END,
    published_at = CASE WHEN $3 = 'published' THEN now() ELSE published_at END
WHERE id = $1 AND revision = $2
RETURNING *;

-- name: supersede_published
UPDATE minutes SET status = 'superseded', updated_at = now()
WHERE meeting_id = $1 AND status = 'published' AND id <> $2
RETURNING id, decisions;

-- name: list_minutes
SELECT mi.id, mi.meeting_id, mi.version_no, mi.status, mi.title, mi.minute_taker, mi.needs_review,
       mi.revision, mi.published_at, mi.updated_at, m.starts_at, m.group_id,
       count(*) OVER () AS total
FROM minutes mi JOIN meetings m ON m.id = mi.meeting_id
WHERE ($1::text IS NULL OR mi.status = $1)
  AND ($2::uuid IS NULL OR m.group_id = $2)
  AND ($3::boolean OR mi.status = 'published')
ORDER BY m.starts_at DESC, mi.version_no DESC
LIMIT $4 OFFSET $5;

-- name: list_decisions
-- The decisions register: decisions of the current published minutes of every meeting.
SELECT mi.id AS minutes_id, mi.meeting_id, m.group_id, g.name AS group_name, m.starts_at,
       mi.title AS minutes_title, d.ordinality::int AS decision_no,
       d.value ->> 'text' AS text, d.value ->> 'section' AS section,
       count(*) OVER () AS total
FROM minutes mi
JOIN meetings m ON m.id = mi.meeting_id
LEFT JOIN groups g ON g.id = m.group_id
CROSS JOIN LATERAL jsonb_array_elements(mi.decisions) WITH ORDINALITY AS d(value, ordinality)
WHERE mi.status = 'published'
  AND ($1::uuid IS NULL OR m.group_id = $1)
  AND ($2::timestamptz IS NULL OR m.starts_at >= $2)
  AND ($3::timestamptz IS NULL OR m.starts_at < $3)
  AND ($4::text IS NULL OR d.value ->> 'text' ILIKE '%' || $4 || '%')
ORDER BY m.starts_at DESC, d.ordinality
LIMIT $5 OFFSET $6;

-- name: search_minutes
-- Ranked full-text search over published minutes; $1 is a tsquery built from stemmed prefixes.
SELECT mi.id AS minutes_id, mi.meeting_id, m.group_id, g.name AS group_name, m.starts_at, mi.title,
       mi.version_no,
       ts_rank_cd(mi.search, $1::tsquery) AS rank,
       ts_headline('swedish', mi.body_text, $1::tsquery,
                   'StartSel=[[[, StopSel=]]], MaxFragments=3, MaxWords=25, MinWords=8, FragmentDelimiter=" … "')
           AS headline,
       count(*) OVER () AS total
FROM minutes mi
JOIN meetings m ON m.id = mi.meeting_id
LEFT JOIN groups g ON g.id = m.group_id
WHERE mi.status = 'published'
  AND mi.search @@ $1::tsquery
  AND ($2::uuid IS NULL OR m.group_id = $2)
  AND ($3::timestamptz IS NULL OR m.starts_at >= $3)
  AND ($4::timestamptz IS NULL OR m.starts_at < $4)
ORDER BY rank DESC, m.starts_at DESC
LIMIT $5 OFFSET $6;

-- name: stemmed_prefix_query
-- Each word stemmed with the Swedish snowball stemmer and matched as a prefix, so "möte" (stem "möt")
-- finds "mötet" and "mötena" whose stems are "mötet" and "möten". Stop words drop out.
SELECT string_agg(quote_literal(lexeme) || ':*', ' & ')
FROM (
    SELECT DISTINCT unnest(tsvector_to_array(to_tsvector('swedish', w.word))) AS lexeme
    FROM unnest($1::text[]) AS w(word)
) AS stems;

-- name: list_working_group_reports
-- Working-group reports in the current published minutes, newest meeting first.
SELECT mi.id AS minutes_id, mi.meeting_id, m.starts_at, mi.title AS minutes_title,
       s.value ->> 'heading' AS heading, s.value ->> 'text' AS text,
       (s.value ->> 'working_group_id')::uuid AS working_group_id, g.name AS working_group_name,
       count(*) OVER () AS total
FROM minutes mi
JOIN meetings m ON m.id = mi.meeting_id
CROSS JOIN LATERAL jsonb_array_elements(mi.sections) WITH ORDINALITY AS s(value, ordinality)
LEFT JOIN groups g ON g.id = (s.value ->> 'working_group_id')::uuid
WHERE mi.status = 'published'
  AND s.value ->> 'kind' = 'working_group_report'
  AND ($1::uuid IS NULL OR (s.value ->> 'working_group_id')::uuid = $1)
  AND ($2::timestamptz IS NULL OR m.starts_at >= $2)
  AND ($3::timestamptz IS NULL OR m.starts_at < $3)
ORDER BY m.starts_at DESC, s.ordinality
LIMIT $4 OFFSET $5;
