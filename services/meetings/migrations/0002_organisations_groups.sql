-- Organisations, people and groups: the meetings service owns them (see the service README).
CREATE TABLE organisations (
    id          uuid PRIMARY KEY,
    name        text NOT NULL,
    kind        text NOT NULL DEFAULT 'user_organisation'
                CHECK (kind IN ('municipal', 'user_organisation', 'other')),
    version     integer NOT NULL DEFAULT 1,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX organisations_name ON organisations (lower(name));

CREATE TABLE people (
    id               uuid PRIMARY KEY,
    name             text NOT NULL,
    email            text,
    organisation_id  uuid REFERENCES organisations (id),
    version          integer NOT NULL DEFAULT 1,
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX people_organisation ON people (organisation_id);
CREATE INDEX people_name ON people (lower(name));

CREATE TABLE groups (
    id               uuid PRIMARY KEY,
    name             text NOT NULL,
    kind             text NOT NULL CHECK (kind IN ('joint_development', 'management', 'working_group')),
    description      text,
    parent_group_id  uuid REFERENCES groups (id),
    created_at       timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX groups_name ON groups (lower(name));

CREATE TABLE group_members (
    group_id         uuid NOT NULL REFERENCES groups (id),
    person_id        uuid NOT NULL REFERENCES people (id),
    organisation_id  uuid REFERENCES organisations (id),
    role             text NOT NULL DEFAULT 'member' CHECK (role IN ('member', 'chair', 'minute_taker')),
    joined_at        timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (group_id, person_id)
);
CREATE INDEX group_members_person ON group_members (person_id);
