#!/bin/bash
# One database and one login role per service, each role owning only its own database, and no one
# else may connect to it. Run by PostgreSQL's image on a new volume (/docker-entrypoint-initdb.d);
# safe to run again, for a service added later:
#   docker compose exec postgres bash /docker-entrypoint-initdb.d/10-databases.sh
# SERVICE_DATABASES lists the services; <SERVICE>_DB_PASSWORD is each role's password.
set -euo pipefail

# Every role may connect to `postgres` and `template1` by default: there a service's role would see
# the list of databases and roles, and could take connections an operator needs. Only the
# superuser (who needs no grant) connects there. A service's migrate step connects to its own
# database, which this script makes, and never to `postgres`.
psql -v ON_ERROR_STOP=1 -U postgres -d postgres -q <<'SQL'
REVOKE CONNECT, TEMPORARY ON DATABASE postgres FROM PUBLIC;
REVOKE CONNECT, TEMPORARY ON DATABASE template1 FROM PUBLIC;
SQL

for service in ${SERVICE_DATABASES:?SERVICE_DATABASES must list the services, e.g. "meetings notify gateway"}; do
  var="${service^^}_DB_PASSWORD"
  : "${!var:?set $var: the password of the PostgreSQL role $service}"
  # The password reaches psql through its environment (\getenv), never its command line, which
  # every process listing of the container shows while this runs.
  ROLE_PASSWORD="${!var}" psql -v ON_ERROR_STOP=1 -U postgres -d postgres -q \
    -v name="$service" <<'SQL'
\getenv password ROLE_PASSWORD
SELECT format('CREATE ROLE %I LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION', :'name')
  WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = :'name') \gexec
SELECT format('ALTER ROLE %I PASSWORD %L CONNECTION LIMIT 100', :'name', :'password') \gexec
SELECT format('CREATE DATABASE %I OWNER %I', :'name', :'name')
  WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = :'name') \gexec
-- Without this every role may connect to every database (PUBLIC has CONNECT by default).
SELECT format('REVOKE ALL ON DATABASE %I FROM PUBLIC', :'name') \gexec
SELECT format('GRANT CONNECT, TEMPORARY ON DATABASE %I TO %I', :'name', :'name') \gexec
SQL
  echo "database and role $service ready"
done
