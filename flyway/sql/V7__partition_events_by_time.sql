-- Partition audit.events on occurred_at with pg_partman, on 4.7 or 5.x.
--
-- pg_partman computes partition boundaries with date_trunc on timestamptz,
-- which follows the session time zone. Fixing it to UTC for this
-- transaction puts every boundary at midnight UTC, whatever time zone the
-- client that runs the migration uses.
SET LOCAL TimeZone = 'UTC';

DO $$
DECLARE
    partman_version text := (
        SELECT extversion FROM pg_catalog.pg_extension WHERE extname = 'pg_partman'
    );
    -- Start at the oldest time still inside the retention window, so every
    -- event that retention keeps has a partition of its own.
    first_partition text := (now() - interval '${retentionInterval}')::text;
BEGIN
    -- 5.x calls native range partitioning 'range' and 4.x calls it 'native';
    -- the other arguments differ too, so each call names its own.
    IF split_part(partman_version, '.', 1)::integer >= 5 THEN
        PERFORM partman.create_parent(
            p_parent_table    := 'audit.events',
            p_control         := 'occurred_at',
            p_interval        := '${partitionInterval}',
            p_type            := 'range',
            p_premake         := ${premakePartitions},
            p_start_partition := first_partition,
            p_default_table   := true,
            p_jobmon          := false
        );
    ELSE
        PERFORM partman.create_parent(
            p_parent_table    := 'audit.events',
            p_control         := 'occurred_at',
            p_type            := 'native',
            p_interval        := '${partitionInterval}',
            p_premake         := ${premakePartitions},
            p_start_partition := first_partition,
            p_jobmon          := false
        );
    END IF;
END
$$;

-- infinite_time_partitions: keep creating partitions ahead of now even in
--   a quiet period, so a paused or idle cluster never falls behind.
-- retention: drop whole partitions older than the retention interval,
--   tables and indexes both.
-- ignore_default_data: do not let a far-future row in the default partition
--   decide how far ahead to create partitions (4.7 would otherwise try to
--   create every partition up to that row). audit.run_maintenance() moves
--   default rows into their partitions once those come within reach.
UPDATE partman.part_config
SET infinite_time_partitions = true,
    retention                = '${retentionInterval}',
    retention_keep_table     = false,
    retention_keep_index     = false,
    ignore_default_data      = true
WHERE parent_table = 'audit.events';
