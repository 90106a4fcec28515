-- name: count_holding_places
-- Registered people and open offers: both keep a place.
SELECT count(*) FROM registrations
WHERE event_id = :event_id AND status IN ('registered', 'offered');

-- name: count_by_status
SELECT status, count(*) AS n FROM registrations WHERE event_id = :event_id GROUP BY status;

-- name: count_by_status_of_organisation
SELECT status, count(*) AS n FROM registrations
WHERE event_id = :event_id AND organisation_id = :organisation_id GROUP BY status;

-- name: counts_by_organisation
-- :organisation_id: that organisation's row only (a representative's summary); NULL: every row.
SELECT organisation_id, count(*) AS n FROM registrations
WHERE event_id = :event_id AND status = 'registered'
  AND (:organisation_id::uuid IS NULL OR organisation_id = :organisation_id)
GROUP BY organisation_id ORDER BY organisation_id NULLS LAST;

-- name: insert_registrations
-- Several people at once, in the order of `n` (their queue numbers follow it); :people is a JSON
-- array of objects with the columns below.
INSERT INTO registrations (id, event_id, name, email, phone, phone_key, organisation_id, accessibility,
                           food, status, registered_by)
SELECT p.id, :event_id, p.name, p.email, p.phone, p.phone_key, p.organisation_id, p.accessibility,
       p.food, p.status, :registered_by
FROM jsonb_to_recordset(:people::text::jsonb)
     AS p(id uuid, name text, email text, phone text, phone_key text, organisation_id uuid,
          accessibility text[], food text, status text, n bigint)
ORDER BY p.n
RETURNING *;

-- name: get_registration
SELECT * FROM registrations WHERE id = :id;

-- name: lock_registration
SELECT * FROM registrations WHERE id = :id FOR UPDATE;

-- name: set_registration_status
UPDATE registrations SET status = :status, offer_expires_at = NULL, updated_at = now()
WHERE id = :id
RETURNING *;

-- name: next_waiting
-- The first on the waiting list (the caller holds the event's lock).
SELECT * FROM registrations
WHERE event_id = :event_id AND status = 'waiting'
ORDER BY queue_no
LIMIT 1
FOR UPDATE;

-- name: make_offer
UPDATE registrations SET status = 'offered', offer_round = offer_round + 1,
                         offer_expires_at = :expires_at, updated_at = now()
WHERE id = :id
RETURNING *;

-- name: events_with_expired_offers
-- The events whose offers ran out first come first.
SELECT event_id FROM registrations
WHERE status = 'offered' AND offer_expires_at <= :now
GROUP BY event_id
ORDER BY min(offer_expires_at), event_id
LIMIT :limit;

-- name: cap_open_offers
-- An event moved earlier: no offer may hold its place past the new start.
UPDATE registrations SET offer_expires_at = :starts_at, updated_at = now()
WHERE event_id = :event_id AND status = 'offered' AND offer_expires_at > :starts_at;

-- name: close_waiting_list
-- A cancelled event: open offers and the waiting list end with it (no offer is made or expires later).
UPDATE registrations SET status = 'cancelled', offer_expires_at = NULL, updated_at = now()
WHERE event_id = :event_id AND status IN ('offered', 'waiting');

-- name: expired_offers_of_event
-- The caller holds the event's lock, so no answer to these offers can be half-way.
SELECT * FROM registrations
WHERE event_id = :event_id AND status = 'offered' AND offer_expires_at <= :now
ORDER BY queue_no
FOR UPDATE;

-- name: list_registrations
SELECT *, count(*) OVER () AS total FROM registrations
WHERE event_id = :event_id
  AND (:status::text IS NULL OR status = :status)
  AND (:organisation_id::uuid IS NULL OR organisation_id = :organisation_id)
  AND (:name::text IS NULL OR name ILIKE '%' || :name || '%')
ORDER BY queue_no
LIMIT :limit OFFSET :offset;

-- name: insert_check_in
-- The nonce makes a retried scan a no-op: the first one wins, later copies insert nothing.
INSERT INTO check_ins (nonce, registration_id, checked_in_by)
VALUES (:nonce, :registration_id, :checked_in_by)
ON CONFLICT (nonce) DO NOTHING
RETURNING *;

-- name: get_check_in
SELECT * FROM check_ins WHERE nonce = :nonce;

-- name: mark_checked_in
-- Only the first check-in of a registration sets the time; NULL when it was already set.
UPDATE registrations SET checked_in_at = :at, updated_at = now()
WHERE id = :id AND checked_in_at IS NULL
RETURNING *;

-- name: export_registrations
SELECT * FROM registrations
WHERE event_id = :event_id AND (:organisation_id::uuid IS NULL OR organisation_id = :organisation_id)
ORDER BY queue_no;

-- name: anonymise_registrations
-- Registrations of events that ended before :ended_before: the person's fields go, the counts stay.
UPDATE registrations SET name = '', email = NULL, phone = NULL, phone_key = NULL, accessibility = '{}', food = NULL,
                         anonymised_at = :now, updated_at = :now
WHERE id IN (
    SELECT r.id FROM registrations r JOIN events e ON e.id = r.event_id
    WHERE e.ends_at < :ended_before AND r.anonymised_at IS NULL
    LIMIT :limit
);

-- name: active_registration_with_contact
-- One registration per person and event: the same address (or phone number) counts as the same person.
-- :organisation_id: only that organisation's registrations (a representative hears of no others).
SELECT id, status FROM registrations
WHERE event_id = :event_id AND status IN ('registered', 'waiting', 'offered')
  AND (:organisation_id::uuid IS NULL OR organisation_id = :organisation_id)
  AND ((:email::text IS NOT NULL AND lower(email) = lower(:email))
       OR (:phone_key::text IS NOT NULL AND phone_key = :phone_key))
LIMIT 1;

-- name: active_contacts_among
-- Which of these addresses (lower case) and phone numbers (phone_key) already have a registration,
-- a waiting-list place or an offer for the event. :organisation_id: only that organisation's.
SELECT lower(email) AS email, phone_key, status FROM registrations
WHERE event_id = :event_id AND status IN ('registered', 'waiting', 'offered')
  AND (:organisation_id::uuid IS NULL OR organisation_id = :organisation_id)
  AND (lower(email) = ANY (:emails::text[]) OR phone_key = ANY (:phone_keys::text[]));

-- name: insert_walk_in
-- Someone added at the door: registered, with or without a way to reach them (the caller holds the
-- event's lock, so the count of places it checked still holds).
INSERT INTO registrations (id, event_id, name, email, phone, phone_key, status, registered_by, walk_in,
                           beyond_capacity)
VALUES (:id, :event_id, :name, :email, :phone, :phone_key, 'registered', :registered_by, true,
        :beyond_capacity)
RETURNING *;

-- name: active_registrations
-- Everyone an event's change concerns: with a place, an open offer, or in the queue (the caller holds
-- the event's lock).
SELECT * FROM registrations
WHERE event_id = :event_id AND status IN ('registered', 'offered', 'waiting')
ORDER BY queue_no;

-- name: count_active_created_before
-- Registrations still active that were made before :before (a change of audience warns staff of them).
SELECT count(*) FROM registrations
WHERE event_id = :event_id AND status IN ('registered', 'offered', 'waiting') AND created_at <= :before;
