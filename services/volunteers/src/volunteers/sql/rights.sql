-- name: lock_volunteer_for_rights
-- NO KEY UPDATE: rows that point here (offers, assignments, hours) only take KEY SHARE, so
-- writing them while another transaction holds this lock does not wait, and cannot deadlock.
SELECT id, name, email, phone, status FROM volunteers WHERE id = :id FOR NO KEY UPDATE;

-- name: upcoming_assignments_of
SELECT count(*) FROM assignments WHERE volunteer_id = :id AND status = 'confirmed' AND ends_at > :now;

-- name: waiting_offers_of
SELECT count(*) FROM offers WHERE volunteer_id = :id AND status = 'sent';

-- name: insert_rights_request
INSERT INTO rights_requests (id, kind, volunteer_id, services, requested_by)
VALUES (:id, :kind, :volunteer_id, :services, :requested_by)
RETURNING *;

-- name: lock_rights_request
SELECT * FROM rights_requests WHERE id = :id FOR NO KEY UPDATE;

-- name: get_rights_request
SELECT * FROM rights_requests WHERE id = :id;

-- name: insert_rights_answer
INSERT INTO rights_answers (request_id, service, status, detail, data)
VALUES (:request_id, :service, :status, :detail, :data)
ON CONFLICT (request_id, service) DO NOTHING;

-- name: rights_answers_of
SELECT service, status, detail, answered_at, data IS NOT NULL AS has_data
FROM rights_answers WHERE request_id = :request_id ORDER BY answered_at, service;

-- name: rights_answer_data
SELECT service, status, data FROM rights_answers WHERE request_id = :request_id ORDER BY service;

-- name: complete_rights_request
UPDATE rights_requests SET status = :status, completed_at = :completed_at WHERE id = :id;

-- name: list_rights_requests
SELECT r.*, (SELECT array_agg(a.service ORDER BY a.service) FROM rights_answers a WHERE a.request_id = r.id) AS answered,
       count(*) OVER () AS total
FROM rights_requests r
WHERE (:status::text IS NULL OR r.status = :status)
  AND (:volunteer_id::uuid IS NULL OR r.volunteer_id = :volunteer_id)
ORDER BY r.created_at DESC, r.id
LIMIT :limit OFFSET :offset;

-- Everything held about one volunteer, for an export (one query per part).

-- name: export_volunteer
SELECT * FROM volunteers WHERE id = :id;

-- name: export_weekly
SELECT weekday, starts, ends FROM availability_weekly WHERE volunteer_id = :id ORDER BY weekday, starts;

-- name: export_exceptions
SELECT starts_at, ends_at, available, note FROM availability_exceptions WHERE volunteer_id = :id ORDER BY starts_at;

-- name: export_qualifications
SELECT key, kind, completed_on, expires_on, note, created_at FROM qualifications WHERE volunteer_id = :id ORDER BY created_at;

-- name: export_consents
SELECT purpose, text_version, given_at, given_how, withdrawn_at, withdrawn_how FROM consents
WHERE volunteer_id = :id ORDER BY given_at;

-- name: export_memberships
SELECT p.name AS pool, m.status, m.joined_at, m.left_at FROM pool_memberships m JOIN pools p ON p.id = m.pool_id
WHERE m.volunteer_id = :id ORDER BY m.created_at;

-- name: export_offers
SELECT o.id, p.name AS pool, r.starts_at, r.ends_at, r.place, o.status, o.sent_at, o.answered_at, o.reason
FROM offers o JOIN requests r ON r.id = o.request_id JOIN pools p ON p.id = r.pool_id
WHERE o.volunteer_id = :id ORDER BY o.sent_at;

-- name: export_assignments
SELECT a.id, p.name AS pool, a.starts_at, a.ends_at, a.status, a.cancelled_at, a.cancel_reason
FROM assignments a JOIN pools p ON p.id = a.pool_id
WHERE a.volunteer_id = :id ORDER BY a.starts_at;

