-- The client address of each single sign-on attempt, so that one address cannot start unlimited
-- attempts; and indexes for the per-browser and per-address limits. Attempts in flight during the
-- upgrade have no address; they are few minutes' worth and can simply be started again.
DELETE FROM oidc_attempts;
ALTER TABLE oidc_attempts ADD COLUMN client_ip text NOT NULL;
CREATE INDEX oidc_attempts_browser_idx ON oidc_attempts (browser_hash, created_at);
CREATE INDEX oidc_attempts_client_ip_idx ON oidc_attempts (client_ip, created_at);
