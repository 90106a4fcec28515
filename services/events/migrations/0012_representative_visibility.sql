-- Which events an organisation's representative may see, as one rule for every place that shows them:
-- the staff side's list and event pages (sql/events.sql) and the organisation's private feed
-- (sql/feed_tokens.sql). Not drafts; public events, and the events their organisation organises that
-- are not for staff only (a staff-only event is for staff, whoever organises it).
CREATE FUNCTION events_representative_sees(e events, organisation_id uuid) RETURNS boolean
LANGUAGE sql STABLE AS $$
    SELECT e.status <> 'draft'
           AND (e.audience = 'public'
                OR (e.audience <> 'staff' AND coalesce(organisation_id = ANY (e.organiser_ids), false)));
$$;
