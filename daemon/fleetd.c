/* fleetd.c - the service over a fleet of databases (fleetd.h). */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <uv.h>

#include "cmd.h"
#include "cmdspec.h"
#include "control.h"
#include "daemon.h"
#include "fleet.h"
#include "fleetd.h"
#include "forkgate.h"
#include "log.h"
#include "notify.h"
#include "proto.h"
#include "version.h"

/* What the service knows of one member, from its last runs. */
struct member_state {
	char		*name;
	int		 known;		/* run at least once */
	int		 failed;	/* its last work (tier 1 or 2) failed */
	int		 checked;	/* rep holds a report */
	struct fleet_report rep;
	char		 error[512];	/* why it failed */
	long		 ms;		/* its last run */
	time_t		 at;
	/* tier 1 as last read (its catalogs planned): a tier-2-only up
	   does not read it again */
	int		 t1_known;
	int		 t1_clean;
	time_t		 t1_at;
};

/* One pass over members on the worker thread. */
struct pass {
	uv_work_t		 req;
	struct fleetd		*fd;
	char			 cmd[16];	/* who asked: "up", "start"... */
	uint64_t		 conn;		/* waiting for the reply, or 0 */
	int			 discover;	/* list the members again */
	int			 up;		/* tier 2 for the known members */
	int			 check;		/* only check (no work) */
	int			 only_new;	/* only members not run before */
	int			 new_up;	/* and those get tier 2 too */
	int			 t2up;		/* up: tier 2 alone on members
						   whose tier 1 is known */
	int			 reload;	/* read the configuration first */
	struct pass		*next;		/* the queue */
	char			*member;	/* only that one, or NULL */
	time_t			 since;
	long			 uid;		/* who asked, -1: the daemon */
	char			**known;	/* names run before (a copy) */
	/* names whose tier 1 is known, their last run not failed: up
	   runs tier 2 alone there (a copy) */
	char			**settled;
	/* the worker's results */
	struct fleet_list	 list;		/* the members now */
	struct fleet_outcome	*v;		/* one per list member */
	char			*run;		/* run[i]: member i was run */
	struct merr		 err;
	int			 rc;
};

/* A member that ended during a pass, for the loop to tell who asked. */
struct fleet_progress {
	struct fleet_progress		*next;
	uint64_t		 conn;
	char			 cmd[16];
	char			 name[128];
	struct fleet_outcome	 out;
};

struct fleetd {
	uv_loop_t		*loop;
	const char		*config_path;
	struct config_overrides	 ov;
	struct config		 cfg;
	int			 verbose;
	struct fleet_list	 members;
	struct member_state	*st;		/* members.n, same order */
	struct control		 ctl;
	struct notify		 notify;
	uv_signal_t		 sigterm, sigint, sighup;
	uv_timer_t		 rediscover;
	uv_async_t		 wake;		/* progress was queued */
	struct forkgate		 gate;		/* around each member's fork */
	uv_mutex_t		 lock;		/* guards progress */
	struct fleet_progress		*progress, **ptail;
	struct pass		*pass;		/* running, or NULL */
	struct pass		*queue;		/* to run after it, in order */
	int			 nqueued;
	int			 ready;		/* the start pass ended */
	int			 stopping;
	int			 closed;
	volatile sig_atomic_t	 stop;
	time_t			 started;
	int			 exit_code;
	unsigned		 reloads;
};

static int	pass_start(struct fleetd *, const char *cmd, uint64_t conn,
		    int discover, int up, int only_new, const char *member);

/* ---- member states ---- */

static struct member_state *
state_find(struct fleetd *d, const char *name)
{
	for (size_t i = 0; i < d->members.n; i++)
		if (d->st[i].name && !strcmp(d->st[i].name, name))
			return &d->st[i];
	return NULL;
}

static const char *
state_name(const struct member_state *s)
{
	if (!s->known && !s->checked)
		return "not run yet";
	if (s->failed)
		return "failed";
	if (!s->checked)
		return "unknown";
	return s->rep.clean ? "in sync" : "pending";
}

static int list_copy(const struct fleet_list *, struct fleet_list *);

/*
 * Take (a copy of) the pass's member list as the fleet's, keeping what is
 * known of each member still in it.
 */
static int
states_adopt(struct fleetd *d, const struct fleet_list *list)
{
	struct member_state *st, *old;
	struct fleet_list copy;

	if (list_copy(list, &copy) == -1)
		return -1;
	if ((st = calloc(list->n ? list->n : 1, sizeof(*st))) == NULL) {
		fleet_list_release(&copy);
		return -1;
	}
	for (size_t i = 0; i < list->n; i++) {
		if ((old = state_find(d, list->v[i].name)) != NULL) {
			st[i] = *old;
			old->name = NULL;
		} else {
			st[i].name = strdup(list->v[i].name);
		}
	}
	for (size_t i = 0; i < d->members.n; i++)
		free(d->st[i].name);
	free(d->st);
	fleet_list_release(&d->members);
	d->members = copy;
	d->st = st;
	return 0;
}

