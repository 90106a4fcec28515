-- name: choice_for
-- The person's choice for :category, or no row (then: at once).
SELECT choice FROM category_choices WHERE address = :address AND category = :category;

-- name: settings_of
SELECT address, digest_hour, digest_weekday, updated_at, version FROM recipient_settings WHERE address = :address;

-- name: lock_settings_version
-- The version a save is checked against, locked until the save commits; no row: version 0.
SELECT version FROM recipient_settings WHERE address = :address FOR UPDATE;

-- name: choices_of
SELECT category, choice FROM category_choices WHERE address = :address;

-- name: upsert_settings
INSERT INTO recipient_settings (address, digest_hour, digest_weekday)
VALUES (:address, :digest_hour, :digest_weekday)
ON CONFLICT (address) DO UPDATE
SET digest_hour = EXCLUDED.digest_hour, digest_weekday = EXCLUDED.digest_weekday, updated_at = now(),
    version = recipient_settings.version + 1;

-- name: ensure_settings
-- A row to hang choices on, keeping the digest time the person chose, if any; a new version, so a
-- form opened before this change cannot write the old choices back.
INSERT INTO recipient_settings (address) VALUES (:address)
ON CONFLICT (address) DO UPDATE SET version = recipient_settings.version + 1, updated_at = now();

-- name: upsert_choice
INSERT INTO category_choices (address, category, choice) VALUES (:address, :category, :choice)
ON CONFLICT (address, category) DO UPDATE
SET choice = EXCLUDED.choice,
    updated_at = CASE WHEN category_choices.choice = EXCLUDED.choice THEN category_choices.updated_at
                      ELSE now() END;
