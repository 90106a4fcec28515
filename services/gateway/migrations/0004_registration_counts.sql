-- Public event registrations per client address and day (see throttle.registration_attempt), so that
-- one address cannot flood an event's list or the confirmation mail. event_id '' counts the address
-- over all events; ip is an IPv4 address or an IPv6 /64 network.
CREATE TABLE registration_counts (
    ip text NOT NULL,
    event_id text NOT NULL,
    day date NOT NULL,
    attempts integer NOT NULL,
    PRIMARY KEY (ip, event_id, day)
);
CREATE INDEX registration_counts_day_idx ON registration_counts (day);
