-- Deliveries of an event that was already stored with identical content.
-- SQS delivers at least once, so these are expected; counting them here
-- makes "published = stored + duplicates + rejected + dead-lettered"
-- checkable from the database alone.
CREATE TABLE audit.duplicate_deliveries (
    tenant_id       text        NOT NULL,
    event_id        text        NOT NULL,
    occurred_at     timestamptz NOT NULL,
    last_message_id text        NOT NULL,
    first_seen_at   timestamptz NOT NULL DEFAULT now(),
    last_seen_at    timestamptz NOT NULL DEFAULT now(),
    seen_count      integer     NOT NULL DEFAULT 1,
    CONSTRAINT duplicate_deliveries_pkey PRIMARY KEY (tenant_id, occurred_at, event_id)
);

CREATE INDEX duplicate_deliveries_last_seen_at_idx ON audit.duplicate_deliveries (last_seen_at);

COMMENT ON TABLE audit.duplicate_deliveries IS
    'Redeliveries of already stored events, one row per event key with a count.';
