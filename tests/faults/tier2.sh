# tier2.sh - the tier-2 files of the fault suite and what the database must
# show for what their tracking row says (sourced by 10_kill_tier2.sh and
# 20_pg_stop.sh after lib.sh).  Makes TESTDB the template: the setup file
# (table big, ROWS rows) applied; folders mig_tx, mig_cic and mig_fill hold
# it and one file more each, version 20260101000002.
ROWS=100000
mkdir -p models mig_setup
cat >mig_setup/20260101000001_big.sql <<SQL
CREATE TABLE big (id int PRIMARY KEY, v int NOT NULL, w int NOT NULL DEFAULT 0);
INSERT INTO big SELECT g, g % 997, 0 FROM generate_series(1, $ROWS) g;
-- a slow index key, so that a kill falls inside the statements building it
CREATE FUNCTION slow_key(int) RETURNS int IMMUTABLE LANGUAGE plpgsql
    AS \$\$BEGIN PERFORM pg_sleep(0.0002); RETURN \$1; END\$\$;
SQL
for k in tx cic fill; do mkdir -p "mig_$k"; cp mig_setup/* "mig_$k/"; done
cat >mig_tx/20260101000002_tx.sql <<'SQL'
CREATE TABLE tx_a (id int PRIMARY KEY, v int);
INSERT INTO tx_a SELECT id, v FROM big;
CREATE INDEX tx_a_v ON tx_a (v);
ALTER TABLE tx_a ADD COLUMN w int NOT NULL DEFAULT 7;
CREATE TABLE tx_b (id int PRIMARY KEY REFERENCES tx_a);
INSERT INTO tx_b SELECT id FROM tx_a WHERE id % 2 = 0;
SQL
IDX="big_v big_vw big_idv big_w"
cat >mig_cic/20260101000002_cic.sql <<'SQL'
CREATE INDEX CONCURRENTLY big_v ON big (slow_key(v)) WHERE id <= 1000;
CREATE INDEX CONCURRENTLY big_vw ON big (slow_key(v), w) WHERE id <= 1000;
CREATE UNIQUE INDEX CONCURRENTLY big_idv ON big (slow_key(id)) WHERE id <= 1000;
CREATE INDEX CONCURRENTLY big_w ON big (w);
SQL
cat >mig_fill/20260101000002_fill.sql <<'SQL'
-- migrated:batch size=1000 pause=1ms
UPDATE big SET w = w + 1 WHERE v >= 0;
SQL

# the template: TESTDB with the setup file applied
ok "setup applied" "$MIGRATED" --database "dbname=$TESTDB" --models models \
    --migrations mig_setup --once --up

# one value of the file's tracking row (empty: no row)
row() { fq "$1" "SELECT $2 FROM $(tracking_table "$1") WHERE version = '20260101000002'"; }

# ---- what the database must show for what the tracking row says ----
check_tx() {	# check_tx DB LABEL
	_st=$(row "$1" "dirty")
	_have=$(fq "$1" "SELECT (SELECT count(*) FROM pg_class WHERE relname IN ('tx_a', 'tx_b', 'tx_a_v'))")
	if [ "$_st" = f ]; then
		inv "$2: applied: all of it" "$_have $(fq "$1" "SELECT (SELECT count(*) FROM tx_a WHERE w = 7), (SELECT count(*) FROM tx_b)" | tr '|' ' ')" "3 $ROWS $((ROWS / 2))"
	else
		inv "$2: not applied: none of it (row '$_st')" "$_have" 0
	fi
}
check_cic() {	# check_cic DB LABEL: statements done are there and valid,
		# none after the one that was running
	_st=$(row "$1" "CASE WHEN dirty THEN stmt_done ELSE 4 END")
	_k=${_st:-0}; _i=0; _got=""; _want=""
	for _x in $IDX; do
		_i=$((_i + 1))
		_v=$(fq "$1" "SELECT coalesce((SELECT CASE WHEN i.indisvalid THEN 'valid' ELSE 'invalid' END FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid WHERE c.relname = '$_x'), 'none')")
		if [ $_i -le "$_k" ]; then _want="$_want valid"; _got="$_got $_v"
		elif [ $_i -gt $((_k + 1)) ]; then _want="$_want none"; _got="$_got $_v"
		fi
	done
	inv "$2: indexes match $_k statements done" "$_got" "$_want"
}
check_fill() {	# check_fill DB LABEL: rows up to the batch key done once
	# (its one statement done, the file not yet marked applied: all)
	_r=$(row "$1" "CASE WHEN dirty AND stmt_done = 0 THEN rows_done::text || ' ' || coalesce(batch_key, '0') ELSE 'all' END")
	case "$_r" in
	all) _want="$ROWS 0 0" ;;
	"") _r="0 0"; _want="0 0 0" ;;
	*) _want="${_r% *} 0 0" ;;
	esac
	_key=${_r#* }; [ "$_key" = all ] && _key=$ROWS
	inv "$2: backfill rows: once each up to the batch key ($_r)" \
	    "$(fq "$1" "SELECT count(*) FILTER (WHERE w = 1), count(*) FILTER (WHERE w > 1), count(*) FILTER (WHERE (w = 1) <> (id <= $_key)) FROM big" | tr '|' ' ')" "$_want"
}
check_after() {	# check_after KIND DB LABEL: after the next up
	case $1 in
	tx) check_tx "$2" "$3" ;;
	cic) check_cic "$2" "$3" ;;
	fill) check_fill "$2" "$3" ;;
	esac
}

# ---- the kill point of each kind ----
started() {	# started DB K: the file's statement K has begun (or all done)
	[ "$(row "$1" "CASE WHEN NOT dirty OR stmt_done >= $2 - 1 THEN 1 END")" = 1 ]
}
rows_past() { [ "$(row "$1" "CASE WHEN NOT dirty OR rows_done >= $2 THEN 1 END")" = 1 ]; }
ms_sleep() { sleep "$(printf '0.%03d' "$1")"; }	# fault timing only

hold_writer_on() {	# hold_writer_on DB: sets writer
	psql -qAtX -d "$1" -c "BEGIN" -c "INSERT INTO big VALUES (0, 0, 0)" \
	    -c "SELECT pg_sleep(300) /* held writer */" >/dev/null 2>&1 &
	writer=$!; track $writer
	poll 30 sh -c "[ \"\$(psql -qAtX -d '$1' -c \"SELECT count(*) FROM pg_stat_activity WHERE query LIKE '%held writer%' AND state = 'active' AND pid <> pg_backend_pid()\")\" = 1 ]"
}


# verify KIND DB NAME LABEL [UP...]: the invariants after a fault; the next
# up (UP: how it is run, default `fctl NAME up`) completes; the invariants
# again, with every index valid
verify() {
	_vk=$1 _vd=$2 _vn=$3 _vl=$4; shift 4
	[ $# -gt 0 ] || set -- fctl "$_vn" up
	check_after "$_vk" "$_vd" "$_vl"
	inv "$_vl: status = check = the database" \
	    "$(agree "$_vn" "$_vd" "mig_$_vk")" ""
	inv_ok "$_vl: audit chain verifies" audit_ok "$_vn"
	inv_ok "$_vl: the next up completes" "$@"
	check_after "$_vk" "$_vd" "$_vl, after up"
	inv "$_vl, after up: applied, nothing dirty" "$(row "$_vd" dirty)" f
	inv "$_vl, after up: no invalid index" "$(invalid_indexes "$_vd")" 0
	inv "$_vl, after up: status = check = the database" \
	    "$(agree "$_vn" "$_vd" "mig_$_vk")" ""
	inv_ok "$_vl, after up: audit chain verifies" audit_ok "$_vn"
}
