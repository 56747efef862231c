-- Row-level security: the reader role sees only the rows of the tenants its
-- current transaction names, so a query that forgot its tenant condition
-- still returns nothing of another tenant. The API sets the tenants for each
-- transaction, after checking the caller's entitlements:
--
--     SELECT set_config('audit.tenant_ids', '["acme-corp"]', true);
--
-- Without the setting, or with an empty list, the reader sees no rows.
-- The policies call the function in a scalar subquery, so PostgreSQL runs it
-- once per statement rather than once per row.
-- The table owner (migrations, partition maintenance, the SECURITY DEFINER
-- ingest functions) is not subject to these policies.

-- The tenant ids of the current transaction, from the audit.tenant_ids setting
-- (a JSON array of strings). Anything else gives no tenants, so a malformed
-- setting fails closed: the reader sees no rows rather than an error or more.
CREATE FUNCTION audit.current_tenant_ids()
RETURNS text[]
LANGUAGE plpgsql
STABLE
PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    setting text := current_setting('audit.tenant_ids', true);
    parsed jsonb;
BEGIN
    IF setting IS NULL OR setting = '' THEN
        RETURN ARRAY[]::text[];
    END IF;
    parsed := setting::jsonb;
    IF jsonb_typeof(parsed) <> 'array' THEN
        RETURN ARRAY[]::text[];
    END IF;
    RETURN ARRAY(
        SELECT element #>> '{}'
        FROM jsonb_array_elements(parsed) AS element
        WHERE jsonb_typeof(element) = 'string'
    );
EXCEPTION WHEN OTHERS THEN
    RETURN ARRAY[]::text[];
END
$$;

ALTER TABLE audit.events ENABLE ROW LEVEL SECURITY;
ALTER TABLE audit.rejected_events ENABLE ROW LEVEL SECURITY;
ALTER TABLE audit.duplicate_deliveries ENABLE ROW LEVEL SECURITY;

CREATE POLICY events_of_current_tenants ON audit.events
    FOR SELECT TO audit_reader
    USING (tenant_id = ANY ((SELECT audit.current_tenant_ids())::text[]));

CREATE POLICY rejected_events_of_current_tenants ON audit.rejected_events
    FOR SELECT TO audit_reader
    USING (tenant_id = ANY ((SELECT audit.current_tenant_ids())::text[]));

CREATE POLICY duplicate_deliveries_of_current_tenants ON audit.duplicate_deliveries
    FOR SELECT TO audit_reader
    USING (tenant_id = ANY ((SELECT audit.current_tenant_ids())::text[]));

-- Row-level security covers every command, so the writer needs a policy
-- that lets it insert events of any tenant (it cannot read them back).
CREATE POLICY events_insert_by_writer ON audit.events
    FOR INSERT TO audit_writer
    WITH CHECK (true);

GRANT EXECUTE ON FUNCTION audit.current_tenant_ids() TO audit_reader;
