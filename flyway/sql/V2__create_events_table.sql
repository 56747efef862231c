-- Stored audit events, range-partitioned on the time the event occurred.
-- pg_partman creates the partitions (a later migration); until then only
-- the parent exists. The primary key includes the partition key, as
-- PostgreSQL requires of any unique constraint on a partitioned table, and
-- its column order serves "one tenant, newest first" reads as well as the
-- idempotent insert.
CREATE TABLE audit.events (
    tenant_id        text        NOT NULL,
    event_id         text        NOT NULL,
    occurred_at      timestamptz NOT NULL,
    source           text        NOT NULL,
    detail_type      text        NOT NULL,
    action           text        NOT NULL,
    outcome          text        NOT NULL,
    actor_type       text        NOT NULL,
    actor_id         text        NOT NULL,
    actor_name       text,
    actor_ip         text,
    actor_user_agent text,
    target_type      text,
    target_id        text,
    target_name      text,
    changes          jsonb,
    context          jsonb,
    metadata         jsonb,
    original         jsonb       NOT NULL,
    content_sha256   bytea       NOT NULL,
    ingested_at      timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT events_pkey PRIMARY KEY (tenant_id, occurred_at, event_id),
    CONSTRAINT events_outcome_check CHECK (outcome IN ('success', 'failure', 'denied')),
    CONSTRAINT events_actor_type_check CHECK (actor_type IN ('user', 'service', 'system')),
    CONSTRAINT events_content_sha256_check CHECK (octet_length(content_sha256) = 32)
) PARTITION BY RANGE (occurred_at);

COMMENT ON TABLE audit.events IS
    'One row per audit event, stored once per (tenant_id, event_id, occurred_at).';
COMMENT ON COLUMN audit.events.original IS
    'The EventBridge envelope exactly as delivered, detail included (for AWS events, the CloudTrail record).';
COMMENT ON COLUMN audit.events.content_sha256 IS
    'SHA-256 of the canonical JSON of source, detail-type and detail: a redelivery with the same key and hash is a duplicate, a different hash is a conflict.';
COMMENT ON COLUMN audit.events.ingested_at IS
    'Start of the transaction that stored the row.';
