-- A sign-in attempt belongs to the browser that started it: a hash of its pre-session id.
-- Attempts in flight during the upgrade have no browser and cannot be finished anyway.
DELETE FROM oidc_attempts;
ALTER TABLE oidc_attempts ADD COLUMN browser_hash bytea NOT NULL;
-- The periodic cleanup deletes by age.
CREATE INDEX oidc_attempts_created_idx ON oidc_attempts (created_at);
