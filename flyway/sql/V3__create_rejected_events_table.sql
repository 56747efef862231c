-- Deliveries that can never be stored (invalid JSON, schema violations,
-- characters PostgreSQL rejects, conflicting duplicates, ...). Keeping them
-- here, with the reason, lets the subscriber acknowledge them instead of
-- retrying forever, and nothing is dropped silently. A redelivery of the same
-- body for the same reason increments seen_count.
CREATE TABLE audit.rejected_events (
    id              bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    reason          text        NOT NULL,
    message         text        NOT NULL,
    raw_body        text        NOT NULL,
    body_sha256     bytea       NOT NULL,
    tenant_id       text,
    event_id        text,
    source          text,
    last_message_id text        NOT NULL,
    first_seen_at   timestamptz NOT NULL DEFAULT now(),
    last_seen_at    timestamptz NOT NULL DEFAULT now(),
    seen_count      integer     NOT NULL DEFAULT 1,
    CONSTRAINT rejected_events_body_reason_key UNIQUE (body_sha256, reason)
);

CREATE INDEX rejected_events_last_seen_at_idx ON audit.rejected_events (last_seen_at);
CREATE INDEX rejected_events_tenant_id_idx ON audit.rejected_events (tenant_id, last_seen_at);

COMMENT ON TABLE audit.rejected_events IS
    'SQS deliveries the subscriber could not store, with a stable reason code and a readable message.';
COMMENT ON COLUMN audit.rejected_events.raw_body IS
    'The SQS message body as received, for inspection and redrive after a fix.';