/* ---- the status ---- */

static void
names_add(json_t *arr, const char *name)
{
	if (json_array_size(arr) < 20)
		json_array_append_new(arr, json_string(name));
}

static json_t *
member_json(const struct member_state *s)
{
	json_t *o = json_object();

	json_object_set_new(o, "name", json_string(s->name));
	json_object_set_new(o, "state", json_string(state_name(s)));
	if (s->checked) {
		json_object_set_new(o, "version", json_string(s->rep.version));
		json_object_set_new(o, "pending", json_integer(s->rep.pending));
	}
	if (s->failed || (s->checked && s->rep.error[0]))
		json_object_set_new(o, "error", json_string(s->error[0] ?
		    s->error : s->rep.error));
	if (s->known || s->checked)
		json_object_set_new(o, "last_run_ms", json_integer(s->ms));
	if (s->t1_known) {
		char at[32];
		struct tm tm;

		gmtime_r(&s->t1_at, &tm);
		strftime(at, sizeof(at), "%Y-%m-%dT%H:%M:%SZ", &tm);
		json_object_set_new(o, "tier1_read_at", json_string(at));
	}
	return o;
}

/* The counts, the slowest and the names not in sync; *line the summary. */
static json_t *
fleet_json(struct fleetd *d, char *line, size_t len)
{
	json_t *o = json_object(), *failed = json_array(),
	    *pending = json_array();
	long n_sync = 0, n_pend = 0, n_fail = 0, n_new = 0;
	const struct member_state *slow = NULL;

	for (size_t i = 0; i < d->members.n; i++) {
		const struct member_state *s = &d->st[i];
		const char *st = state_name(s);

		if (!strcmp(st, "in sync"))
			n_sync++;
		else if (!strcmp(st, "failed"))
			n_fail++, names_add(failed, s->name);
		else if (!strcmp(st, "pending"))
			n_pend++, names_add(pending, s->name);
		else
			n_new++;
		if ((s->known || s->checked) && (slow == NULL ||
		    s->ms > slow->ms))
			slow = s;
	}
	json_object_set_new(o, "members", json_integer((long)d->members.n));
	json_object_set_new(o, "in_sync", json_integer(n_sync));
	json_object_set_new(o, "pending", json_integer(n_pend));
	json_object_set_new(o, "failed", json_integer(n_fail));
	json_object_set_new(o, "not_run", json_integer(n_new));
	json_object_set_new(o, "parallel", json_integer(d->cfg.fleet.parallel));
	json_object_set_new(o, "failed_members", failed);
	json_object_set_new(o, "pending_members", pending);
	if (slow)
		json_object_set_new(o, "slowest", json_pack("{s:s,s:I}",
		    "name", slow->name, "ms", (json_int_t)slow->ms));
	snprintf(line, len, "fleet of %zu: %ld in sync, %ld pending, %ld "
	    "failed, %ld not run yet%s", d->members.n, n_sync, n_pend, n_fail,
	    n_new, d->pass ? "; busy" : "");
	return o;
}

/* The pass running, as the service's "busy" (null when idle). */
static json_t *
busy_json(const struct pass *p)
{
	char since[32];
	struct tm tm;

	if (p == NULL)
		return json_null();
	gmtime_r(&p->since, &tm);
	strftime(since, sizeof(since), "%Y-%m-%dT%H:%M:%SZ", &tm);
	return json_pack("{s:s,s:s,s:I}", "op", p->cmd, "since", since,
	    "uid", (json_int_t)p->uid);
}

static json_t *
status_json(struct fleetd *d, const struct member_state *one)
{
	json_t *o = json_object(), *fl;
	char line[256];

	fl = fleet_json(d, line, sizeof(line));
	json_object_set_new(o, "version", json_string(MIGRATED_VERSION));
	json_object_set_new(o, "proto", json_integer(PROTO_VERSION));
	json_object_set_new(o, "pid", json_integer((json_int_t)getpid()));
	json_object_set_new(o, "uptime_s", json_integer((json_int_t)(time(
	    NULL) - d->started)));
	json_object_set_new(o, "ready", json_boolean(d->ready));
	json_object_set_new(o, "stopping", json_boolean(d->stopping));
	json_object_set_new(o, "state", json_string(d->stopping ? "stopping" :
	    !d->ready ? "starting" : d->pass ? "busy" : "ready"));
	json_object_set_new(o, "status", json_string(line));
	json_object_set_new(o, "busy", busy_json(d->pass));
	json_object_set_new(o, "fleet", fl);
	if (one)
		json_object_set_new(o, "member", member_json(one));
	json_object_set_new(o, "reloads", json_integer(d->reloads));
	return o;
}

