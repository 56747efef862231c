-- An index for the API's counts. auditEventCounts reads every event of a
-- tenant in the window. Through the primary key it must visit each row in
-- the table, for its action (a viewer's counts leave out the log's own read
-- events) and for the grouped column. This index contains the columns the
-- counts read, so PostgreSQL can answer from the index alone
-- (an index-only scan) once autovacuum has marked the pages all-visible.
--
-- See V12 for building it on a large table without blocking inserts.
CREATE INDEX events_tenant_time_counts_idx
    ON audit.events (tenant_id, occurred_at)
    INCLUDE (action, outcome, actor_id, target_type);
