-- Where to tell the staff member who asked that their request was filled, or that a review came
-- back: their work address and the language they read the pages in, as the gateway's identity
-- gave them when they asked (NULL: asked over the bus, or before this was kept).
ALTER TABLE requests ADD COLUMN requested_by_email text;
ALTER TABLE requests ADD COLUMN requested_by_language text;
ALTER TABLE reviews ADD COLUMN submitted_by_email text;
ALTER TABLE reviews ADD COLUMN submitted_by_language text;
