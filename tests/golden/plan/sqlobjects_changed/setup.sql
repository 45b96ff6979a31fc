-- triggers, policies and row level security against a database that
-- differs (they compare without a server), and views, functions,
-- triggers and policies the models do not have (drift)
CREATE TABLE accounts (id bigint PRIMARY KEY, owner text NOT NULL,
    updated_at timestamptz);
CREATE TABLE notes (id bigint PRIMARY KEY, body text);
CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN NEW.updated_at := now(); RETURN NEW; END $$;
CREATE TRIGGER same_tr BEFORE INSERT ON accounts FOR EACH ROW
    WHEN (NEW.id > 0) EXECUTE FUNCTION touch();
CREATE TRIGGER changed_tr BEFORE UPDATE ON accounts FOR EACH ROW
    EXECUTE FUNCTION touch();
CREATE CONSTRAINT TRIGGER checked AFTER INSERT ON accounts
    FOR EACH ROW EXECUTE FUNCTION touch();
CREATE POLICY same_pol ON accounts USING (owner = current_user);
CREATE POLICY roles_pol ON accounts TO PUBLIC USING (true);
CREATE POLICY cmd_pol ON accounts FOR SELECT USING (true);
CREATE POLICY check_pol ON accounts WITH CHECK (id > 0);
ALTER TABLE notes ENABLE ROW LEVEL SECURITY;
CREATE VIEW old_view AS SELECT id FROM notes;
CREATE FUNCTION old_fn(x int) RETURNS int LANGUAGE sql AS 'SELECT x';
CREATE TRIGGER old_tr BEFORE INSERT ON notes FOR EACH ROW
    EXECUTE FUNCTION touch();
CREATE POLICY old_pol ON notes USING (true);
