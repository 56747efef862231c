-- Everything the audit log service stores lives in this schema.
CREATE SCHEMA audit;

COMMENT ON SCHEMA audit IS
    'Audit log service: stored events, rejected deliveries and duplicate deliveries.';
