-- What each person wants, by email address (most have no account): per category, at once, in a
-- daily or weekly digest, or not at all; and when their digests go out. Addresses are kept
-- lower-cased, as emails are told apart (mailing.queue_email).
CREATE TABLE recipient_settings (
    address         text PRIMARY KEY CHECK (address = lower(address)),
    -- the hour of the day (in NOTIFY_TIMEZONE) digests go out, and the weekday (1 = Monday) of weekly ones
    digest_hour     smallint    NOT NULL DEFAULT 8 CHECK (digest_hour BETWEEN 0 AND 23),
    digest_weekday  smallint    NOT NULL DEFAULT 1 CHECK (digest_weekday BETWEEN 1 AND 7),
    updated_at      timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE category_choices (
    address     text        NOT NULL REFERENCES recipient_settings (address) ON DELETE CASCADE,
    category    text        NOT NULL,
    choice      text        NOT NULL CHECK (choice IN ('immediately', 'daily', 'weekly', 'off')),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (address, category)
);
