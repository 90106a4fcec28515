-- Held digest items keep their HTML: one whose person has switched to "at once" since it was held
-- goes out as the email it would have been.
ALTER TABLE digest_items ADD COLUMN body_html text;

-- The delivery log's search: an address prefix (LIKE 'abc%' on the lower-cased address) and the
-- bounced ones, without reading the whole table.
CREATE INDEX emails_recipient_prefix ON emails (lower(recipient) text_pattern_ops);
CREATE INDEX emails_bounced ON emails (bounced_at DESC) WHERE bounced_at IS NOT NULL;

-- A version per person's settings: a preferences form opened before a later change (a one-click
-- unsubscribe in another email) must not write the old choices back.
ALTER TABLE recipient_settings ADD COLUMN version integer NOT NULL DEFAULT 1;
