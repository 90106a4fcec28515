-- Conditional GETs (backbone.conditional), as in the other services: every write to a table a GET
-- answer reads raises the service's data version, so no 304 can hide a change. The start page asks
-- for the failing-deliveries card on every visit; a 304 spares notify the query and the JSON. A
-- table added later is tracked in the migration that adds it (test_delivery_log.py finds one that
-- is not).
SELECT backbone_track_data_version(ARRAY[
    'emails', 'event_calendar', 'event_registrants', 'meeting_calendar', 'delivery_attempts',
    'recipient_settings', 'category_choices', 'digest_items', 'webhook_endpoints', 'webhook_messages',
    'webhook_attempts', 'webhook_registrations', 'rights_answers', 'bounced_addresses',
    'webhook_event_audiences'
]::regclass[]);
