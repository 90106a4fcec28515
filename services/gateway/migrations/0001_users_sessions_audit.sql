-- People who can sign in, their server-side sessions, sign-in throttling and the audit log.

CREATE TABLE users (
    id              uuid PRIMARY KEY,
    email           text NOT NULL,
    name            text NOT NULL,
    password_hash   text,
    roles           text[] NOT NULL DEFAULT '{}',
    organisation_id text,
    pool_ids        text[] NOT NULL DEFAULT '{}',
    oidc_subject    text UNIQUE,
    active          boolean NOT NULL DEFAULT true,
    created_at      timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX users_email_key ON users (lower(email));

-- Only a hash of the session id is stored, so a leaked table does not give working sessions.
CREATE TABLE sessions (
    id_hash      bytea PRIMARY KEY,
    user_id      uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    csrf_token   text NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    last_seen_at timestamptz NOT NULL DEFAULT now(),
    ip           text
);
CREATE INDEX sessions_user_idx ON sessions (user_id);

-- Failed sign-ins per account and address: a delay that grows, never a lock of the account.
CREATE TABLE sign_in_failures (
    email           text NOT NULL,
    ip              text NOT NULL,
    failures        integer NOT NULL,
    last_failure_at timestamptz NOT NULL,
    PRIMARY KEY (email, ip)
);

CREATE TABLE audit_log (
    id          bigserial PRIMARY KEY,
    at          timestamptz NOT NULL DEFAULT now(),
    actor_id    uuid,
    actor_email text,
    action      text NOT NULL,
    target      text,
    detail      jsonb NOT NULL DEFAULT '{}',
    ip          text
);
CREATE INDEX audit_log_at_idx ON audit_log (at DESC);

-- Single sign-on attempts in flight: state, PKCE verifier and nonce, used once.
CREATE TABLE oidc_attempts (
    state         text PRIMARY KEY,
    code_verifier text NOT NULL,
    nonce         text NOT NULL,
    next_path     text NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now()
);
