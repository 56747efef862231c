-- Group roles for the two kinds of clients. Login roles (one per function,
-- with passwords in Secrets Manager) are created per environment and made
-- members of these; no password belongs in a migration.
--
--   audit_writer  the subscriber: inserts events; records rejections and
--                 duplicates only through the functions of the next
--                 migration; reads nothing.
--   audit_reader  the query API: reads events and rejections, writes nothing.
--
-- Roles are cluster-wide, so create them only where they do not exist yet.
DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = 'audit_writer') THEN
        CREATE ROLE audit_writer NOLOGIN;
    END IF;
    IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = 'audit_reader') THEN
        CREATE ROLE audit_reader NOLOGIN;
    END IF;
END
$$;

GRANT USAGE ON SCHEMA audit TO audit_writer, audit_reader;

GRANT INSERT ON audit.events TO audit_writer;
-- The subscriber stages each batch in a temporary table before one INSERT.
GRANT TEMPORARY ON DATABASE "${flyway:database}" TO audit_writer;

GRANT SELECT ON audit.events, audit.rejected_events TO audit_reader;
