-- The data version that conditional GETs build their ETags from (conditional.py, migrations 0006 and 0007).

-- name: current_data_version
-- The sum of the counters (migration 0007); none at all (NULL) means the table was emptied.
SELECT sum(version)::bigint FROM data_version;

-- name: untracked_tables
-- The tables of the current schema whose writes do not raise the data version, leaving out
-- backbone's own (outbox, inbox, ...), which no GET answer of a service reads. A table is tracked
-- when it has all four triggers backbone_track_data_version makes: a missing one hides some writes.
SELECT c.relname AS table_name
FROM pg_class c
JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind IN ('r', 'p')
  AND n.nspname = current_schema()
  AND c.relname <> ALL (:backbone_tables::text[])
  AND (
      SELECT count(*) FROM pg_trigger t
      WHERE t.tgrelid = c.oid
        AND t.tgname IN ('data_version_bump_insert', 'data_version_bump_update',
                         'data_version_bump_delete', 'data_version_bump_truncate')
  ) < 4
ORDER BY c.relname;
