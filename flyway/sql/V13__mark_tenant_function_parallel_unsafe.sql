-- audit.current_tenant_ids() turns a malformed setting into no tenants with
-- an exception block, and PL/pgSQL runs such a block as a subtransaction.
-- PostgreSQL cannot start a subtransaction while it runs a parallel plan, in
-- the leader as much as in a worker. V11 marked the function parallel safe,
-- so every reader query that PostgreSQL planned in parallel failed, counts
-- over a large tenant for example. Parallel unsafe keeps the
-- reader's queries out of parallel plans. The API's queries are index scans
-- that stop after one page, which parallel workers would not speed up.
ALTER FUNCTION audit.current_tenant_ids() PARALLEL UNSAFE;
