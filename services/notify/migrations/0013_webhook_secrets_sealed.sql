-- Webhook secrets are sealed at rest from now on (notify.webhooks.sealing): AES-GCM under a key of
-- NOTIFY_WEBHOOKS_SECRET_KEYS, stored as `enc1:<key id>:<base64>`. SQL cannot do AES-GCM, so the rows
-- made before this are sealed by notify itself: the `webhook-reseal` worker seals every secret still
-- in plain text at start (and, every hour after, moves secrets sealed under a retired key to the
-- current one). Until then a plain `whsec_` value still signs, so nothing stops in between.
COMMENT ON COLUMN webhook_endpoints.secret IS
    'Sealed: enc1:<key id>:<base64 of nonce and AES-GCM ciphertext>, bound to the endpoint id';
COMMENT ON COLUMN webhook_endpoints.previous_secret IS
    'Sealed like secret; signs beside it until previous_secret_until';
