-- name: insert_organisation
INSERT INTO organisations (id, name, kind) VALUES (:id, :name, :kind) RETURNING *;

-- name: insert_organisation_if_new
-- No row when an organisation of that name (in any case) exists or is being added by a transaction
-- that then commits: the caller reads that one back instead.
INSERT INTO organisations (id, name, kind) VALUES (:id, :name, :kind)
ON CONFLICT DO NOTHING
RETURNING *;

-- name: get_organisation
SELECT * FROM organisations WHERE id = :id;

-- name: find_organisation_by_name
SELECT * FROM organisations WHERE lower(name) = lower(:name);

-- name: update_organisation
UPDATE organisations
SET name = coalesce(:name, name), kind = coalesce(:kind, kind), version = version + 1, updated_at = now()
WHERE id = :id AND version = :version
RETURNING *;

-- name: list_organisations
-- :name is plain text to look for: its %, _ and \ are escaped, never wildcards.
SELECT *, count(*) OVER () AS total FROM organisations
WHERE (:name::text IS NULL OR name ILIKE '%' || replace(replace(replace(:name, '\', '\\'), '%', '\%'), '_', '\_') || '%' ESCAPE '\')
  AND (:kind::text IS NULL OR kind = :kind)
ORDER BY lower(name)
LIMIT :limit OFFSET :offset;

-- name: insert_person
INSERT INTO people (id, name, email, organisation_id) VALUES (:id, :name, :email,
                                                              :organisation_id) RETURNING *;

-- name: get_person
SELECT p.*, o.name AS organisation_name
FROM people p LEFT JOIN organisations o ON o.id = p.organisation_id
WHERE p.id = :id;

-- name: find_person_by_name
SELECT * FROM people WHERE lower(name) = lower(:name) ORDER BY created_at LIMIT 1;

-- name: find_person_by_name_in_organisation
SELECT * FROM people
WHERE lower(name) = lower(:name) AND organisation_id = :organisation_id
ORDER BY created_at LIMIT 1;

-- name: address_taken
-- Whether the address (in any case) is another person's, or an invitee's who is not this person.
SELECT EXISTS (
           SELECT 1 FROM people
           WHERE lower(email) = lower(:email) AND id IS DISTINCT FROM :person_id::uuid
       )
    OR EXISTS (
           SELECT 1 FROM meeting_invitees
           WHERE lower(email) = lower(:email)
             AND (person_id IS NULL OR person_id IS DISTINCT FROM :person_id::uuid)
       );

-- name: update_person
UPDATE people
SET name = coalesce(:name, name),
    email = CASE WHEN :email_given THEN :email ELSE email END,
    organisation_id = CASE WHEN :organisation_given THEN :organisation_id ELSE organisation_id END,
    version = version + 1, updated_at = now()
WHERE id = :id AND version = :version
RETURNING *;

-- name: list_people
-- :name is plain text to look for: its %, _ and \ are escaped, never wildcards.
SELECT p.*, o.name AS organisation_name, count(*) OVER () AS total
FROM people p LEFT JOIN organisations o ON o.id = p.organisation_id
WHERE (:organisation_id::uuid IS NULL OR p.organisation_id = :organisation_id)
  AND (:name::text IS NULL OR p.name ILIKE '%' || replace(replace(replace(:name, '\', '\\'), '%', '\%'), '_', '\_') || '%' ESCAPE '\')
ORDER BY lower(p.name), p.id
LIMIT :limit OFFSET :offset;

-- name: insert_group
INSERT INTO groups (id, name, kind, description, parent_group_id) VALUES (:id, :name, :kind,
                                                                          :description,
                                                                          :parent_group_id) RETURNING *;

-- name: get_group
SELECT * FROM groups WHERE id = :id;

-- name: find_group_by_name
SELECT * FROM groups WHERE lower(name) = lower(:name);

-- name: list_groups
SELECT g.*, (SELECT count(*) FROM group_members m WHERE m.group_id = g.id) AS member_count,
       count(*) OVER () AS total
FROM groups g
WHERE (:kind::text IS NULL OR g.kind = :kind)
ORDER BY CASE g.kind WHEN 'joint_development' THEN 0 WHEN 'management' THEN 1 ELSE 2 END, lower(g.name)
LIMIT :limit OFFSET :offset;

-- name: upsert_member
INSERT INTO group_members (group_id, person_id, organisation_id, role) VALUES (:group_id, :person_id,
                                                                               :organisation_id, :role)
ON CONFLICT (group_id, person_id) DO UPDATE SET organisation_id = EXCLUDED.organisation_id,
    role = EXCLUDED.role
RETURNING *;

-- name: delete_member
DELETE FROM group_members WHERE group_id = :group_id AND person_id = :person_id RETURNING *;

-- name: get_member
SELECT * FROM group_members WHERE group_id = :group_id AND person_id = :person_id;

-- name: list_members
SELECT m.group_id, m.person_id, m.organisation_id, m.role, m.joined_at,
       p.name AS person_name, p.email, o.name AS organisation_name
FROM group_members m
JOIN people p ON p.id = m.person_id
LEFT JOIN organisations o ON o.id = m.organisation_id
WHERE m.group_id = :group_id AND (:organisation_id::uuid IS NULL OR m.organisation_id = :organisation_id)
ORDER BY lower(p.name);

-- name: member_invitees
SELECT p.name, p.email
FROM group_members m JOIN people p ON p.id = m.person_id
WHERE m.group_id = :group_id AND p.email IS NOT NULL
ORDER BY lower(p.name);
