-- Functions through which the subscriber (audit_writer) settles a batch
-- without being able to read or change stored events. They run with the
-- owner's rights (SECURITY DEFINER), take only arrays, touch only the rows
-- those arrays name, and return nothing but a status per row.

-- Classify the rows that a batch just tried to insert with
-- INSERT ... ON CONFLICT DO NOTHING, in the same transaction:
--   stored     the row was inserted by the current transaction
--   duplicate  a row with this key and the same content hash already existed
--   conflict   a row with this key but different content already existed
--   missing    no row with this key (should not happen after the insert)
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
               WHEN stored.event_id IS NULL THEN 'missing'
               WHEN stored.xmin = pg_current_xact_id()::xid THEN 'stored'
               WHEN stored.content_sha256 = staged.content_sha256 THEN 'duplicate'
               ELSE 'conflict'
           END
    FROM unnest(p_ordinals, p_tenant_ids, p_event_ids, p_occurred_ats, p_content_sha256)
             AS staged (ordinal, tenant_id, event_id, occurred_at, content_sha256)
    LEFT JOIN audit.events AS stored
           ON stored.tenant_id = staged.tenant_id
          AND stored.occurred_at = staged.occurred_at
          AND stored.event_id = staged.event_id
$$;

-- Count redeliveries of already stored events, one row per event key.
CREATE FUNCTION audit.record_duplicate_deliveries(
    p_tenant_ids   text[],
    p_event_ids    text[],
    p_occurred_ats timestamptz[],
    p_message_ids  text[]
)
RETURNS void
LANGUAGE sql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
    INSERT INTO audit.duplicate_deliveries AS existing
        (tenant_id, event_id, occurred_at, last_message_id, seen_count)
    SELECT delivery.tenant_id, delivery.event_id, delivery.occurred_at,
           max(delivery.message_id), count(*)
    FROM unnest(p_tenant_ids, p_event_ids, p_occurred_ats, p_message_ids)
             AS delivery (tenant_id, event_id, occurred_at, message_id)
    GROUP BY delivery.tenant_id, delivery.event_id, delivery.occurred_at
    ON CONFLICT ON CONSTRAINT duplicate_deliveries_pkey DO UPDATE
        SET last_message_id = excluded.last_message_id,
            last_seen_at    = now(),
            seen_count      = existing.seen_count + excluded.seen_count
$$;

-- Keep deliveries that can never be stored, one row per (body, reason).
CREATE FUNCTION audit.record_rejected_events(
    p_reasons     text[],
    p_messages    text[],
    p_raw_bodies  text[],
    p_tenant_ids  text[],
    p_event_ids   text[],
    p_sources     text[],
    p_message_ids text[]
)
RETURNS void
LANGUAGE sql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
    WITH delivery AS (
        SELECT rejected.*, sha256(convert_to(rejected.raw_body, 'UTF8')) AS body_sha256
        FROM unnest(p_reasons, p_messages, p_raw_bodies, p_tenant_ids, p_event_ids,
                    p_sources, p_message_ids)
                 AS rejected (reason, message, raw_body, tenant_id, event_id, source, message_id)
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
    audit.classify_staged_events(integer[], text[], text[], timestamptz[], bytea[]),
    audit.record_duplicate_deliveries(text[], text[], timestamptz[], text[]),
    audit.record_rejected_events(text[], text[], text[], text[], text[], text[], text[])
FROM PUBLIC;

GRANT EXECUTE ON FUNCTION
    audit.classify_staged_events(integer[], text[], text[], timestamptz[], bytea[]),
    audit.record_duplicate_deliveries(text[], text[], timestamptz[], text[]),
    audit.record_rejected_events(text[], text[], text[], text[], text[], text[], text[])
TO audit_writer;
