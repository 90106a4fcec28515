-- The data version (conditional.py): one number per service database, raised by every transaction
-- that writes the service's own tables, so an ETag built from it changes with every committed write.
--
-- One row, updated in the writing transaction: the update holds the row until commit, so writers
-- take turns on it and a version read after a commit always reflects that commit. (A sequence
-- would not: its numbers are handed out before commit, so a reader could see a later number
-- committed while an earlier one is still to come, and never see a change again.)
CREATE TABLE data_version (
    only_row boolean PRIMARY KEY DEFAULT true CHECK (only_row),
    version  bigint  NOT NULL
);
INSERT INTO data_version (version) VALUES (1);

-- Raises the version once per transaction: the first write of a transaction takes the row, the
-- rest see the transaction-local mark and skip. A savepoint rolled back undoes the mark with the
-- update, so a later write of the same transaction raises it again.
-- (The search_path is pinned below: a writer's own search_path must not decide which data_version
-- is meant, or whether one is found at all.)
CREATE FUNCTION backbone_bump_data_version() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF current_setting('backbone.data_version_bumped', true) IS DISTINCT FROM 'on' THEN
        UPDATE data_version SET version = version + 1;
        PERFORM set_config('backbone.data_version_bumped', 'on', true);
    END IF;
    RETURN NULL;
END
$$;

-- The same for INSERT, UPDATE and DELETE, when the statement changed at least one row: an
-- ON CONFLICT DO NOTHING that found its row, or an UPDATE or DELETE that matched none, leaves the
-- version alone (and takes no turn on its row). `changed` is the statement's transition table.
CREATE FUNCTION backbone_bump_data_version_if_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF current_setting('backbone.data_version_bumped', true) IS DISTINCT FROM 'on'
       AND EXISTS (SELECT FROM changed) THEN
        UPDATE data_version SET version = version + 1;
        PERFORM set_config('backbone.data_version_bumped', 'on', true);
    END IF;
    RETURN NULL;
END
$$;

-- A service calls this in its own migration for the tables its GET answers read (and again for
-- tables it adds later): SELECT backbone_track_data_version(ARRAY['meetings', 'people']::regclass[]);
-- One trigger per event, since a trigger with a transition table may have only one; TRUNCATE has
-- no rows to look at and always counts.
CREATE FUNCTION backbone_track_data_version(tables regclass[]) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    t regclass;
BEGIN
    FOREACH t IN ARRAY tables LOOP
        EXECUTE format(
            'CREATE OR REPLACE TRIGGER data_version_bump_insert AFTER INSERT ON %s '
            'REFERENCING NEW TABLE AS changed FOR EACH STATEMENT '
            'EXECUTE FUNCTION backbone_bump_data_version_if_changed()',
            t
        );
        EXECUTE format(
            'CREATE OR REPLACE TRIGGER data_version_bump_update AFTER UPDATE ON %s '
            'REFERENCING NEW TABLE AS changed FOR EACH STATEMENT '
            'EXECUTE FUNCTION backbone_bump_data_version_if_changed()',
            t
        );
        EXECUTE format(
            'CREATE OR REPLACE TRIGGER data_version_bump_delete AFTER DELETE ON %s '
            'REFERENCING OLD TABLE AS changed FOR EACH STATEMENT '
            'EXECUTE FUNCTION backbone_bump_data_version_if_changed()',
            t
        );
        EXECUTE format(
            'CREATE OR REPLACE TRIGGER data_version_bump_truncate AFTER TRUNCATE ON %s '
            'FOR EACH STATEMENT EXECUTE FUNCTION backbone_bump_data_version()',
            t
        );
    END LOOP;
END
$$;

-- Pinned to the schema the table was made in, now; pg_temp last, so no temporary table can stand in.
DO $$
BEGIN
    EXECUTE format(
        'ALTER FUNCTION backbone_bump_data_version() SET search_path = pg_catalog, %I, pg_temp',
        current_schema()
    );
    EXECUTE format(
        'ALTER FUNCTION backbone_bump_data_version_if_changed() SET search_path = pg_catalog, %I, pg_temp',
        current_schema()
    );
    EXECUTE format(
        'ALTER FUNCTION backbone_track_data_version(regclass[]) SET search_path = pg_catalog, %I, pg_temp',
        current_schema()
    );
END
$$;
