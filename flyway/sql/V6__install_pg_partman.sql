-- pg_partman manages the partitions of audit.events. Its functions live in
-- their own schema so that they never shadow ours.
CREATE SCHEMA IF NOT EXISTS partman;
CREATE EXTENSION IF NOT EXISTS pg_partman SCHEMA partman;
