-- A group role for the operator's redrive tool (scripts/redrive.py). After a
-- fix, the tool reads rejected deliveries of every tenant and sends each raw
-- body to the ingest queue again. Then it deletes the row, so a body that is
-- rejected once more comes back as a new row instead of being counted twice.
--
--   audit_redriver  reads and deletes audit.rejected_events, nothing else.
--
-- Roles are cluster-wide, so create it only where it does not exist yet.
DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = 'audit_redriver') THEN
        CREATE ROLE audit_redriver NOLOGIN;
    END IF;
END
$$;

GRANT USAGE ON SCHEMA audit TO audit_redriver;
GRANT SELECT, DELETE ON audit.rejected_events TO audit_redriver;

-- Row-level security is on for the table (V11). The redrive tool works across
-- tenants, and it must reach rejections without a tenant (unparseable bodies).
CREATE POLICY rejected_events_for_redrive ON audit.rejected_events
    FOR ALL TO audit_redriver
    USING (true);
