-- Login roles of the two functions, with the passwords of their Secrets Manager
-- secrets. Flyway runs this callback after every successful migrate, even one with
-- nothing pending, so each deploy creates missing logins and sets the current
-- passwords. The deploy passes this folder as an extra location, with
-- -placeholders.subscriberPassword and -placeholders.apiPassword (flyway/buildspec.yml);
-- the local runner never reads it, and the tests create their logins themselves.
--
--   audit_subscriber  member of audit_writer (the subscriber)
--   audit_api         member of audit_reader (the GraphQL API)
--
-- The passwords sit in $$...$$ quotes inside the $body$ block, so a quote character in
-- a password cannot end the literal. "$$" must come right before each placeholder:
-- Flyway copies a "$" together with the character after it, so "$tag$${name}" would
-- not be replaced.
DO $body$
DECLARE
    login record;
BEGIN
    FOR login IN
        SELECT *
        FROM (VALUES
            ('audit_subscriber', 'audit_writer', $$${subscriberPassword}$$),
            ('audit_api', 'audit_reader', $$${apiPassword}$$)
        ) AS logins (role_name, group_name, password)
    LOOP
        IF length(login.password) < 20 THEN
            RAISE EXCEPTION 'password for % is shorter than 20 characters; check its secret',
                login.role_name;
        END IF;
        IF EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = login.role_name) THEN
            EXECUTE format('ALTER ROLE %I WITH LOGIN PASSWORD %L', login.role_name, login.password);
        ELSE
            EXECUTE format('CREATE ROLE %I WITH LOGIN PASSWORD %L', login.role_name, login.password);
        END IF;
        IF NOT pg_has_role(login.role_name, login.group_name, 'MEMBER') THEN
            EXECUTE format('GRANT %I TO %I', login.group_name, login.role_name);
        END IF;
    END LOOP;
END
$body$;
