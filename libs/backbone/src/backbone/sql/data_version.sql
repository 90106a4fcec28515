-- The data version that conditional GETs build their ETags from (conditional.py, migration 0006).

-- name: current_data_version
SELECT version FROM data_version;

-- name: untracked_tables
-- The tables of the current schema whose writes do not raise the data version, leaving out
-- backbone's own (outbox, inbox, ...), which no GET answer of a service reads.
SELECT c.relname AS table_name
FROM pg_class c
JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind IN ('r', 'p')
  AND n.nspname = current_schema()
  AND c.relname <> ALL (:backbone_tables::text[])
  AND NOT EXISTS (
      SELECT 1 FROM pg_trigger t WHERE t.tgrelid = c.oid AND t.tgname = 'data_version_bump'
  )
ORDER BY c.relname;