-- name: export_hours
SELECT h.id, p.name AS pool, h.work_date, h.minutes, h.note, h.status, h.proposed_by, h.reject_reason
FROM hours h JOIN pools p ON p.id = h.pool_id
WHERE h.volunteer_id = :id ORDER BY h.work_date, h.created_at;

-- name: export_reviews
SELECT r.title, r.kind, r.deadline, rr.status, rr.comments, rr.suggested_text, rr.suggested_lix, rr.returned_at
FROM review_reviewers rr JOIN reviews r ON r.id = rr.review_id
WHERE rr.volunteer_id = :id ORDER BY rr.created_at;

-- name: export_rights_requests
SELECT id, kind, status, created_at, completed_at FROM rights_requests WHERE volunteer_id = :id ORDER BY created_at;

-- Erasure: what accounting must keep (hours and fees under the volunteer's id, which names
-- nobody once the profile is gone) stays; everything else that says who they are goes.

-- name: erase_volunteer_profile
UPDATE volunteers
SET name = 'Raderad', email = NULL, phone = NULL, languages = '{}', areas = '{}', does_not_want = '',
    client_units = '{}', status = 'erased', version = version + 1, updated_at = now()
WHERE id = :id;

-- name: erase_weekly
DELETE FROM availability_weekly WHERE volunteer_id = :id;

-- name: erase_exceptions
DELETE FROM availability_exceptions WHERE volunteer_id = :id;

-- name: erase_qualifications
DELETE FROM qualifications WHERE volunteer_id = :id;

-- name: erase_memberships
UPDATE pool_memberships SET status = 'left', left_at = coalesce(left_at, now()), updated_at = now()
WHERE volunteer_id = :id;

-- name: erase_offer_reasons
UPDATE offers SET reason = '' WHERE volunteer_id = :id;

-- name: erase_assignment_reasons
UPDATE assignments SET cancel_reason = NULL WHERE volunteer_id = :id;

-- name: erase_hours_texts
UPDATE hours SET note = '', reject_reason = NULL WHERE volunteer_id = :id;

-- name: erase_review_texts
UPDATE review_reviewers SET comments = NULL, suggested_text = NULL WHERE volunteer_id = :id;

-- name: erasure_asked_for
SELECT EXISTS (SELECT 1 FROM volunteers WHERE id = :volunteer_id AND status = 'erased')
    OR EXISTS (SELECT 1 FROM rights_requests WHERE volunteer_id = :volunteer_id AND kind = 'erasure');

-- name: withdraw_open_reviews_of
-- A review not yet returned is taken back: its link must not collect the person's words again.
DELETE FROM review_reviewers WHERE volunteer_id = :id AND status = 'assigned';

-- name: erase_export_answers
UPDATE rights_answers SET data = NULL
WHERE request_id IN (SELECT id FROM rights_requests WHERE volunteer_id = :id);

-- name: erase_published_events_naming
-- Events already published about the person (offers, reviews sent to them). Only published
-- ones: an event still to go out is swept when the request completes. Every such event carries
-- the volunteer's id as a JSON string; matching that exactly cannot take another person's events,
-- as matching names did ("Ann Berg" within "Ann Bergström").
DELETE FROM outbox
WHERE published_at IS NOT NULL
  AND (:keep::uuid IS NULL OR event_id <> :keep)
  AND strpos(envelope::text, '"' || (:volunteer_id::uuid)::text || '"') > 0;

-- name: rights_request_event
SELECT event_id, envelope::text AS envelope, published_at FROM outbox
WHERE aggregate = :aggregate AND subject = :subject
ORDER BY id LIMIT 1;

-- name: delete_rights_request_events
-- The request and every time it was asked again: each names the person.
DELETE FROM outbox WHERE aggregate = :aggregate AND subject = :subject;

-- name: delete_failed_rights_answers
DELETE FROM rights_answers WHERE request_id = :request_id AND status = 'failed' RETURNING service;

-- name: reopen_rights_request
UPDATE rights_requests SET status = 'waiting', completed_at = NULL WHERE id = :id;
