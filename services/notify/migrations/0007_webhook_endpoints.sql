-- Webhook endpoints that organisations register: where to send, which topics, and the secrets to sign with.
CREATE TABLE webhook_endpoints (
    id                    uuid PRIMARY KEY,
    organisation_id       uuid        NOT NULL,
    url                   text        NOT NULL,
    description           text        NOT NULL DEFAULT '',
    topics                text[]      NOT NULL,
    -- The Standard Webhooks secret (`whsec_` + base64). HMAC needs it as it is, so it cannot be hashed.
    secret                text        NOT NULL,
    -- After a rotation the old secret signs too, until `previous_secret_until`, so receivers can switch.
    previous_secret       text,
    previous_secret_until timestamptz,
    -- Who hears about it when the endpoint is disabled.
    contact_email         text        NOT NULL,
    -- The first failure since the last success; five days of that disables the endpoint.
    failing_since         timestamptz,
    disabled_at           timestamptz,
    disabled_reason       text,
    created_by            text        NOT NULL,
    created_at            timestamptz NOT NULL DEFAULT now(),
    updated_at            timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX webhook_endpoints_organisation ON webhook_endpoints (organisation_id, created_at);
-- The fan-out reads the enabled endpoints of a topic for every event.
CREATE INDEX webhook_endpoints_topics ON webhook_endpoints USING gin (topics) WHERE disabled_at IS NULL;
