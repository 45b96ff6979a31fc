/*
 * audit_head.c - the newest audit row, recorded outside the database
 * (audit_head.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "audit_head.h"

static int
head_path(const char *dir, const char *name, char *buf, size_t len,
    struct merr *e)
{
	if ((size_t)snprintf(buf, len, "%s/%s", dir, name) >= len)
		return merr_set(e, MERR_CONFIG, "state_dir '%s' is too long",
		    dir);
	return 0;
}

/* One "key value" line of the file into v (len bytes); 0 or -1. */
static int
head_field(const char *text, const char *key, char *v, size_t len)
{
	size_t kl = strlen(key), n;
	const char *p = text;

	while (p && *p) {
		if (strncmp(p, key, kl) == 0 && p[kl] == ' ') {
			p += kl + 1;
			n = strcspn(p, "\n");
			if (n == 0 || n >= len)
				return -1;
			memcpy(v, p, n);
			v[n] = '\0';
			return 0;
		}
		if ((p = strchr(p, '\n')) != NULL)
			p++;
	}
	return -1;
}

int
audit_head_read(const char *dir, struct audit_head *h, struct merr *e)
{
	char path[4096], text[1024], id[24], *end;
	ssize_t n;
	int fd;

	memset(h, 0, sizeof(*h));
	if (head_path(dir, AUDIT_HEAD_FILE, path, sizeof(path), e) == -1)
		return -1;
	if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) == -1) {
		if (errno == ENOENT)
			return 0;
		return merr_setpos(e, MERR_IO, path, 0, 0, "cannot open: %s",
		    strerror(errno));
	}
	n = read(fd, text, sizeof(text) - 1);
	close(fd);
	if (n < 0)
		return merr_setpos(e, MERR_IO, path, 0, 0, "cannot read: %s",
		    strerror(errno));
	text[n] = '\0';
	if (head_field(text, "table", h->table, sizeof(h->table)) == -1 ||
	    head_field(text, "database", h->database,
	    sizeof(h->database)) == -1 ||
	    head_field(text, "id", id, sizeof(id)) == -1 ||
	    head_field(text, "hash", h->hash, sizeof(h->hash)) == -1 ||
	    (h->id = strtoll(id, &end, 10)) <= 0 || *end != '\0' ||
	    strlen(h->hash) != 64 ||
	    strspn(h->hash, "0123456789abcdef") != 64) {
		memset(h, 0, sizeof(*h));
		return merr_setpos(e, MERR_STATE, path, 0, 0, "not an audit "
		    "head file (expected lines table, database, id, hash)");
	}
	return 0;
}

int
audit_head_write(const char *dir, const struct audit_head *h,
    struct merr *e)
{
	char path[4096], tmp[4096], text[1024];
	int fd, len, dfd;

	if (head_path(dir, AUDIT_HEAD_FILE, path, sizeof(path), e) == -1 ||
	    head_path(dir, AUDIT_HEAD_FILE ".tmp", tmp, sizeof(tmp), e) == -1)
		return -1;
	len = snprintf(text, sizeof(text), "table %s\ndatabase %s\nid %lld\n"
	    "hash %s\n", h->table, h->database, h->id, h->hash);
	if (len < 0 || (size_t)len >= sizeof(text))
		return merr_set(e, MERR_INTERNAL, "audit head too long");
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW |
	    O_CLOEXEC, 0600)) == -1)
		return merr_setpos(e, MERR_IO, tmp, 0, 0, "cannot create: %s",
		    strerror(errno));
	if (write(fd, text, (size_t)len) != len || fsync(fd) == -1) {
		merr_setpos(e, MERR_IO, tmp, 0, 0, "cannot write: %s",
		    strerror(errno));
		close(fd);
		unlink(tmp);
		return -1;
	}
	close(fd);
	if (rename(tmp, path) == -1) {
		merr_setpos(e, MERR_IO, path, 0, 0, "cannot rename %s: %s",
		    tmp, strerror(errno));
		unlink(tmp);
		return -1;
	}
	/* the rename itself survives a crash once the folder is synced */
	if ((dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) != -1) {
		(void)fsync(dfd);
		close(dfd);
	}
	return 0;
}

int
audit_head_lookup(struct db *db, const char *table, long long id,
    int *found, char hash[65], struct merr *e)
{
	char sql[512], ids[24];
	const char *p[1] = { ids };
	PGresult *r;

	snprintf(ids, sizeof(ids), "%lld", id);
	if ((size_t)snprintf(sql, sizeof(sql), "SELECT hash FROM %s WHERE id "
	    "= $1", table) >= sizeof(sql))
		return merr_set(e, MERR_INTERNAL, "audit table name too long");
	if (db_query(db, sql, 1, p, &r, e) == -1)
		return -1;
	*found = PQntuples(r) == 1;
	snprintf(hash, 65, "%s", *found ? PQgetvalue(r, 0, 0) : "");
	PQclear(r);
	return 0;
}

int
audit_doubt_find(struct db *db, const char *table,
    const struct audit_doubt *d, int *found, struct merr *e)
{
	char sql[512], after[24], pid[24];
	const char *p[5] = { after, d->target, d->checksum, pid, d->host };
	PGresult *r;

	snprintf(after, sizeof(after), "%lld", d->after);
	snprintf(pid, sizeof(pid), "%lld", d->daemon_pid);
	if ((size_t)snprintf(sql, sizeof(sql), "SELECT EXISTS (SELECT FROM %s "
	    "WHERE id > $1 AND ok AND action IN ('tier2.apply', "
	    "'tier2.rollback') AND target = $2 AND checksum IS NOT DISTINCT "
	    "FROM $3 AND daemon_pid = $4 AND host IS NOT DISTINCT FROM $5)",
	    table) >= sizeof(sql))
		return merr_set(e, MERR_INTERNAL, "audit table name too long");
	if (db_query(db, sql, 5, p, &r, e) == -1)
		return -1;
	*found = PQgetvalue(r, 0, 0)[0] == 't';
	PQclear(r);
	return 0;
}

int
audit_head_check(struct db *db, const char *table,
    const struct audit_head *h, struct audit_verify_result *res,
    struct merr *e)
{
	char hash[65];
	int found;

	if (h->id == 0 || strcmp(h->table, table) != 0 ||
	    strcmp(h->database, PQdb(db->conn)) != 0)
		return 0;
	if (h->id > res->head_id) {
		res->missing_from = res->head_id + 1;
		res->missing_to = h->id;
		snprintf(res->reason, sizeof(res->reason), "the newest rows "
		    "were deleted: rows %lld to %lld are missing (the table "
		    "ends at row %lld; row %lld was written and recorded)",
		    res->missing_from, res->missing_to, res->head_id, h->id);
		return 1;
	}
	if (audit_head_lookup(db, table, h->id, &found, hash, e) == -1)
		return -1;
	if (!found || strcmp(hash, h->hash) != 0) {
		res->missing_from = res->missing_to = found ? 0 : h->id;
		snprintf(res->reason, sizeof(res->reason), found ?
		    "row %lld does not have its recorded hash: the chain was "
		    "rewritten from it or before it" : "row %lld, recorded as "
		    "written, is missing", h->id);
		return 1;
	}
	return 0;
}
