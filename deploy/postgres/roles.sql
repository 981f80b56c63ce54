-- Sunshine (阳光): the app's runtime role, apart from the role that owns the schema.
--
-- The owner (SUNSHINE_MIGRATION_DATABASE_URL) creates and alters the tables: `sunshine db
-- upgrade` runs as it. The runtime role (SUNSHINE_DATABASE_URL) reads and writes rows and
-- nothing else: it owns no table, so it cannot ALTER, DROP or TRUNCATE one, nor disable the
-- triggers that keep the audit log and the review records append-only.
--
-- Run it once as the database superuser, in the app's database, after the owner and the
-- database exist (deploy/README.md, part 1, step 3), then give the new role a password:
--
--   sudo -u postgres psql -d sunshine -f /opt/sunshine/deploy/postgres/roles.sql
--   sudo -u postgres psql -c '\password sunshine_app'
--
-- Names can be changed with psql variables: -v owner=sunshine -v app=sunshine_app
-- -v schema=public (the defaults). Running it again only fails on CREATE ROLE.

\set ON_ERROR_STOP on
\if :{?owner}
\else
\set owner sunshine
\endif
\if :{?app}
\else
\set app sunshine_app
\endif
\if :{?schema}
\else
\set schema public
\endif

CREATE ROLE :"app" LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION;
GRANT CONNECT ON DATABASE :"DBNAME" TO :"app";

-- Only the owner creates objects in the schema; the app uses what is there.
REVOKE CREATE ON SCHEMA :"schema" FROM PUBLIC;
GRANT USAGE ON SCHEMA :"schema" TO :"app";

-- Rows of the tables there now, and of every table and sequence the owner creates later.
-- No TRUNCATE, REFERENCES or TRIGGER: the app never needs them.
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA :"schema" TO :"app";
GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA :"schema" TO :"app";
ALTER DEFAULT PRIVILEGES FOR ROLE :"owner" IN SCHEMA :"schema"
    GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO :"app";
ALTER DEFAULT PRIVILEGES FOR ROLE :"owner" IN SCHEMA :"schema"
    GRANT USAGE, SELECT ON SEQUENCES TO :"app";
