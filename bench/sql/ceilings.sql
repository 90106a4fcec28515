-- The ceiling's stand-in for a domain table: one row per transaction, like a meeting.
-- name: create_items
CREATE TABLE IF NOT EXISTS ceiling_items (
    id          uuid PRIMARY KEY,
    title       text        NOT NULL,
    starts_at   timestamptz NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now()
);

-- name: insert_item
INSERT INTO ceiling_items (id, title, starts_at) VALUES ($1, $2, now());

-- name: insert_outbox_row
INSERT INTO outbox (event_id, subject, aggregate, envelope) VALUES ($1, $2, $3, $4);