static void
status_notify(struct fleetd *d)
{
	char line[256];

	json_decref(fleet_json(d, line, sizeof(line)));
	notify_send(&d->notify, "STATUS=%s", line);
}

/* ---- the pass on the worker thread ---- */

static int
known_has(char **known, const char *name)
{
	for (size_t i = 0; known && known[i]; i++)
		if (!strcmp(known[i], name))
			return 1;
	return 0;
}

struct pass_view {
	struct pass	*p;
	const size_t	*idx;	/* view index -> p->list index */
};

/* Worker thread: member i of the view ended; queue it for the loop. */
static void
pass_each(void *arg, size_t i, const struct fleet_outcome *o)
{
	struct pass_view *pv = arg;
	struct fleetd *d = pv->p->fd;
	struct fleet_progress *g;

	if (pv->p->conn == 0 || (g = calloc(1, sizeof(*g))) == NULL)
		return;
	g->conn = pv->p->conn;
	snprintf(g->cmd, sizeof(g->cmd), "%s", pv->p->cmd);
	snprintf(g->name, sizeof(g->name), "%s",
	    pv->p->list.v[pv->idx[i]].name);
	g->out = *o;
	uv_mutex_lock(&d->lock);
	*d->ptail = g;
	d->ptail = &g->next;
	uv_mutex_unlock(&d->lock);
	uv_async_send(&d->wake);
}

/*
 * Run the members of p->list that sel says, with opts; t2only (NULL:
 * none) says which of them run tier 2 alone.
 */
static void
pass_run(struct pass *p, const struct fleet_opts *opts,
    int (*sel)(struct pass *, size_t), int (*t2only)(struct pass *, size_t))
{
	struct fleet_opts o = *opts;
	struct pass_view pv = { p, NULL };
	struct fleet_list view;
	struct fleet_outcome *v;
	unsigned char *t2 = NULL;
	size_t *idx, n = 0;

	view.v = calloc(p->list.n ? p->list.n : 1, sizeof(*view.v));
	v = calloc(p->list.n ? p->list.n : 1, sizeof(*v));
	idx = calloc(p->list.n ? p->list.n : 1, sizeof(*idx));
	if (t2only)
		t2 = calloc(p->list.n ? p->list.n : 1, 1);
	if (view.v == NULL || v == NULL || idx == NULL || (t2only && !t2))
		goto out;
	for (size_t i = 0; i < p->list.n; i++)
		if (!p->run[i] && sel(p, i)) {
			view.v[n] = p->list.v[i];	/* borrowed */
			if (t2)
				t2[n] = (unsigned char)t2only(p, i);
			idx[n++] = i;
		}
	view.n = n;
	pv.idx = idx;
	o.each = pass_each;
	o.each_arg = &pv;
	o.t2only = t2;
	fleet_each(&p->fd->cfg, &view, &o, v);
	for (size_t k = 0; k < n; k++) {
		p->v[idx[k]] = v[k];
		p->run[idx[k]] = 1;
	}
out:
	free(view.v);
	free(v);
	free(idx);
	free(t2);
}

static int
sel_new(struct pass *p, size_t i)
{
	return !known_has(p->known, p->list.v[i].name);
}

/* up on a member whose tier 1 is known: tier 2 alone (fleet_opts) */
static int
sel_settled(struct pass *p, size_t i)
{
	return known_has(p->settled, p->list.v[i].name);
}

static int
sel_asked(struct pass *p, size_t i)
{
	if (p->member)
		return !strcmp(p->member, p->list.v[i].name);
	return !p->only_new;
}

static void
pass_work(uv_work_t *req)
{
	struct pass *p = req->data;
	struct fleet_opts o = { .verbose = p->fd->verbose, .report = 1,
	    .stop = &p->fd->stop, .fork_enter = forkgate_enter,
	    .fork_leave = forkgate_leave, .fork_arg = &p->fd->gate };

	merr_clear(&p->err);
	if (p->discover && fleet_members(&p->fd->cfg, &p->list, &p->err) ==
	    -1) {
		p->rc = -1;
		return;
	}
	p->v = calloc(p->list.n ? p->list.n : 1, sizeof(*p->v));
	p->run = calloc(p->list.n ? p->list.n : 1, 1);
	if (p->v == NULL || p->run == NULL) {
		p->rc = merr_set(&p->err, MERR_NOMEM, "out of memory");
		return;
	}
	if (p->check) {
		o.check = 1;
		pass_run(p, &o, sel_asked, NULL);
		return;
	}
	/* a member seen for the first time: brought up to date */
	o.up = 1;
	if (!p->member && p->new_up)
		pass_run(p, &o, sel_new, NULL);
	/* up: tier 2 alone where tier 1 is known (a reload, the start:
	   tier 1 everywhere) */
	o.up = p->up;
	pass_run(p, &o, sel_asked, p->t2up ? sel_settled : NULL);
}

