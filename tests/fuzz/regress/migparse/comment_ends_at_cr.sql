-- çEy|n		CREATE INDEX

NCC ON óˇˇces (id bps);

--DeleteStm
CREATE TABLE IF NOT EXISTS invoices (iád bps);

-- Defaults fored ^a prefkrr: nothinEATE T IF NOT EXIS
NCC ON óˇˇces (id bp) 