-- One comparable form of each phone number (events.model.phone_key: +46 for a Swedish number typed
-- from home), so that 070-111 22 33 and +46701112233 are the same person when registering twice.
ALTER TABLE registrations ADD COLUMN phone_key text;
-- Rows from before: the same rule as model.phone_key, once, in SQL.
UPDATE registrations
SET phone_key = CASE
    WHEN regexp_replace(phone, '[^0-9+]', '', 'g') LIKE '00%'
        THEN '+' || substr(regexp_replace(phone, '[^0-9+]', '', 'g'), 3)
    WHEN regexp_replace(phone, '[^0-9+]', '', 'g') LIKE '0%'
        THEN '+46' || substr(regexp_replace(phone, '[^0-9+]', '', 'g'), 2)
    ELSE regexp_replace(phone, '[^0-9+]', '', 'g')
END
WHERE phone IS NOT NULL;
CREATE INDEX registrations_event_phone ON registrations (event_id, phone_key) WHERE phone_key IS NOT NULL;
