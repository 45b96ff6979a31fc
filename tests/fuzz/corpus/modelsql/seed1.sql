-- the same trigger written another way: in sync
create trigger same_tr before insert on public.accounts for each row
    when (new.id > 0) execute function public.touch();
-- another event: CREATE OR REPLACE TRIGGER
CREATE TRIGGER changed_tr BEFORE INSERT OR UPDATE ON accounts FOR EACH ROW
    EXECUTE FUNCTION touch();
-- a constraint trigger cannot be replaced: refused
CREATE CONSTRAINT TRIGGER checked AFTER INSERT OR UPDATE ON accounts
    FOR EACH ROW EXECUTE FUNCTION touch();
CREATE POLICY same_pol ON accounts USING ((owner = CURRENT_USER));
-- other roles: ALTER POLICY
CREATE POLICY roles_pol ON accounts TO postgres USING (true);
-- another command: refused
CREATE POLICY cmd_pol ON accounts FOR UPDATE USING (true);
-- another WITH CHECK: ALTER POLICY
CREATE POLICY check_pol ON accounts WITH CHECK (id > 1);
-- new: CREATE POLICY
CREATE POLICY new_pol ON accounts FOR DELETE USING (false);
