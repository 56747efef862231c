-- Partition maintenance for audit.events, run hourly by pg_cron.
--
-- pg_partman's own maintenance fails, and keeps failing every hour, once
-- the default partition holds a row inside a range it must create:
-- PostgreSQL refuses to create a partition while the default partition
-- contains rows that belong to it. Events far in the past or future do land
-- in the default partition, so before calling pg_partman this procedure takes
-- such rows out of the default partition for every range pg_partman may
-- create now, lets pg_partman create the partitions, and inserts the rows
-- again, which routes them into their new partitions. All in one
-- transaction, with inserts into audit.events held back meanwhile.
--
-- Retention also applies to what the default partition holds, and to the
-- rejected-event and duplicate-delivery records.
CREATE PROCEDURE audit.run_maintenance()
LANGUAGE plpgsql
SET TimeZone = 'UTC'
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    config          record;
    default_table   regclass;
    oldest_kept     timestamptz;
    creation_limit  timestamptz;
    moved_rows      bigint;
BEGIN
    SELECT partition_interval::interval AS partition_interval,
           premake,
           retention::interval AS retention
    INTO config
    FROM partman.part_config
    WHERE parent_table = 'audit.events';
    IF NOT FOUND THEN
        RAISE EXCEPTION 'audit.events is not registered in partman.part_config'
            USING HINT = 'Apply the flyway/sql migrations before scheduling maintenance.';
    END IF;

    SELECT partition.oid::regclass
    INTO default_table
    FROM pg_catalog.pg_inherits AS inheritance
    JOIN pg_catalog.pg_class AS partition ON partition.oid = inheritance.inhrelid
    WHERE inheritance.inhparent = 'audit.events'::regclass
      AND pg_catalog.pg_get_expr(partition.relpartbound, partition.oid) = 'DEFAULT';

    oldest_kept := now() - coalesce(config.retention, interval '100 years');
    -- pg_partman creates partitions up to premake intervals ahead of now; one
    -- more interval covers the partition that holds now itself.
    creation_limit := now() + config.partition_interval * (config.premake + 1);

    -- Hold back inserts (they take ROW EXCLUSIVE) until this transaction
    -- ends, so no row can enter the default partition between the move and
    -- the creation of its partition.
    LOCK TABLE audit.events IN SHARE ROW EXCLUSIVE MODE;

    moved_rows := 0;
    IF default_table IS NOT NULL THEN
        CREATE TEMPORARY TABLE IF NOT EXISTS maintenance_default_rows
            (LIKE audit.events) ON COMMIT DROP;
        EXECUTE format(
            'WITH moved AS (DELETE FROM %s WHERE occurred_at >= $1 AND occurred_at < $2 RETURNING *)
             INSERT INTO pg_temp.maintenance_default_rows SELECT * FROM moved',
            default_table)
        USING oldest_kept, creation_limit;
        GET DIAGNOSTICS moved_rows = ROW_COUNT;
    END IF;

    PERFORM partman.run_maintenance(p_parent_table := 'audit.events');

    IF moved_rows > 0 THEN
        INSERT INTO audit.events SELECT * FROM pg_temp.maintenance_default_rows;
        RAISE NOTICE 'audit.run_maintenance: moved % rows from % into their partitions',
            moved_rows, default_table;
    END IF;
    DROP TABLE IF EXISTS pg_temp.maintenance_default_rows;

    IF config.retention IS NOT NULL THEN
        IF default_table IS NOT NULL THEN
            EXECUTE format('DELETE FROM %s WHERE occurred_at < $1', default_table)
            USING oldest_kept;
        END IF;
        DELETE FROM audit.rejected_events WHERE last_seen_at < oldest_kept;
        DELETE FROM audit.duplicate_deliveries WHERE last_seen_at < oldest_kept;
    END IF;
END
$$;

COMMENT ON PROCEDURE audit.run_maintenance() IS
    'Create partitions ahead, drop expired ones, and keep rows in the default partition from blocking either.';

-- Only the owner (the migration user, which pg_cron runs the job as) may call it.
REVOKE ALL ON PROCEDURE audit.run_maintenance() FROM PUBLIC;