/* ---- the pass on the loop ---- */

static void
pass_free(struct pass *p)
{
	fleet_list_release(&p->list);
	free(p->v);
	free(p->run);
	free(p->member);
	for (size_t i = 0; p->known && p->known[i]; i++)
		free(p->known[i]);
	free(p->known);
	for (size_t i = 0; p->settled && p->settled[i]; i++)
		free(p->settled[i]);
	free(p->settled);
	free(p);
}

/*
 * What a member said of itself into its state: a tier-2-only run's
 * verdict is joined with tier 1 as last read.
 */
static void
state_report(struct member_state *s, const struct fleet_report *rep)
{
	s->checked = 1;
	s->rep = *rep;
	if (rep->t1_read) {
		s->t1_known = 1;
		s->t1_clean = rep->t1_clean;
		s->t1_at = time(NULL);
	} else {
		s->rep.clean = rep->clean && s->t1_known && s->t1_clean;
	}
}

/* A member's outcome into its state. */
static void
pass_fold(struct fleetd *d, struct pass *p)
{
	for (size_t i = 0; i < p->list.n; i++) {
		struct fleet_outcome *o = &p->v[i];
		struct member_state *s;

		if (!p->run[i] || !o->done ||
		    (s = state_find(d, p->list.v[i].name)) == NULL)
			continue;
		s->ms = o->ms;
		s->at = time(NULL);
		if (o->reported)
			state_report(s, &o->rep);
		if (p->check) {
			if (o->rc == 1 && !s->failed) {
				s->failed = 1;
				snprintf(s->error, sizeof(s->error), "%s",
				    o->reported && o->rep.error[0] ?
				    o->rep.error : "the check failed");
			}
			continue;
		}
		s->known = 1;
		s->failed = o->rc != 0;
		snprintf(s->error, sizeof(s->error), "%s", !s->failed ? "" :
		    o->reported && o->rep.error[0] ? o->rep.error :
		    "its process ended without a report");
	}
}

/* The reply to who asked: per member, what this pass did. */
static json_t *
pass_reply(struct fleetd *d, struct pass *p, int *failed)
{
	json_t *data, *arr = json_array();

	*failed = 0;
	for (size_t i = 0; i < p->list.n; i++) {
		struct member_state *s;

		if (!p->run[i] || (s = state_find(d, p->list.v[i].name)) ==
		    NULL)
			continue;
		json_array_append_new(arr, member_json(s));
		if (!strcmp(state_name(s), "failed"))
			(*failed)++;
	}
	data = status_json(d, NULL);
	json_object_set_new(data, "run", arr);
	return data;
}

static void fleetd_close(struct fleetd *);

static void
pass_answer(struct fleetd *d, struct pass *p, struct conn *c)
{
	struct merr e;
	json_t *data;
	int failed;

	if (p->rc == -1) {
		control_send(c, proto_error(p->cmd, proto_code_from_merr(
		    &p->err), &p->err));
		return;
	}
	data = pass_reply(d, p, &failed);
	if (p->member && json_array_size(json_object_get(data, "run")) == 0) {
		merr_clear(&e);
		merr_set(&e, MERR_USAGE, "no member '%s' in the fleet (%zu "
		    "members)", p->member, d->members.n);
		control_send(c, proto_error(p->cmd, PROTO_BAD_ARG, &e));
		json_decref(data);
		return;
	}
	if (failed && !p->check) {
		merr_clear(&e);
		merr_set(&e, MERR_STATE, "%d member%s failed: %s", failed,
		    failed == 1 ? "" : "s", json_string_value(json_object_get(
		    data, "status")));
		merr_hint(&e, "migratectl status --member NAME shows why");
		control_send(c, proto_error(p->cmd, PROTO_FAILED, &e));
		json_decref(data);
		return;
	}
	control_send(c, proto_result(p->cmd, data));
}

static json_t *check_json(struct fleetd *);
static void pass_next(struct fleetd *);

