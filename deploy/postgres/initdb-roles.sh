#!/bin/sh
# docker compose: the postgres image runs this once, when it creates the database. It makes
# the schema's owner "sunshine" (migrations) and, with roles.sql, the runtime role
# "sunshine_app" (the app); their passwords come from deploy/.env.
set -eu
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" \
    -v owner_password="$POSTGRES_OWNER_PASSWORD" -v app_password="$POSTGRES_APP_PASSWORD" <<'SQL'
CREATE ROLE sunshine LOGIN PASSWORD :'owner_password';
ALTER DATABASE sunshine OWNER TO sunshine;
\i /sunshine/roles.sql
ALTER ROLE sunshine_app PASSWORD :'app_password';
SQL
