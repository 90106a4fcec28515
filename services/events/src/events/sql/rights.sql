-- Volunteers' rights requests (events.rights): what the events service holds about one person, found
-- by address (compared without case) or by phone number (its phone_key), and its erasure.

-- name: already_answered
SELECT 1 FROM rights_answers WHERE request_id = :request_id AND kind = :kind;

-- name: record_answer
INSERT INTO rights_answers (request_id, kind, status) VALUES (:request_id, :kind, :status)
ON CONFLICT (request_id, kind) DO NOTHING;

-- name: registrations_of_person
-- Every registration that still names the person, with its event and, for one in the queue, its
-- place there (1: next in line). Anonymised ones name nobody and are not found.
SELECT r.id, r.event_id, e.title AS event_title, e.starts_at, e.ends_at, e.status AS event_status,
       r.status, r.name, r.email, r.phone, r.organisation_id, r.accessibility, r.food, r.walk_in,
       r.registered_by, r.created_at, r.updated_at, r.offer_expires_at, r.checked_in_at,
       CASE WHEN r.status = 'waiting' THEN (
           SELECT count(*) FROM registrations w
           WHERE w.event_id = r.event_id AND w.status = 'waiting' AND w.queue_no <= r.queue_no
       ) END AS place_in_queue
FROM registrations r JOIN events e ON e.id = r.event_id
WHERE r.anonymised_at IS NULL
  AND ((:email::text IS NOT NULL AND lower(r.email) = :email)
       OR (:phone_key::text IS NOT NULL AND r.phone_key = :phone_key))
ORDER BY e.starts_at, r.queue_no;

-- name: check_ins_of
-- Each scan at the door (a registration is checked in once, but may be scanned more often).
SELECT registration_id, checked_in_at FROM check_ins
WHERE registration_id = ANY(:ids::uuid[])
ORDER BY checked_in_at;

-- name: anonymise_person
-- The person's fields go and the status stays, so the counts (registered, came) stay right; the new
-- offer round makes the links of any offer sent to them stop working.
UPDATE registrations SET name = '', email = NULL, phone = NULL, phone_key = NULL, accessibility = '{}',
                         food = NULL, offer_round = offer_round + 1, anonymised_at = :now, updated_at = :now
WHERE id = ANY(:ids::uuid[]);

-- name: scrub_unpublished_person
-- Events about the person the relay has not published yet (or set aside) go out without them: a
-- message to an erased person is not sent, and the aggregate's order stays whole.
UPDATE outbox
SET envelope = jsonb_set(
    envelope, '{data,person}',
    jsonb_build_object('name', '', 'email', NULL, 'phone', NULL,
                       'language', coalesce(envelope #> '{data,person,language}', '"sv"'::jsonb)))
WHERE published_at IS NULL AND aggregate = ANY(:aggregates::text[]) AND envelope -> 'data' ? 'person';

-- name: forget_published_person
-- What the relay published about these registrations is on the bus (it ages out with the stream);
-- the outbox need not keep it.
DELETE FROM outbox WHERE published_at IS NOT NULL AND aggregate = ANY(:aggregates::text[]);

-- name: forget_export_answers
-- Earlier export answers about the person name them (a registration of theirs, by id or by the whole
-- address: an address inside a longer one is someone else's); once published, the outbox need not keep them.
DELETE FROM outbox
WHERE subject = 'events.export.completed.v1' AND published_at IS NOT NULL
  AND EXISTS (SELECT 1 FROM jsonb_path_query(envelope, '$.data.data.registrations[*]') AS r(reg)
              WHERE (:email::text IS NOT NULL AND lower(r.reg ->> 'email') = :email)
                 OR r.reg ->> 'id' = ANY(:ids::text[]));

-- name: empty_unsent_export_answers
-- One not yet published still answers its request, but without the part: the person is erased
-- before it went out, and the volunteers service erases earlier export parts too.
UPDATE outbox SET envelope = jsonb_set(envelope, '{data,data}', 'null'::jsonb)
WHERE subject = 'events.export.completed.v1' AND published_at IS NULL
  AND EXISTS (SELECT 1 FROM jsonb_path_query(envelope, '$.data.data.registrations[*]') AS r(reg)
              WHERE (:email::text IS NOT NULL AND lower(r.reg ->> 'email') = :email)
                 OR r.reg ->> 'id' = ANY(:ids::text[]));
