-- name: insert_minutes
INSERT INTO minutes (id, meeting_id, version_no, title, minute_taker, sections, decisions, correction_note,
                     needs_review, body_text)
VALUES (:id, :meeting_id, :version_no, :title, :minute_taker, :sections, :decisions, :correction_note,
        :needs_review, :body_text)
RETURNING *;

-- name: get_minutes
SELECT mi.*, m.group_id, m.starts_at, m.timezone, m.place, m.title AS meeting_title
FROM minutes mi JOIN meetings m ON m.id = mi.meeting_id
WHERE mi.id = :id;

-- name: lock_minutes
SELECT * FROM minutes WHERE id = :id FOR UPDATE;

-- name: latest_minutes
SELECT id FROM minutes WHERE meeting_id = :meeting_id ORDER BY version_no DESC LIMIT 1;

-- name: latest_published_minutes
SELECT id FROM minutes WHERE meeting_id = :meeting_id AND status = 'published' ORDER BY version_no DESC LIMIT 1;

-- name: list_minutes_versions
SELECT id, meeting_id, version_no, status, correction_note, revision, created_at, approved_at, published_at
FROM minutes WHERE meeting_id = :meeting_id ORDER BY version_no;

-- name: update_minutes_content
UPDATE minutes
SET title = :title, minute_taker = :minute_taker, sections = :sections, decisions = :decisions,
    body_text = :body_text, status = :status,
    needs_review = :needs_review, revision = revision + 1, updated_at = now()
WHERE id = :id AND revision = :revision
RETURNING *;

-- name: set_minutes_status
UPDATE minutes
SET status = :status, revision = revision + 1, updated_at = now(),
    approved_at = CASE WHEN :status = 'approved' THEN now() WHEN :status = 'draft' THEN NULL ELSE approved_at END,
    approved_by = CASE WHEN :status = 'approved' THEN :actor WHEN :status = 'draft' THEN NULL ELSE approved_by END,
    approved_in_meeting_id = CASE WHEN :status = 'approved' THEN :approved_in_meeting_id::uuid WHEN :status = 'draft' THEN NULL
                                  ELSE approved_in_meeting_id END,
    published_at = CASE WHEN :status = 'published' THEN now() ELSE published_at END
WHERE id = :id AND revision = :revision
RETURNING *;

-- name: supersede_published
UPDATE minutes SET status = 'superseded', updated_at = now()
WHERE meeting_id = :meeting_id AND status = 'published' AND id <> :id
RETURNING id, decisions;

-- name: list_minutes
-- The total is counted apart (not `count(*) OVER ()`), so the page itself walks meetings by start
-- time and stops after `limit` rows instead of joining and sorting every version there is.
SELECT mi.id, mi.meeting_id, mi.version_no, mi.status, mi.title, mi.minute_taker, mi.needs_review,
       mi.revision, mi.published_at, mi.updated_at, m.starts_at, m.group_id,
       (SELECT count(*) FROM minutes c
        WHERE (:status::text IS NULL OR c.status = :status)
          AND (:group_id::uuid IS NULL OR c.meeting_id IN (SELECT g.id FROM meetings g WHERE g.group_id = :group_id))
          AND (:include_unpublished::boolean OR c.status = 'published')) AS total
FROM minutes mi JOIN meetings m ON m.id = mi.meeting_id
WHERE (:status::text IS NULL OR mi.status = :status)
  AND (:group_id::uuid IS NULL OR m.group_id = :group_id)
  AND (:include_unpublished::boolean OR mi.status = 'published')
ORDER BY m.starts_at DESC, mi.version_no DESC
LIMIT :limit OFFSET :offset;

-- name: list_decisions
-- The decisions register: decisions of the current published minutes of every meeting.
-- :text is plain text to look for: its %, _ and \ are escaped, never wildcards.
SELECT mi.id AS minutes_id, mi.meeting_id, m.group_id, g.name AS group_name, m.starts_at,
       mi.title AS minutes_title, d.ordinality::int AS decision_no,
       d.value ->> 'text' AS text, d.value ->> 'section' AS section,
       count(*) OVER () AS total
FROM minutes mi
JOIN meetings m ON m.id = mi.meeting_id
LEFT JOIN groups g ON g.id = m.group_id
CROSS JOIN LATERAL jsonb_array_elements(mi.decisions) WITH ORDINALITY AS d(value, ordinality)
WHERE mi.status = 'published'
  AND (:group_id::uuid IS NULL OR m.group_id = :group_id)
  AND (:start::timestamptz IS NULL OR m.starts_at >= :start)
  AND (:end::timestamptz IS NULL OR m.starts_at < :end)
  AND (:text::text IS NULL OR d.value ->> 'text' ILIKE '%' || replace(replace(replace(:text, '\', '\\'), '%', '\%'), '_', '\_') || '%' ESCAPE '\')
ORDER BY m.starts_at DESC, d.ordinality
LIMIT :limit OFFSET :offset;

-- name: search_minutes
-- Ranked full-text search over published minutes; :tsquery is built from stemmed prefixes.
SELECT mi.id AS minutes_id, mi.meeting_id, m.group_id, g.name AS group_name, m.starts_at, mi.title,
       mi.version_no,
       ts_rank_cd(mi.search, :tsquery::tsquery) AS rank,
       ts_headline('swedish', mi.body_text, :tsquery::tsquery,
                   'StartSel=[[[, StopSel=]]], MaxFragments=3, MaxWords=25, MinWords=8, FragmentDelimiter=" … "')
           AS headline,
       count(*) OVER () AS total
FROM minutes mi
JOIN meetings m ON m.id = mi.meeting_id
LEFT JOIN groups g ON g.id = m.group_id
WHERE mi.status = 'published'
  AND mi.search @@ :tsquery::tsquery
  AND (:group_id::uuid IS NULL OR m.group_id = :group_id)
  AND (:start::timestamptz IS NULL OR m.starts_at >= :start)
  AND (:end::timestamptz IS NULL OR m.starts_at < :end)
ORDER BY rank DESC, m.starts_at DESC
LIMIT :limit OFFSET :offset;

-- name: stemmed_prefix_query
-- Each word stemmed with the Swedish snowball stemmer and matched as a prefix, so "möte" (stem "möt")
-- finds "mötet" and "mötena" whose stems are "mötet" and "möten". Stop words drop out.
SELECT string_agg(quote_literal(lexeme) || ':*', ' & ')
FROM (
    SELECT DISTINCT unnest(tsvector_to_array(to_tsvector('swedish', w.word))) AS lexeme
    FROM unnest(:terms::text[]) AS w(word)
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
  AND (:working_group_id::uuid IS NULL OR (s.value ->> 'working_group_id')::uuid = :working_group_id)
  AND (:start::timestamptz IS NULL OR m.starts_at >= :start)
  AND (:end::timestamptz IS NULL OR m.starts_at < :end)
ORDER BY m.starts_at DESC, s.ordinality
LIMIT :limit OFFSET :offset;
