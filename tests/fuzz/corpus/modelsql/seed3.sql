-- functions: the check of accounts calls is_name()
CREATE FUNCTION is_name(t text) RETURNS boolean
    LANGUAGE sql IMMUTABLE AS $$ SELECT length(t) > 0 $$;

CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.updated_at := now();
    RETURN NEW;
END
$$;

-- named_accounts reads active_accounts, written after it
CREATE VIEW named_accounts AS SELECT id, name FROM active_accounts;
CREATE VIEW active_accounts AS
    SELECT id, name, owner FROM accounts WHERE name <> '';
CREATE MATERIALIZED VIEW account_count AS
    SELECT count(*) AS n FROM accounts WITH NO DATA;

CREATE TRIGGER accounts_touch BEFORE UPDATE ON accounts
    FOR EACH ROW EXECUTE FUNCTION touch();

CREATE POLICY own_rows ON accounts USING (owner = current_user);
