-- Functions through which the subscriber (audit_writer) settles a batch
-- without being able to read or change stored events. They run with the
-- owner's rights (SECURITY DEFINER) and touch only the rows their
-- arguments name. Lists arrive as jsonb arrays: unlike text[] literals,
-- JSON keeps the string "null" apart from a missing value.
--
-- What the writer can learn through them is whether an event key exists,
-- which INSERT ... ON CONFLICT DO NOTHING reveals anyway through its row
-- count, and whether a stored event has a content hash it already knows.

-- Oldest occurred_at the database still keeps: now minus pg_partman's
-- retention interval, or NULL when retention is off. Older events would be
-- deleted by the next maintenance run, so the subscriber rejects them.
CREATE FUNCTION audit.retention_cutoff()
RETURNS timestamptz
LANGUAGE sql
STABLE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT now() - retention::interval
    FROM partman.part_config
    WHERE parent_table = 'audit.events'
$$;

-- Classify the rows that a batch just tried to insert with
-- INSERT ... ON CONFLICT DO NOTHING, in the same transaction:
--   stored     the row was inserted by the current transaction
--   duplicate  a row with this key and the same content hash already existed
--   conflict   a row with this key but different content already existed
--   expired    no row: the insert skipped it as older than retention_cutoff()
--   missing    no row for another reason (should not happen)
-- NOTE: "stored" compares the row's xmin with the current top-level
-- transaction id, so the caller must insert outside any savepoint.
CREATE FUNCTION audit.classify_staged_events(
    p_ordinals       integer[],
    p_tenant_ids     text[],
    p_event_ids      text[],
    p_occurred_ats   timestamptz[],
    p_content_sha256 bytea[]
)
RETURNS TABLE (ordinal integer, status text)
LANGUAGE sql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT staged.ordinal,
           CASE
               WHEN stored.event_id IS NOT NULL AND stored.xmin = pg_current_xact_id()::xid
                   THEN 'stored'
               WHEN stored.content_sha256 = staged.content_sha256 THEN 'duplicate'
               WHEN stored.event_id IS NOT NULL THEN 'conflict'
               WHEN staged.occurred_at < audit.retention_cutoff() THEN 'expired'
               ELSE 'missing'
           END
    FROM unnest(p_ordinals, p_tenant_ids, p_event_ids, p_occurred_ats, p_content_sha256)
             AS staged (ordinal, tenant_id, event_id, occurred_at, content_sha256)
    LEFT JOIN audit.events AS stored
           ON stored.tenant_id = staged.tenant_id
          AND stored.occurred_at = staged.occurred_at
          AND stored.event_id = staged.event_id
$$;

-- Count redeliveries of stored events, one row per event key. p_deliveries is
-- a jsonb array of {"tenant_id", "event_id", "occurred_at", "message_id"};
-- keys that match no stored event are ignored.
CREATE FUNCTION audit.record_duplicate_deliveries(p_deliveries jsonb)
RETURNS void
LANGUAGE sql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
    INSERT INTO audit.duplicate_deliveries AS existing
        (tenant_id, event_id, occurred_at, last_message_id, seen_count)
    SELECT delivery.tenant_id, delivery.event_id, delivery.occurred_at,
           max(delivery.message_id), count(*)
    FROM jsonb_to_recordset(p_deliveries)
             AS delivery (tenant_id text, event_id text, occurred_at timestamptz, message_id text)
    WHERE EXISTS (
        SELECT FROM audit.events AS stored
        WHERE stored.tenant_id = delivery.tenant_id
          AND stored.occurred_at = delivery.occurred_at
          AND stored.event_id = delivery.event_id
    )
    GROUP BY delivery.tenant_id, delivery.event_id, delivery.occurred_at
    ON CONFLICT ON CONSTRAINT duplicate_deliveries_pkey DO UPDATE
        SET last_message_id = excluded.last_message_id,
            last_seen_at    = now(),
            seen_count      = existing.seen_count + excluded.seen_count
$$;

-- Keep deliveries that can never be stored, one row per (body, reason).
-- p_rejections is a jsonb array of {"reason", "message", "raw_body",
-- "tenant_id", "event_id", "source", "message_id"}.
CREATE FUNCTION audit.record_rejected_events(p_rejections jsonb)
RETURNS void
LANGUAGE sql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
    WITH delivery AS (
        SELECT rejected.*, sha256(convert_to(rejected.raw_body, 'UTF8')) AS body_sha256
        FROM jsonb_to_recordset(p_rejections)
                 AS rejected (reason text, message text, raw_body text, tenant_id text,
                              event_id text, source text, message_id text)
    ),
    per_body AS (
        SELECT DISTINCT ON (body_sha256, reason) delivery.*,
               count(*) OVER (PARTITION BY body_sha256, reason) AS deliveries
        FROM delivery
        ORDER BY body_sha256, reason, message_id DESC
    )
    INSERT INTO audit.rejected_events AS existing
        (reason, message, raw_body, body_sha256, tenant_id, event_id, source,
         last_message_id, seen_count)
    SELECT reason, message, raw_body, body_sha256, tenant_id, event_id, source,
           message_id, deliveries
    FROM per_body
    ON CONFLICT ON CONSTRAINT rejected_events_body_reason_key DO UPDATE
        SET message         = excluded.message,
            last_message_id = excluded.last_message_id,
            last_seen_at    = now(),
            seen_count      = existing.seen_count + excluded.seen_count
$$;

REVOKE ALL ON FUNCTION
    audit.retention_cutoff(),
    audit.classify_staged_events(integer[], text[], text[], timestamptz[], bytea[]),
    audit.record_duplicate_deliveries(jsonb),
    audit.record_rejected_events(jsonb)
FROM PUBLIC;

GRANT EXECUTE ON FUNCTION
    audit.retention_cutoff(),
    audit.classify_staged_events(integer[], text[], text[], timestamptz[], bytea[]),
    audit.record_duplicate_deliveries(jsonb),
    audit.record_rejected_events(jsonb)
TO audit_writer;
