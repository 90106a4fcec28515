-- name: insert_organisation
INSERT INTO organisations (id, name, kind) VALUES ($1, $2, $3) RETURNING *;

-- name: get_organisation
SELECT * FROM organisations WHERE id = $1;

-- name: find_organisation_by_name
SELECT * FROM organisations WHERE lower(name) = lower($1);

-- name: update_organisation
UPDATE organisations
SET name = coalesce($3, name), kind = coalesce($4, kind), version = version + 1, updated_at = now()
WHERE id = $1 AND version = $2
RETURNING *;

-- name: list_organisations
SELECT *, count(*) OVER () AS total FROM organisations
WHERE ($1::text IS NULL OR name ILIKE '%' || $1 || '%')
  AND ($2::text IS NULL OR kind = $2)
ORDER BY lower(name)
LIMIT $3 OFFSET $4;

-- name: insert_person
INSERT INTO people (id, name, email, organisation_id) VALUES ($1, $2, $3, $4) RETURNING *;

-- name: get_person
SELECT p.*, o.name AS organisation_name
FROM people p LEFT JOIN organisations o ON o.id = p.organisation_id
WHERE p.id = $1;

-- name: find_person_by_name
SELECT * FROM people WHERE lower(name) = lower($1) ORDER BY created_at LIMIT 1;

-- name: update_person
UPDATE people
SET name = coalesce($3, name),
    email = CASE WHEN $5 THEN $4 ELSE email END,
    organisation_id = CASE WHEN $7 THEN $6 ELSE organisation_id END,
    version = version + 1, updated_at = now()
WHERE id = $1 AND version = $2
RETURNING *;

-- name: list_people
SELECT p.*, o.name AS organisation_name, count(*) OVER () AS total
FROM people p LEFT JOIN organisations o ON o.id = p.organisation_id
WHERE ($1::uuid IS NULL OR p.organisation_id = $1)
  AND ($2::text IS NULL OR p.name ILIKE '%' || $2 || '%')
ORDER BY lower(p.name), p.id
LIMIT $3 OFFSET $4;

-- name: insert_group
INSERT INTO groups (id, name, kind, description, parent_group_id) VALUES ($1, $2, $3, $4, $5) RETURNING *;

-- name: get_group
SELECT * FROM groups WHERE id = $1;

-- name: find_group_by_name
SELECT * FROM groups WHERE lower(name) = lower($1);

-- name: list_groups
SELECT g.*, (SELECT count(*) FROM group_members m WHERE m.group_id = g.id) AS member_count,
       count(*) OVER () AS total
FROM groups g
WHERE ($1::text IS NULL OR g.kind = $1)
ORDER BY CASE g.kind WHEN 'joint_development' THEN 0 WHEN 'management' THEN 1 ELSE 2 END, lower(g.name)
LIMIT $2 OFFSET $3;

-- name: upsert_member
INSERT INTO group_members (group_id, person_id, organisation_id, role) VALUES ($1, $2, $3, $4)
ON CONFLICT (group_id, person_id) DO UPDATE SET organisation_id = EXCLUDED.organisation_id, role = EXCLUDED.role
RETURNING *;

-- name: delete_member
DELETE FROM group_members WHERE group_id = $1 AND person_id = $2 RETURNING *;

-- name: get_member
SELECT * FROM group_members WHERE group_id = $1 AND person_id = $2;

-- name: list_members
SELECT m.group_id, m.person_id, m.organisation_id, m.role, m.joined_at,
       p.name AS person_name, p.email, o.name AS organisation_name
FROM group_members m
JOIN people p ON p.id = m.person_id
LEFT JOIN organisations o ON o.id = m.organisation_id
WHERE m.group_id = $1 AND ($2::uuid IS NULL OR m.organisation_id = $2)
ORDER BY lower(p.name);

-- name: member_invitees
SELECT p.name, p.email
FROM group_members m JOIN people p ON p.id = m.person_id
WHERE m.group_id = $1 AND p.email IS NOT NULL
ORDER BY lower(p.name);