/* Loop: one progress message per member that ended, to who asked. */
static void
progress_drain(struct fleetd *d)
{
	struct fleet_progress *g, *next;
	struct conn *c;
	char msg[700];

	uv_mutex_lock(&d->lock);
	g = d->progress;
	d->progress = NULL;
	d->ptail = &d->progress;
	uv_mutex_unlock(&d->lock);
	for (; g; g = next) {
		next = g->next;
		if ((c = control_find(&d->ctl, g->conn)) != NULL) {
			if (g->out.rc != 0 && !(g->out.rc == 3 &&
			    g->out.reported))
				snprintf(msg, sizeof(msg), "failed (%ld ms): %s",
				    g->out.ms, g->out.reported &&
				    g->out.rep.error[0] ? g->out.rep.error :
				    "see the log");
			else
				snprintf(msg, sizeof(msg), "%s, version %s "
				    "(%ld ms)", !g->out.rep.t1_read ?
				    (g->out.rep.clean ? "nothing to apply" :
				    "pending") : g->out.rep.clean ? "in sync" :
				    "pending", g->out.rep.version[0] ?
				    g->out.rep.version : "none", g->out.ms);
			control_send(c, proto_progress(g->cmd, json_pack(
			    "{s:s,s:s,s:s,s:s}", "phase", "member", "direction",
			    "", "name", g->name, "message", msg)));
		}
		free(g);
	}
}

static void
wake_cb(uv_async_t *h)
{
	progress_drain(h->data);
}

static void
pass_after(uv_work_t *req, int status)
{
	struct pass *p = req->data;
	struct fleetd *d = p->fd;
	struct conn *c;
	char line[256];

	d->pass = NULL;
	progress_drain(d);	/* before the reply that ends the stream */
	if (status == 0 && p->rc == 0 && p->discover &&
	    states_adopt(d, &p->list) == -1)
		log_warnx("out of memory: the member list was not updated");
	if (status == 0 && p->rc == 0)
		pass_fold(d, p);
	if (p->rc == -1)
		log_merr("error", &p->err);
	json_decref(fleet_json(d, line, sizeof(line)));
	log_info("%s: %s", p->cmd, line);
	if (p->conn && (c = control_find(&d->ctl, p->conn)) != NULL) {
		if (!strcmp(p->cmd, "check") && p->rc == 0)
			control_send(c, proto_result("check", check_json(d)));
		else
			pass_answer(d, p, c);
		control_done(c);
	}
	if (!d->ready && !d->stopping) {
		d->ready = 1;
		notify_send(&d->notify, "READY=1");
		log_info("ready: %zu members", d->members.n);
	}
	pass_free(p);
	pass_next(d);
	status_notify(d);
	if (d->stopping && d->pass == NULL)
		fleetd_close(d);
}

/*
 * The names the fleet has run (settled: and whose tier 1 is known, their
 * last run not failed), for the worker (a copy it owns).
 */
static char **
known_copy(struct fleetd *d, int settled)
{
	char **k = calloc(d->members.n + 1, sizeof(*k));

	for (size_t i = 0, n = 0; k && i < d->members.n; i++) {
		const struct member_state *s = &d->st[i];

		if (!s->known || (settled && (s->failed || !s->t1_known)))
			continue;
		if ((k[n++] = strdup(s->name)) == NULL)
			n--;
	}
	return k;
}

/* A copy of the member list, for a pass without discovery. */
static int
list_copy(const struct fleet_list *src, struct fleet_list *dst)
{
	fleet_list_init(dst);
	if (src->n == 0)
		return 0;
	if ((dst->v = calloc(src->n, sizeof(*dst->v))) == NULL)
		return -1;
	for (size_t i = 0; i < src->n; i++, dst->n++)
		if ((dst->v[i].name = strdup(src->v[i].name)) == NULL ||
		    (dst->v[i].conninfo = strdup(src->v[i].conninfo)) ==
		    NULL) {
			free(dst->v[i].name);
			fleet_list_release(dst);
			return -1;
		}
	return 0;
}

static int fleetd_reload_config(struct fleetd *, struct merr *);
static void rediscover_arm(struct fleetd *);

/* Start p on the worker: 0, or -1 (p answered if asked, and freed). */
static int
pass_launch(struct fleetd *d, struct pass *p)
{
	struct conn *c;

	merr_clear(&p->err);
	if (p->reload && fleetd_reload_config(d, &p->err) == 0) {
		d->reloads++;
		log_info("reload: configuration read again");
		rediscover_arm(d);
	} else if (p->reload) {
		log_merr("reload", &p->err);
		goto fail;
	}
	p->since = time(NULL);
	p->known = known_copy(d, 0);
	p->settled = known_copy(d, 1);
	if (p->known == NULL || p->settled == NULL || (!p->discover &&
	    list_copy(&d->members, &p->list) == -1)) {
		merr_set(&p->err, MERR_NOMEM, "out of memory");
		goto fail;
	}
	if (uv_queue_work(d->loop, &p->req, pass_work, pass_after) != 0) {
		merr_set(&p->err, MERR_INTERNAL, "cannot start the worker");
		goto fail;
	}
	d->pass = p;
	return 0;
fail:
	if (p->conn && (c = control_find(&d->ctl, p->conn)) != NULL) {
		control_send(c, proto_error(p->cmd, proto_code_from_merr(
		    &p->err), &p->err));
		control_done(c);
	}
	pass_free(p);
	return -1;
}

