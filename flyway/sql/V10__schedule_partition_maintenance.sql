-- Run partition maintenance with pg_cron. pg_cron must be preloaded
-- (shared_preload_libraries) and can only be created in the database named
-- by cron.database_name, which must therefore be this one. Scheduling by
-- job name replaces an existing job of the same name, so this is safe to
-- run again.
CREATE EXTENSION IF NOT EXISTS pg_cron;

SELECT cron.schedule(
    job_name := 'audit-partition-maintenance',
    schedule := '${maintenanceSchedule}',
    command  := 'CALL audit.run_maintenance()'
);
