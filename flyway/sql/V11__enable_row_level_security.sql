-- Row-level security: the reader role sees only the rows of the tenants its
-- current transaction names, so a query that forgot its tenant condition
-- still returns nothing of another tenant. The API sets the tenants for each
-- transaction, after checking the caller's entitlements:
--
--     SELECT set_config('audit.tenant_ids', '["acme-corp"]', true);
--
-- Without the setting, or with an empty list, the reader sees no rows.
-- The table owner (migrations, partition maintenance, the SECURITY DEFINER
-- ingest functions) is not subject to these policies.

-- The tenant ids of the current transaction, from the audit.tenant_ids setting
-- (a JSON array of strings); empty when the setting is missing or invalid.
CREATE FUNCTION audit.current_tenant_ids()
RETURNS text[]
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    setting text := current_setting('audit.tenant_ids', true);
BEGIN
    IF setting IS NULL OR setting = '' THEN
        RETURN ARRAY[]::text[];
    END IF;
    RETURN ARRAY(SELECT jsonb_array_elements_text(setting::jsonb));
EXCEPTION WHEN invalid_text_representation OR invalid_parameter_value
    OR cannot_coerce OR wrong_object_type THEN
    -- Not a JSON array of strings: treat as no tenants rather than failing open.
    RETURN ARRAY[]::text[];
END
$$;

ALTER TABLE audit.events ENABLE ROW LEVEL SECURITY;
ALTER TABLE audit.rejected_events ENABLE ROW LEVEL SECURITY;
ALTER TABLE audit.duplicate_deliveries ENABLE ROW LEVEL SECURITY;

CREATE POLICY events_of_current_tenants ON audit.events
    FOR SELECT TO audit_reader
    USING (tenant_id = ANY (audit.current_tenant_ids()));

CREATE POLICY rejected_events_of_current_tenants ON audit.rejected_events
    FOR SELECT TO audit_reader
    USING (tenant_id = ANY (audit.current_tenant_ids()));

CREATE POLICY duplicate_deliveries_of_current_tenants ON audit.duplicate_deliveries
    FOR SELECT TO audit_reader
    USING (tenant_id = ANY (audit.current_tenant_ids()));

-- Row-level security covers every command, so the writer needs a policy
-- that lets it insert events of any tenant (it cannot read them back).
CREATE POLICY events_insert_by_writer ON audit.events
    FOR INSERT TO audit_writer
    WITH CHECK (true);

GRANT EXECUTE ON FUNCTION audit.current_tenant_ids() TO audit_reader;
