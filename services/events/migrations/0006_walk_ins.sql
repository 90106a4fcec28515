-- Walk-ins: people who did not register, added and checked in at the door. They are there, so an
-- address to reach them is not needed; `beyond_capacity` keeps the staff's decision to let someone
-- in when every place was taken.
ALTER TABLE registrations ADD COLUMN walk_in boolean NOT NULL DEFAULT false;
ALTER TABLE registrations ADD COLUMN beyond_capacity boolean NOT NULL DEFAULT false;
ALTER TABLE registrations DROP CONSTRAINT registrations_contact;
ALTER TABLE registrations ADD CONSTRAINT registrations_contact
    CHECK (anonymised_at IS NOT NULL OR walk_in OR email IS NOT NULL OR phone IS NOT NULL);
