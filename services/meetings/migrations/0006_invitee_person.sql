-- An invitee is the person they were when invited, not whoever has their address later: matching
-- on the address at every read let anyone who could give a person an address take over another
-- organisation's invitation (see its name and address, record its attendance).
ALTER TABLE meeting_invitees ADD COLUMN person_id uuid REFERENCES people (id) ON DELETE SET NULL;
CREATE INDEX meeting_invitees_person ON meeting_invitees (person_id);
-- The check that an address is not already an invitee's, made when a person's address is set.
CREATE INDEX meeting_invitees_email_lower ON meeting_invitees (lower(email));

-- Invitations made before this column existed: the one person who had the address when the
-- meeting was created. None when several had it, or nobody yet: the roll call then adds a person.
UPDATE meeting_invitees i
SET person_id = (
    SELECT (array_agg(p.id))[1]
    FROM people p JOIN meetings m ON m.id = i.meeting_id
    WHERE lower(p.email) = lower(i.email) AND p.created_at <= m.created_at
    HAVING count(*) = 1
);
