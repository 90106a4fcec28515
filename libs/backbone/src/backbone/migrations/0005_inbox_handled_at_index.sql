-- Each consumer deletes its inbox rows older than its stream's max_age, hourly (consumer.py prune);
-- without this index every pass scanned the whole inbox.
CREATE INDEX inbox_handled_at ON inbox (consumer, handled_at);
