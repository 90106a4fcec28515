-- Addresses that bounced permanently (a DSN with a 5.x.x status, notify.bounces): no more bulk
-- email goes to them (critical email still does). One row per address, the latest bounce.
CREATE TABLE bounced_addresses (
    address    text PRIMARY KEY,  -- lower-cased, as emails are told apart
    bounced_at timestamptz NOT NULL DEFAULT now(),
    status     text,
    reason     text,
    email_id   uuid
);
