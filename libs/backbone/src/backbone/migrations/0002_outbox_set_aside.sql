-- Rows the relay can never publish (bigger than the NATS server's max_payload, or refused for good
-- by JetStream) are set aside, with when and why, so the rows behind them still go out. They stay
-- until an operator deals with them: `python -m backbone.deadletters set-aside --database-url URL`.
ALTER TABLE outbox
    ADD COLUMN set_aside_at     timestamptz,
    ADD COLUMN set_aside_reason text;

DROP INDEX outbox_unpublished;
CREATE INDEX outbox_unpublished ON outbox (id) WHERE published_at IS NULL AND set_aside_at IS NULL;
CREATE INDEX outbox_set_aside ON outbox (id) WHERE set_aside_at IS NOT NULL;
