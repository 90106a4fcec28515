-- Plain-language reviews: a text staff want reviewed, the reviewers it went to, their answers.

CREATE TABLE reviews (
    id             uuid PRIMARY KEY,
    pool_id        uuid NOT NULL REFERENCES pools (id),
    kind           text NOT NULL CHECK (kind IN ('letter_template', 'brochure', 'web_page')),
    title          text NOT NULL,
    original_text  text NOT NULL,
    original_lix   numeric(6, 2) NOT NULL,
    deadline       date NOT NULL,
    -- 'open': with reviewers; 'returned': at least one answer came; 'accepted' / 'rejected': decided.
    status         text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'returned', 'accepted', 'rejected')),
    decided_by     text,
    decided_at     timestamptz,
    decision_reason text,
    accepted_reviewer_id uuid,
    submitted_by   text NOT NULL,
    submitted_by_name text,
    version        integer NOT NULL DEFAULT 1,
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX reviews_status ON reviews (status, deadline);

-- One row per reviewer the text went to, and what they sent back.
CREATE TABLE review_reviewers (
    id              uuid PRIMARY KEY,
    review_id       uuid NOT NULL REFERENCES reviews (id),
    volunteer_id    uuid NOT NULL REFERENCES volunteers (id),
    status          text NOT NULL DEFAULT 'assigned' CHECK (status IN ('assigned', 'returned')),
    comments        text,
    suggested_text  text,
    suggested_lix   numeric(6, 2),
    returned_at     timestamptz,
    created_at      timestamptz NOT NULL DEFAULT now(),
    UNIQUE (review_id, volunteer_id)
);
CREATE INDEX review_reviewers_volunteer ON review_reviewers (volunteer_id);

-- Hours on a review feed the fee report like hours on an assignment.
ALTER TABLE hours ADD COLUMN review_reviewer_id uuid REFERENCES review_reviewers (id);
ALTER TABLE hours ADD CONSTRAINT hours_for_something CHECK (
    (assignment_id IS NULL) <> (review_reviewer_id IS NULL)
);
CREATE UNIQUE INDEX hours_one_per_review ON hours (review_reviewer_id)
    WHERE review_reviewer_id IS NOT NULL AND status <> 'rejected';

SELECT backbone_track_data_version(ARRAY['reviews', 'review_reviewers']::regclass[]);
