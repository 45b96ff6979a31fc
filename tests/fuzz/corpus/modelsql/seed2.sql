-- issue 13: every kind of model SQL object, created from empty in order:
-- functions before the table whose check calls them (a function of the
-- table's row type after it), views after their tables and the views
-- they read (written the other way round here), policies, row level
-- security, then triggers.
CREATE FUNCTION is_name(t text) RETURNS boolean
    LANGUAGE sql IMMUTABLE AS $$ SELECT length(t) > 0 $$;
CREATE FUNCTION label(a accounts) RETURNS text
    LANGUAGE sql STABLE AS $$ SELECT a.name $$;
CREATE PROCEDURE rename_all(p text) LANGUAGE sql
    AS $$ UPDATE accounts SET name = p $$;
CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.updated_at := now();
    RETURN NEW;
END
$$;
CREATE VIEW named_accounts AS SELECT id, name FROM active_accounts;
CREATE VIEW active_accounts AS
    SELECT id, name, owner FROM accounts WHERE name <> '';
CREATE MATERIALIZED VIEW account_count AS
    SELECT count(*) AS n FROM accounts WITH NO DATA;
CREATE TRIGGER accounts_touch BEFORE UPDATE ON accounts
    FOR EACH ROW EXECUTE FUNCTION touch();
CREATE POLICY own_rows ON accounts FOR ALL TO PUBLIC
    USING (owner = current_user) WITH CHECK (owner = current_user);
