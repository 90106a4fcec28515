-- A stream made anew numbers its messages from 1 again, so (consumer, stream, stream_seq) alone
-- could name an old dead letter: a new one reopened it (perhaps discarded) with the old payload, and
-- a replay ran the old message. The message's content is part of the key now: the same message
-- dead-lettered again is still one row, a different one at the same place is a row of its own.
ALTER TABLE dead_letters DROP CONSTRAINT dead_letters_consumer_stream_stream_seq_key;
CREATE UNIQUE INDEX dead_letters_message ON dead_letters (consumer, stream, stream_seq, sha256(data));
