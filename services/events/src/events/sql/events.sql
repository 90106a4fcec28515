-- name: insert_event
INSERT INTO events (id, title, description_sv, description_en, kind, venue_name, venue_address,
                    accessibility_notes, starts_at, ends_at, organiser_ids, audience, audience_group_ids,
                    registration, external_url, capacity, registration_opens_at, registration_closes_at,
                    waitlist_mode, offer_hours, asks_accessibility, asks_food, reminder_minutes, copied_from)
VALUES (:id, :title, :description_sv, :description_en, :kind, :venue_name, :venue_address,
        :accessibility_notes, :starts_at, :ends_at, :organiser_ids, :audience, :audience_group_ids,
        :registration, :external_url, :capacity, :registration_opens_at, :registration_closes_at,
        :waitlist_mode, :offer_hours, :asks_accessibility, :asks_food, :reminder_minutes, :copied_from)
RETURNING *;

-- name: get_event
SELECT * FROM events WHERE id = :id;

-- name: get_event_for_representative
-- The event if a representative of :organisation_id may see it (migration 0012), else nothing.
SELECT * FROM events WHERE id = :id AND events_representative_sees(events, :organisation_id::uuid);

-- name: lock_event
-- Every change to an event's registrations takes this lock first: registrations of one event take
-- turns, so two people can never take the last place at once.
SELECT * FROM events WHERE id = :id FOR UPDATE;

-- name: update_event
UPDATE events SET
    title = :title, description_sv = :description_sv, description_en = :description_en, kind = :kind,
    venue_name = :venue_name, venue_address = :venue_address, accessibility_notes = :accessibility_notes,
    starts_at = :starts_at, ends_at = :ends_at, organiser_ids = :organiser_ids, audience = :audience,
    audience_group_ids = :audience_group_ids, registration = :registration, external_url = :external_url,
    capacity = :capacity, registration_opens_at = :registration_opens_at,
    registration_closes_at = :registration_closes_at, waitlist_mode = :waitlist_mode,
    offer_hours = :offer_hours, asks_accessibility = :asks_accessibility, asks_food = :asks_food,
    reminder_minutes = :reminder_minutes,
    status = :status, sequence = :sequence, version = version + 1, updated_at = now()
WHERE id = :id
RETURNING *;

-- name: set_event_status
UPDATE events SET status = :status, sequence = :sequence, cancel_reason = :cancel_reason,
                  version = version + 1, updated_at = now()
WHERE id = :id
RETURNING *;

-- name: list_events
-- Staff's list: every status, optionally from a time on and for one organiser. :restricted: a
-- representative's list, by the rule of events_representative_sees (migration 0012) for their
-- organisation (:viewer_organisation_id, may be NULL).
SELECT *, count(*) OVER () AS total,
       (SELECT count(*) FROM registrations r
        WHERE r.event_id = events.id AND r.status IN ('registered', 'offered')) AS holding
FROM events
WHERE (:start::timestamptz IS NULL OR ends_at >= :start)
  AND (:status::text IS NULL OR status = :status)
  AND (:organisation_id::uuid IS NULL OR :organisation_id = ANY (organiser_ids))
  AND (NOT :restricted::boolean OR events_representative_sees(events, :viewer_organisation_id::uuid))
ORDER BY starts_at, id
LIMIT :limit OFFSET :offset;

-- name: list_public_events
-- What anyone may see: published, changed and cancelled events for the public, not yet over.
SELECT *, count(*) OVER () AS total,
       (SELECT count(*) FROM registrations r
        WHERE r.event_id = events.id AND r.status IN ('registered', 'offered')) AS holding
FROM events
WHERE audience = 'public' AND status <> 'draft' AND ends_at >= :start
  AND (:organisation_id::uuid IS NULL OR :organisation_id = ANY (organiser_ids))
ORDER BY starts_at, id
LIMIT :limit OFFSET :offset;

-- name: feed_event_keys
-- A feed: public events that are not drafts, from a while back on. Cancelled ones stay, as
-- STATUS:CANCELLED, so calendars remove them instead of keeping a stale copy. One row: each event's
-- key (its id and row version: xmin changes with every write of the row) in the feed's order (no date: an event
-- that leaves the feed takes its date with it, so only the keys tell); the events whose entries are not written yet are read by feed_events_by_id.
SELECT coalesce(string_agg(id::text || '/' || xmin::text, ',' ORDER BY starts_at, id), '') AS keys
FROM events
WHERE audience = 'public' AND status <> 'draft' AND ends_at >= :since
  AND (:organisation_id::uuid IS NULL OR :organisation_id = ANY (organiser_ids));

-- name: feed_events_by_id
-- Events of a feed with the columns an entry is written from (events.feeds.FIELDS), and their key.
SELECT id, created_at, updated_at, sequence, starts_at, ends_at, title, description_sv, status, cancel_reason,
       venue_name, venue_address, external_url, kind, audience,
       id::text || '/' || xmin::text AS key
FROM events
WHERE id = ANY (:ids::uuid[])
ORDER BY starts_at, id;

-- name: feed_version
-- What kept feeds are written from (migration 0010); 0 before any event was written.
SELECT coalesce(sum(version), 0)::bigint FROM feed_version;

-- name: insert_change
INSERT INTO event_changes (event_id, change, before, after, changed_by)
VALUES (:event_id, :change, :before, :after, :changed_by);

-- name: list_changes
SELECT * FROM event_changes WHERE event_id = :event_id ORDER BY id;

-- name: last_change_of_kind
SELECT max(changed_at) FROM event_changes WHERE event_id = :event_id AND change = :change;