/* The next queued pass, if nothing runs; a stopping daemon drops them. */
static void
pass_next(struct fleetd *d)
{
	struct pass *p;
	struct conn *c;
	struct merr e;

	while (d->pass == NULL && (p = d->queue) != NULL) {
		d->queue = p->next;
		d->nqueued--;
		if (!d->stopping) {
			pass_launch(d, p);
			continue;
		}
		merr_clear(&e);
		merr_set(&e, MERR_STATE, "migrated is stopping");
		if (p->conn && (c = control_find(&d->ctl, p->conn)) != NULL) {
			control_send(c, proto_error(p->cmd, PROTO_SHUTDOWN,
			    &e));
			control_done(c);
		}
		pass_free(p);
	}
}

#define FLEETD_QUEUE_MAX	16

/*
 * A pass for cmd (answered to conn when it ends), run now or after those
 * before it.  -1: stopping, the queue is full, or out of memory.
 */
static int
pass_start(struct fleetd *d, const char *cmd, uint64_t conn, int discover,
    int up, int only_new, const char *member)
{
	struct pass *p, **tail;
	struct conn *c;

	if (d->stopping || d->nqueued >= FLEETD_QUEUE_MAX ||
	    (p = calloc(1, sizeof(*p))) == NULL)
		return -1;
	p->req.data = p;
	p->fd = d;
	snprintf(p->cmd, sizeof(p->cmd), "%s", cmd);
	p->conn = conn;
	p->uid = conn && (c = control_find(&d->ctl, conn)) != NULL ?
	    (long)c->uid : -1;
	p->discover = discover;
	p->up = up;
	p->check = !strcmp(cmd, "check");
	p->reload = !strcmp(cmd, "reload");
	p->only_new = only_new;
	p->new_up = strcmp(cmd, "start") != 0;
	p->t2up = !strcmp(cmd, "up");
	if (member && (p->member = strdup(member)) == NULL) {
		pass_free(p);
		return -1;
	}
	for (tail = &d->queue; *tail; tail = &(*tail)->next)
		;
	*tail = p;
	d->nqueued++;
	pass_next(d);
	status_notify(d);
	return 0;
}

/* ---- commands ---- */

static const struct proto_arg args_status[] = {
	PROTO_ARG("wait_ready", PA_BOOL, wait_ready, 0),
	PROTO_ARG("member", PA_STR, member, 0),
	{ NULL, PA_INT, 0, 0 }
};
static const struct proto_arg args_up[] = {
	PROTO_ARG("member", PA_STR, member, 0),
	{ NULL, PA_INT, 0, 0 }
};
static const struct proto_arg args_none[] = { { NULL, PA_INT, 0, 0 } };

struct fcmd {
	const char		*name;
	enum cmd_access		 access;
	const struct proto_arg	*args;
	int			(*run)(struct fleetd *, struct conn *,
				    struct proto_request *);
};

static int
reply_error(struct conn *c, const char *cmd, enum proto_code code,
    struct merr *e)
{
	control_send(c, proto_error(cmd, code, e));
	return 0;
}

static int
busy(struct fleetd *d, struct conn *c, const char *cmd)
{
	struct merr e;

	merr_clear(&e);
	if (d->stopping)
		merr_set(&e, MERR_STATE, "migrated is stopping");
	else
		merr_set(&e, MERR_STATE, "the fleet is busy: %d commands wait",
		    d->nqueued);
	return reply_error(c, cmd, d->stopping ? PROTO_SHUTDOWN : PROTO_BUSY,
	    &e);
}

static int
run_status(struct fleetd *d, struct conn *c, struct proto_request *r)
{
	struct member_state *one = NULL;
	struct merr e;

	if (r->member && (one = state_find(d, r->member)) == NULL) {
		merr_clear(&e);
		merr_set(&e, MERR_USAGE, "no member '%s' in the fleet (%zu "
		    "members)", r->member, d->members.n);
		snprintf(e.field, sizeof(e.field), "member");
		return reply_error(c, "status", PROTO_BAD_ARG, &e);
	}
	control_send(c, proto_result("status", status_json(d, one)));
	return 0;
}

/* clean: every member checked, in sync; problems name the others. */
static json_t *
check_json(struct fleetd *d)
{
	json_t *o = json_object(), *probs = json_array();
	char buf[700];

	for (size_t i = 0; i < d->members.n; i++) {
		const struct member_state *s = &d->st[i];
		const char *st = state_name(s);

		if (!strcmp(st, "in sync"))
			continue;
		if (s->failed)
			snprintf(buf, sizeof(buf), "member '%s': failed: %s",
			    s->name, s->error);
		else if (!strcmp(st, "pending"))
			snprintf(buf, sizeof(buf), "member '%s': not in sync "
			    "(%ld enhancement(s) pending)", s->name,
			    s->rep.pending);
		else
			snprintf(buf, sizeof(buf), "member '%s': %s", s->name,
			    st);
		json_array_append_new(probs, json_string(buf));
	}
	json_object_set_new(o, "clean", json_boolean(json_array_size(probs) ==
	    0 && d->members.n > 0));
	if (d->members.n == 0)
		json_array_append_new(probs, json_string("the fleet has no "
		    "member"));
	json_object_set_new(o, "problems", probs);
	return o;
}

