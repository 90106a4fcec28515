-- The version of the events as the feeds show them: raised by every statement that writes `events`, in
-- its own transaction, so a feed written from one version is kept (events.feed_cache) until an event is
-- made, changed, published, cancelled or removed, and not when someone registers (the data version of
-- conditional GETs moves then too). Sharded like backbone's data version (0007): writers on different
-- connections raise different rows, so two staff saving two events do not wait for each other.
CREATE TABLE feed_version (
    shard   smallint PRIMARY KEY,
    version bigint NOT NULL
);

CREATE FUNCTION events_raise_feed_version() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO feed_version (shard, version) VALUES (pg_backend_pid() % 16, 1)
    ON CONFLICT (shard) DO UPDATE SET version = feed_version.version + 1;
    RETURN NULL;
END
$$;

-- Per statement: an UPDATE that matched no row raises it too, which costs a feed written once more,
-- never a stale one.
CREATE TRIGGER feed_version_raise AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON events
    FOR EACH STATEMENT EXECUTE FUNCTION events_raise_feed_version();

SELECT backbone_track_data_version(ARRAY['feed_version']::regclass[]);

-- The feeds read events that are not drafts, by audience, in the order they start.
CREATE INDEX events_feed ON events (audience, starts_at, id) WHERE status <> 'draft';

-- Pinned to the schema the table was made in, as backbone pins its own (backbone 0007).
DO $$
BEGIN
    EXECUTE format(
        'ALTER FUNCTION events_raise_feed_version() SET search_path = pg_catalog, %I, pg_temp',
        current_schema()
    );
END
$$;
