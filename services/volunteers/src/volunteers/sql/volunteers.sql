-- name: insert_volunteer
INSERT INTO volunteers (id, name, email, phone, preferred_channel, language, languages, areas,
                        does_not_want, client_units)
VALUES (:id, :name, :email, :phone, :preferred_channel, :language, :languages, :areas,
        :does_not_want, :client_units)
RETURNING *;

-- name: get_volunteer
SELECT * FROM volunteers WHERE id = :id AND status <> 'erased';

-- name: lock_volunteer
-- NO KEY UPDATE: rows that point here (offers, assignments, hours) only take KEY SHARE, so
-- writing them while another transaction holds this lock does not wait, and cannot deadlock.
SELECT * FROM volunteers WHERE id = :id AND status <> 'erased' FOR NO KEY UPDATE;

-- name: update_volunteer
UPDATE volunteers SET
    name = :name, email = :email, phone = :phone, preferred_channel = :preferred_channel,
    language = :language, languages = :languages, areas = :areas, does_not_want = :does_not_want,
    client_units = :client_units, status = :status, version = version + 1, updated_at = now()
WHERE id = :id
RETURNING *;

-- name: list_volunteers
-- :pool_ids: only members of these pools (a coordinator's); NULL: everyone. :pool_id narrows to one.
SELECT v.*, count(*) OVER () AS total,
       (SELECT min(q.expires_on) FROM qualifications q
        WHERE q.volunteer_id = v.id AND q.expires_on >= :today) AS next_expiry
FROM volunteers v
WHERE v.status <> 'erased'
  -- A coordinator reaches only standing members (applicants included): someone who left is gone.
  AND (:pool_ids::uuid[] IS NULL OR EXISTS (
        SELECT 1 FROM pool_memberships m WHERE m.volunteer_id = v.id AND m.pool_id = ANY(:pool_ids)
        AND m.status IN ('applied', 'active', 'paused')))
  AND (:pool_id::uuid IS NULL OR EXISTS (
        SELECT 1 FROM pool_memberships m WHERE m.volunteer_id = v.id AND m.pool_id = :pool_id
        AND (:pool_ids::uuid[] IS NULL OR m.status IN ('applied', 'active', 'paused'))))
  AND (:search::text IS NULL OR v.name ILIKE '%' || :search || '%')
ORDER BY v.name, v.id
LIMIT :limit OFFSET :offset;

-- name: memberships_of
SELECT m.*, p.key AS pool_key, p.name AS pool_name FROM pool_memberships m
JOIN pools p ON p.id = m.pool_id
WHERE m.volunteer_id = :volunteer_id ORDER BY p.name;

-- name: memberships_of_many
SELECT m.volunteer_id, m.pool_id, m.status, p.key AS pool_key, p.name AS pool_name FROM pool_memberships m
JOIN pools p ON p.id = m.pool_id
WHERE m.volunteer_id = ANY(:volunteer_ids) ORDER BY p.name;

-- name: standing_in_pools
-- Does the volunteer stand (applied, active or paused) in one of :pool_ids? Who left is not reached.
SELECT EXISTS (
    SELECT 1 FROM pool_memberships
    WHERE volunteer_id = :volunteer_id AND pool_id = ANY(:pool_ids)
      AND status IN ('applied', 'active', 'paused'));

-- name: requirement_of_members_pools
-- What the volunteer's pools ask of a qualification with this key: its kind, and whether it expires.
-- Only pools they stand in (applied, active, paused) and, with :pool_ids, that the caller works with
-- (NULL: every pool): no row means the caller may not record it.
SELECT r.kind, r.expires FROM pool_requirements r
JOIN pool_memberships m ON m.pool_id = r.pool_id AND m.volunteer_id = :volunteer_id
                       AND m.status IN ('applied', 'active', 'paused')
WHERE r.key = :key AND (:pool_ids::uuid[] IS NULL OR r.pool_id = ANY(:pool_ids))
ORDER BY r.expires DESC, r.kind
LIMIT 1;

-- name: requirement_keys_of_pools
SELECT DISTINCT key FROM pool_requirements WHERE pool_id = ANY(:pool_ids);

-- name: get_membership
SELECT * FROM pool_memberships WHERE pool_id = :pool_id AND volunteer_id = :volunteer_id;

-- name: upsert_membership
INSERT INTO pool_memberships (id, pool_id, volunteer_id, status, joined_at, left_at)
VALUES (:id, :pool_id, :volunteer_id, :status,
        CASE WHEN :status = 'active' THEN now() END, CASE WHEN :status = 'left' THEN now() END)
ON CONFLICT (pool_id, volunteer_id) DO UPDATE SET
    status = EXCLUDED.status,
    joined_at = CASE WHEN EXCLUDED.status = 'active' AND pool_memberships.status <> 'active'
                     THEN now() ELSE pool_memberships.joined_at END,
    left_at = CASE WHEN EXCLUDED.status = 'left' THEN now() ELSE NULL END,
    updated_at = now()
RETURNING *;

-- name: weekly_of
SELECT * FROM availability_weekly WHERE volunteer_id = :volunteer_id ORDER BY weekday, starts;

-- name: delete_weekly
DELETE FROM availability_weekly WHERE volunteer_id = :volunteer_id;

-- name: insert_weekly
INSERT INTO availability_weekly (id, volunteer_id, weekday, starts, ends)
VALUES (:id, :volunteer_id, :weekday, :starts, :ends);

-- name: exceptions_of
SELECT * FROM availability_exceptions WHERE volunteer_id = :volunteer_id ORDER BY starts_at;

-- name: insert_exception
INSERT INTO availability_exceptions (id, volunteer_id, starts_at, ends_at, available, note)
VALUES (:id, :volunteer_id, :starts_at, :ends_at, :available, :note)
RETURNING *;

-- name: delete_exception
DELETE FROM availability_exceptions WHERE id = :id AND volunteer_id = :volunteer_id RETURNING id;

-- name: qualifications_of
SELECT * FROM qualifications WHERE volunteer_id = :volunteer_id ORDER BY key, completed_on;

-- name: insert_qualification
INSERT INTO qualifications (id, volunteer_id, key, kind, completed_on, expires_on, note, recorded_by)
VALUES (:id, :volunteer_id, :key, :kind, :completed_on, :expires_on, :note, :recorded_by)
RETURNING *;

-- name: consents_of
SELECT * FROM consents WHERE volunteer_id = :volunteer_id ORDER BY given_at, id;

-- name: standing_consent
SELECT * FROM consents WHERE volunteer_id = :volunteer_id AND purpose = :purpose AND withdrawn_at IS NULL;

-- name: insert_consent
INSERT INTO consents (id, volunteer_id, purpose, text_version, given_at, given_how, recorded_by)
VALUES (:id, :volunteer_id, :purpose, :text_version, :given_at, :given_how, :recorded_by)
RETURNING *;

-- name: withdraw_consent
UPDATE consents SET withdrawn_at = :withdrawn_at, withdrawn_how = :withdrawn_how
WHERE id = :id AND volunteer_id = :volunteer_id AND withdrawn_at IS NULL
RETURNING *;

-- name: get_consent
SELECT * FROM consents WHERE id = :id AND volunteer_id = :volunteer_id;

-- name: assignments_of
SELECT a.*, p.name AS pool_name, r.place FROM assignments a
JOIN pools p ON p.id = a.pool_id JOIN requests r ON r.id = a.request_id
WHERE a.volunteer_id = :volunteer_id ORDER BY a.starts_at DESC LIMIT 50;

-- name: consent_link_volunteer
SELECT id, status FROM volunteers WHERE id = :id;

-- name: standing_in_pool
-- Which of :volunteer_ids stand in the pool (applied, active, paused): those a pool's form may record.
SELECT volunteer_id FROM pool_memberships
WHERE pool_id = :pool_id AND volunteer_id = ANY(:volunteer_ids) AND status IN ('applied', 'active', 'paused');
