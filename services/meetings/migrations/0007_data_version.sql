-- Conditional GETs (backbone.conditional): every write to a table a GET answer reads raises the
-- service's data version, so no 304 can hide a change. A table added later is tracked in the
-- migration that adds it (tests/integration/test_conditional_gets.py finds one that is not).
SELECT backbone_track_data_version(ARRAY[
    'organisations', 'people', 'groups', 'group_members', 'series', 'meetings', 'meeting_invitees',
    'agenda_items', 'attendance', 'minutes', 'action_items', 'imports'
]::regclass[]);
