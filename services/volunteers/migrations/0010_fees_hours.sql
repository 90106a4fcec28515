-- Hourly fees per pool with the dates they apply, and hours worked per assignment.

-- A fee applies from valid_from to valid_until (both days included; NULL: until further notice).
-- Two periods of one pool never overlap, so every day has at most one fee. A fee is never re-priced:
-- to change it, end the period and start a new one, so what was paid can always be worked out again.
CREATE TABLE pool_fees (
    id           uuid PRIMARY KEY,
    pool_id      uuid NOT NULL REFERENCES pools (id),
    hourly_fee   numeric(10, 2) NOT NULL CHECK (hourly_fee >= 0),
    valid_from   date NOT NULL,
    valid_until  date,
    created_by   text NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    CHECK (valid_until IS NULL OR valid_until >= valid_from),
    -- The last guard against overlapping periods, whatever the order of two writers.
    CONSTRAINT pool_fees_no_overlap EXCLUDE USING gist (
        pool_id WITH =, daterange(valid_from, valid_until, '[]') WITH &&
    )
);

-- Hours worked: per assignment, or per review assignment (0011). Logged by staff (approved at
-- once) or proposed by the volunteer through a signed link and approved by staff.
-- volunteer_id and pool_id are copied from the assignment: the fee report reads them without
-- joins, and after an erasure they are all that is left of the person (a pseudonym, see rights).
CREATE TABLE hours (
    id              uuid PRIMARY KEY,
    assignment_id   uuid REFERENCES assignments (id),
    volunteer_id    uuid NOT NULL REFERENCES volunteers (id),
    pool_id         uuid NOT NULL REFERENCES pools (id),
    -- The local day the work was done: it decides the month and the fee.
    work_date       date NOT NULL,
    minutes         integer NOT NULL CHECK (minutes > 0 AND minutes <= 24 * 60),
    note            text NOT NULL DEFAULT '',
    status          text NOT NULL CHECK (status IN ('proposed', 'approved', 'rejected')),
    proposed_by     text NOT NULL CHECK (proposed_by IN ('staff', 'volunteer')),
    logged_by       text,
    decided_by      text,
    decided_at      timestamptz,
    reject_reason   text,
    version         integer NOT NULL DEFAULT 1,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now()
);
-- One standing (proposed or approved) entry per assignment: a second is a correction, not more pay.
CREATE UNIQUE INDEX hours_one_per_assignment ON hours (assignment_id)
    WHERE assignment_id IS NOT NULL AND status <> 'rejected';
CREATE INDEX hours_report ON hours (work_date, pool_id) WHERE status = 'approved';
CREATE INDEX hours_volunteer ON hours (volunteer_id);
CREATE INDEX hours_waiting ON hours (created_at) WHERE status = 'proposed';

SELECT backbone_track_data_version(ARRAY['pool_fees', 'hours']::regclass[]);
