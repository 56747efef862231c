-- Group roles for the two kinds of clients. Login roles (one per function,
-- with passwords in Secrets Manager) are created per environment and made
-- members of these; no password belongs in a migration.
--
--   audit_writer  the subscriber: inserts events (all columns but
--                 ingested_at); records rejections and duplicates only
--                 through the functions of V8; reads no table.
--   audit_reader  the query API: reads events, rejections and duplicate
--                 counts, writes nothing.
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

-- Every column but ingested_at, which keeps its default: the time of storing.
GRANT INSERT (
    tenant_id, event_id, occurred_at, source, detail_type, action, outcome,
    actor_type, actor_id, actor_name, actor_ip, actor_user_agent,
    target_type, target_id, target_name, changes, context, metadata,
    original, content_sha256
) ON audit.events TO audit_writer;
-- The subscriber stages each batch in a temporary table before one INSERT.
GRANT TEMPORARY ON DATABASE "${flyway:database}" TO audit_writer;

GRANT SELECT ON audit.events, audit.rejected_events, audit.duplicate_deliveries TO audit_reader;