/* check: every member planned and its tracking table read again. */
static int
run_check(struct fleetd *d, struct conn *c, struct proto_request *r)
{
	(void)r;
	if (pass_start(d, "check", c->id, 0, 0, 0, NULL) == -1)
		return busy(d, c, "check");
	return 1;
}

static int
run_up(struct fleetd *d, struct conn *c, struct proto_request *r)
{
	if (pass_start(d, "up", c->id, 1, 1, 0, r->member) == -1)
		return busy(d, c, "up");
	return 1;
}

/* Parse the configuration again; keep the old one on any error. */
static int
fleetd_reload_config(struct fleetd *d, struct merr *e)
{
	struct config fresh;

	if (config_load(&fresh, d->config_path, &d->ov, e) == -1)
		return -1;
	if (config_check_paths(&fresh, e) == -1) {
		config_release(&fresh);
		return -1;
	}
	if (!fresh.fleet.on) {
		config_release(&fresh);
		merr_set(e, MERR_CONFIG, "the configuration no longer names a "
		    "fleet: restart migrated to serve one database");
		snprintf(e->field, sizeof(e->field), "fleet");
		return -1;
	}
	config_release(&d->cfg);
	d->cfg = fresh;
	return 0;
}

static void rediscover_cb(uv_timer_t *);

static void
rediscover_arm(struct fleetd *d)
{
	uint64_t ms = (uint64_t)d->cfg.fleet.rediscover_ms;

	uv_timer_stop(&d->rediscover);
	if (ms > 0 && d->cfg.fleet.discover)
		uv_timer_start(&d->rediscover, rediscover_cb, ms, ms);
}

/* Configuration read again, then tier 1 on every member (the models
 * may have changed) and discover run again, after what runs now. */
static int
reload(struct fleetd *d, uint64_t conn, struct merr *e)
{
	if (pass_start(d, "reload", conn, 1, 0, 0, NULL) == -1)
		return merr_set(e, MERR_STATE, d->stopping ? "migrated is "
		    "stopping" : "too many commands waiting");
	return 0;
}

static int
run_reload(struct fleetd *d, struct conn *c, struct proto_request *r)
{
	struct merr e;

	(void)r;
	merr_clear(&e);
	if (reload(d, c->id, &e) == -1)
		return reply_error(c, "reload", d->stopping ? PROTO_SHUTDOWN :
		    PROTO_BUSY, &e);
	return 1;
}

static const struct fcmd fcmds[] = {
	{ "status", CMD_READ, args_status, run_status },
	{ "check", CMD_READ, args_none, run_check },
	{ "up", CMD_ADMIN, args_up, run_up },
	{ "reload", CMD_ADMIN, args_none, run_reload },
};

static int
fleetd_serve(void *arg, struct conn *c, const char *line, size_t len)
{
	struct fleetd *d = arg;
	const struct fcmd *cmd = NULL;
	struct proto_request r;
	struct merr e;
	json_t *obj = NULL;
	int rc = 0;

	merr_clear(&e);
	proto_request_init(&r);
	if (proto_request_parse(line, len, &r, &obj, &e) == -1) {
		reply_error(c, r.cmd, PROTO_MALFORMED, &e);
		goto out;
	}
	for (size_t i = 0; i < sizeof(fcmds) / sizeof(fcmds[0]); i++)
		if (!strcmp(fcmds[i].name, r.cmd))
			cmd = &fcmds[i];
	if (cmd == NULL) {
		merr_set(&e, MERR_USAGE, "'%s' is not served for a fleet",
		    r.cmd);
		snprintf(e.field, sizeof(e.field), "cmd");
		merr_hint(&e, "a fleet serves status, check, up and reload; "
		    "for one member's other commands run migrated on it");
		reply_error(c, r.cmd, PROTO_UNKNOWN_CMD, &e);
	} else if (!cmd_allowed(&d->cfg, c, cmd->access)) {
		merr_set(&e, MERR_PERM, "permission denied for '%s'", r.cmd);
		log_warnx("denied '%s' to uid %ld (%s)", r.cmd, (long)c->uid,
		    c->user);
		reply_error(c, r.cmd, PROTO_DENIED, &e);
	} else if (proto_request_args(obj, cmd->args, &r, &e) == -1) {
		reply_error(c, r.cmd, PROTO_BAD_ARG, &e);
	} else {
		rc = cmd->run(d, c, &r);
	}
out:
	json_decref(obj);
	proto_request_release(&r);
	return rc;
}

