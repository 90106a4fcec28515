-- Indexes the staff pages need at a real volume (bench/pages.py: 10,000 meetings, 2,000 people).
-- The roll call matches invitees to people by address in any case: without this, two sequential
-- scans of people per invitee.
CREATE INDEX people_email_lower ON people (lower(email));
-- A meeting's page lists its action items.
CREATE INDEX action_items_meeting ON action_items (meeting_id);
