-- Who the volunteers service has confirmed for a request for helpers, as its assignment events tell
-- (volunteers.assignment.confirmed.v1 / .cancelled.v1): one row per assignment, so a redelivered event
-- counts once, and a cancellation lowers the count. A cancellation that arrives before its confirmation
-- (or of an assignment of a request made elsewhere) is kept without a request, and stays cancelled.
CREATE TABLE help_assignments (
    assignment_id   uuid PRIMARY KEY,
    help_request_id uuid REFERENCES help_requests (id),
    volunteer_id    uuid,
    confirmed_at    timestamptz,
    cancelled_at    timestamptz
);
CREATE INDEX help_assignments_request ON help_assignments (help_request_id) WHERE cancelled_at IS NULL;

SELECT backbone_track_data_version(ARRAY['help_assignments']::regclass[]);