/* ---- signals, timers, start and stop ---- */

static void
fleetd_close(struct fleetd *d)
{
	if (d->closed++)
		return;
	notify_send(&d->notify, "STOPPING=1");
	control_close(&d->ctl);
	notify_close(&d->notify);
	uv_close((uv_handle_t *)&d->rediscover, NULL);
	if (d->wake.loop)
		uv_close((uv_handle_t *)&d->wake, NULL);
	forkgate_close(&d->gate);
	uv_close((uv_handle_t *)&d->sigterm, NULL);
	uv_close((uv_handle_t *)&d->sigint, NULL);
	uv_close((uv_handle_t *)&d->sighup, NULL);
}

static void
signal_cb(uv_signal_t *h, int sig)
{
	struct fleetd *d = h->data;
	struct merr e;

	if (sig == SIGHUP) {
		merr_clear(&e);
		if (reload(d, 0, &e) == -1)
			log_merr("reload", &e);
		return;
	}
	if (d->stopping)
		return;
	log_info("stopping on signal %d%s", sig, d->pass ?
	    ": after the members running now" : "");
	d->stopping = 1;
	d->stop = 1;
	control_stop_accepting(&d->ctl);
	if (d->pass == NULL)
		fleetd_close(d);
}

static void
rediscover_cb(uv_timer_t *h)
{
	struct fleetd *d = h->data;

	if (d->pass == NULL && d->queue == NULL && d->ready)
		pass_start(d, "discover", 0, 1, 0, 1, NULL);
}

static int
fleetd_start(struct fleetd *d)
{
	struct merr e;

	merr_clear(&e);
	if (control_listen(&d->ctl, fleetd_serve, d, d->loop, &d->cfg,
	    &e) == -1) {
		log_merr("error", &e);
		return e.code == MERR_CONFIG ? EXIT_CANNOT_HEAL : 1;
	}
	uv_signal_init(d->loop, &d->sigterm);
	uv_signal_init(d->loop, &d->sigint);
	uv_signal_init(d->loop, &d->sighup);
	d->sigterm.data = d->sigint.data = d->sighup.data = d;
	uv_signal_start(&d->sigterm, signal_cb, SIGTERM);
	uv_signal_start(&d->sigint, signal_cb, SIGINT);
	uv_signal_start(&d->sighup, signal_cb, SIGHUP);
	uv_timer_init(d->loop, &d->rediscover);
	d->rediscover.data = d;
	rediscover_arm(d);
	notify_init(&d->notify, d->loop);
	uv_async_init(d->loop, &d->wake, wake_cb);
	d->wake.data = d;
	if (forkgate_init(&d->gate, d->loop) == -1) {
		log_errorx("error: cannot make the members' fork gate");
		fleetd_close(d);
		return 1;
	}
	/* tier 1 on every member; tier 2 too with apply: on-start */
	if (pass_start(d, "start", 0, 1, d->cfg.apply != APPLY_ON_COMMAND, 0,
	    NULL) == -1) {
		log_errorx("error: cannot start the first pass");
		fleetd_close(d);
		return 1;
	}
	return 0;
}

int
fleetd_main(const char *config_path, const struct config_overrides *ov,
    struct config *cfg, int verbose)
{
	struct fleetd d;
	uv_loop_t loop;
	int rc;

	memset(&d, 0, sizeof(d));
	signal(SIGPIPE, SIG_IGN);
	d.cfg = *cfg;		/* taken over */
	config_init(cfg);
	d.config_path = config_path;
	d.ov = *ov;
	d.verbose = verbose;
	d.started = time(NULL);
	fleet_list_init(&d.members);
	d.ptail = &d.progress;
	uv_mutex_init(&d.lock);
	uv_loop_init(&loop);
	d.loop = &loop;
	log_info("starting migrated %s (pid %ld) for a fleet, %ld in "
	    "parallel", MIGRATED_VERSION, (long)getpid(), d.cfg.fleet.parallel);
	d.exit_code = fleetd_start(&d);
	uv_run(&loop, UV_RUN_DEFAULT);
	if ((rc = uv_loop_close(&loop)) != 0)
		log_warnx("event loop closed with handles open: %s",
		    uv_strerror(rc));
	for (size_t i = 0; i < d.members.n; i++)
		free(d.st[i].name);
	free(d.st);
	for (struct fleet_progress *g = d.progress, *next; g; g = next) {
		next = g->next;
		free(g);
	}
	uv_mutex_destroy(&d.lock);
	fleet_list_release(&d.members);
	config_release(&d.cfg);
	log_info("stopped (exit %d)", d.exit_code);
	return d.exit_code;
}
