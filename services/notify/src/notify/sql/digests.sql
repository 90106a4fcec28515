-- name: hold_digest_item
INSERT INTO digest_items (id, address, recipient, frequency, category, template, cause_event_id, language,
    subject, body_text, body_html)
SELECT :id, :address, :recipient, :frequency, :category, :template, :cause_event_id, :language,
       :subject, :body_text, :body_html
-- Queued once as an email of its own (the person chose "at once" then): never in a digest as well.
WHERE NOT EXISTS (SELECT 1 FROM emails WHERE id = :id)
ON CONFLICT (id) DO NOTHING;

-- name: held_against_choice
-- Held items whose person has chosen otherwise for their category since (no choice: at once):
-- switched off, at once, or the other digest. Locked, so two workers do not both act on one.
SELECT i.id, i.recipient, i.frequency, i.category, i.template, i.cause_event_id, i.language, i.subject,
       i.body_text, i.body_html, coalesce(c.choice, 'immediately') AS choice
FROM digest_items i LEFT JOIN category_choices c ON c.address = i.address AND c.category = i.category
WHERE i.digest_email_id IS NULL AND coalesce(c.choice, 'immediately') <> i.frequency
ORDER BY i.created_at, i.id
LIMIT :limit
FOR UPDATE OF i SKIP LOCKED;

-- name: drop_digest_item
DELETE FROM digest_items WHERE id = :id;

-- name: move_digest_item
UPDATE digest_items SET frequency = :frequency WHERE id = :id;

-- name: waiting_digests
-- Who has items waiting, by frequency, with the time their digests go out.
SELECT DISTINCT i.address, i.frequency,
       coalesce(s.digest_hour, :default_hour) AS digest_hour,
       coalesce(s.digest_weekday, :default_weekday) AS digest_weekday
FROM digest_items i LEFT JOIN recipient_settings s ON s.address = i.address
WHERE i.digest_email_id IS NULL;

-- name: take_digest_items
-- The items held before this digest's time (:before), locked so two workers cannot both send them.
SELECT id, recipient, category, template, language, subject, body_text, created_at
FROM digest_items
WHERE address = :address AND frequency = :frequency AND digest_email_id IS NULL AND created_at < :before
ORDER BY created_at, id
FOR UPDATE SKIP LOCKED;

-- name: mark_digest_items
UPDATE digest_items SET digest_email_id = :digest_email_id WHERE id = ANY(:ids::uuid[]);

-- name: prune_digest_items
-- Items whose digest went out more than :older_than_seconds ago (as sent emails are deleted).
WITH gone AS (
    DELETE FROM digest_items
    WHERE id IN (
        SELECT id FROM digest_items
        WHERE digest_email_id IS NOT NULL AND created_at < now() - make_interval(secs => :older_than_seconds)
        LIMIT :limit
    )
    RETURNING 1
)
SELECT count(*) FROM gone;
