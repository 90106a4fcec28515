-- The data version without one hot row (0006 made it one row, raised by a transaction's first write):
-- every writer of the service then held that row from its first write to its commit, so writers took
-- turns and no longer shared a WAL flush (the write rate fell to about a quarter), and two writers of
-- each other's rows could wait in a cycle on it (40P01, a 409 for the caller).
--
-- Now the version is the sum of a few counters (`shard`), and a transaction raises one of them once,
-- at commit (deferred constraint triggers): it holds that one row only while it commits, takes no
-- other lock after it, and writers on other connections raise other counters. A version read after
-- a commit still reflects it (the raise is part of that transaction), and the sum only grows.
ALTER TABLE data_version ADD COLUMN shard smallint NOT NULL DEFAULT 0;
ALTER TABLE data_version DROP COLUMN only_row;
ALTER TABLE data_version ADD PRIMARY KEY (shard);

-- Which counter a connection raises: its backend's, so the connections of one pool raise different
-- ones. The row is made when first needed (and again if it was deleted, so no raise is ever lost).
CREATE FUNCTION backbone_raise_data_version() RETURNS void LANGUAGE sql AS $$
    INSERT INTO data_version (shard, version) VALUES (pg_backend_pid() % 32, 1)
    ON CONFLICT (shard) DO UPDATE SET version = data_version.version + 1;
$$;

-- At commit, once per transaction: the first deferred event raises, the rest see the
-- transaction-local mark and skip. A write rolled back to a savepoint takes its queued event along.
CREATE FUNCTION backbone_bump_data_version_at_commit() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF current_setting('backbone.data_version_bumped', true) IS DISTINCT FROM 'on' THEN
        PERFORM backbone_raise_data_version();
        PERFORM set_config('backbone.data_version_bumped', 'on', true);
    END IF;
    RETURN NULL;
END
$$;

-- TRUNCATE has no rows, and constraint triggers no TRUNCATE: it raises at once (it locks the whole
-- table anyway).
CREATE OR REPLACE FUNCTION backbone_bump_data_version() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF current_setting('backbone.data_version_bumped', true) IS DISTINCT FROM 'on' THEN
        PERFORM backbone_raise_data_version();
        PERFORM set_config('backbone.data_version_bumped', 'on', true);
    END IF;
    RETURN NULL;
END
$$;

DROP FUNCTION backbone_track_data_version(regclass[]);
DROP FUNCTION backbone_bump_data_version_if_changed() CASCADE;

-- As before, a service calls this in its migrations for the tables its GET answers read:
-- SELECT backbone_track_data_version(ARRAY['meetings', 'people']::regclass[]);
-- Row triggers fire only for rows a statement changed, so an ON CONFLICT DO NOTHING that found its
-- row, or an UPDATE or DELETE that matched none, still leaves the version alone.
CREATE FUNCTION backbone_track_data_version(tables regclass[]) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    t regclass;
    event text;
BEGIN
    FOREACH t IN ARRAY tables LOOP
        FOREACH event IN ARRAY ARRAY['insert', 'update', 'delete'] LOOP
            EXECUTE format('DROP TRIGGER IF EXISTS data_version_bump_%s ON %s', event, t);
            EXECUTE format(
                'CREATE CONSTRAINT TRIGGER data_version_bump_%s AFTER %s ON %s '
                'DEFERRABLE INITIALLY DEFERRED FOR EACH ROW '
                'EXECUTE FUNCTION backbone_bump_data_version_at_commit()',
                event, upper(event), t
            );
        END LOOP;
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
        'ALTER FUNCTION backbone_raise_data_version() SET search_path = pg_catalog, %I, pg_temp',
        current_schema()
    );
    EXECUTE format(
        'ALTER FUNCTION backbone_bump_data_version_at_commit() SET search_path = pg_catalog, %I, pg_temp',
        current_schema()
    );
    EXECUTE format(
        'ALTER FUNCTION backbone_bump_data_version() SET search_path = pg_catalog, %I, pg_temp',
        current_schema()
    );
    EXECUTE format(
        'ALTER FUNCTION backbone_track_data_version(regclass[]) SET search_path = pg_catalog, %I, pg_temp',
        current_schema()
    );
END
$$;

-- The tables a service already tracks (its migrations ran before this one) get the new triggers;
-- dropping the old function above took their old insert, update and delete triggers with it.
DO $$
DECLARE
    tables regclass[];
BEGIN
    SELECT array_agg(DISTINCT t.tgrelid::regclass) INTO tables
    FROM pg_trigger t
    WHERE t.tgname = 'data_version_bump_truncate';
    IF tables IS NOT NULL THEN
        PERFORM backbone_track_data_version(tables);
    END IF;
END
$$;
