/*
 * main.c - migratectl: the command-line client of migrated.
 *
 * Commands are rows of one table; their arguments are parsed into one
 * struct proto_request, sent as one line, and the reply stream goes
 * through the output vtable (text or --json).
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "client.h"
#include "cmdspec.h"
#include "config.h"
#include "help.h"
#include "metrics.h"
#include "output.h"
#include "proto.h"
#include "proto_status.h"
#include "version.h"

#include "migrate.h"	/* create: local, no daemon */
#include "pull.h"	/* pull: the files written here */

/* Exit codes (documented in --help and migratectl(8)). */
enum {
	EX_OK = 0, EX_FAILED = 1, EX_USAGE = 2, EX_PENDING = 3,
	EX_UNREACHABLE = 4, EX_DENIED = 5
};

#define SERVICE_SOCKET_FMT	"/run/migrated/%s.sock"
#define SOCKET_ENV		"MIGRATED_SOCKET"

struct ctl {
	const char		*socket;	/* -s / --socket */
	const char		*service;	/* --service, -n */
	const char		*config;	/* -c */
	const char		*migrations;	/* --migrations (create) */
	const char		*pull_dir;	/* pull DIR */
	int			 force;		/* pull --force */
	const char		*output;	/* metrics -o */
	int			 json;
	int			 yes;
	int			 quiet;		/* exchange prints nothing */
	double			 timeout;	/* wait-ready, seconds */
	pid_t			 wait_pid;	/* wait-ready --pid, or 0 */
	const struct output	*out;
	char			 path[108];	/* the socket chosen */
};

struct ctl_cmd;
typedef int (*ctl_fn)(struct ctl *, const struct ctl_cmd *,
    struct proto_request *);
typedef int (*parse_fn)(struct ctl *, int, char **, struct proto_request *);

/* What each command does for the user is in help.c, by the same name. */
struct ctl_cmd {
	const char	*name;
	parse_fn	 parse;
	ctl_fn		 run;
};

static int	parse_none(struct ctl *, int, char **, struct proto_request *);
static int	parse_member(struct ctl *, int, char **,
		    struct proto_request *);
static int	parse_steps(struct ctl *, int, char **, struct proto_request *);
static int	parse_version(struct ctl *, int, char **,
		    struct proto_request *);
static int	parse_log(struct ctl *, int, char **, struct proto_request *);
static int	parse_adopt(struct ctl *, int, char **, struct proto_request *);
static int	parse_validate(struct ctl *, int, char **,
		    struct proto_request *);
static int	parse_audit(struct ctl *, int, char **, struct proto_request *);
static int	parse_wait(struct ctl *, int, char **, struct proto_request *);
static int	parse_create(struct ctl *, int, char **,
		    struct proto_request *);
static int	parse_pull(struct ctl *, int, char **,
		    struct proto_request *);
static int	run_remote(struct ctl *, const struct ctl_cmd *,
		    struct proto_request *);
static int	run_wait(struct ctl *, const struct ctl_cmd *,
		    struct proto_request *);
static int	run_create(struct ctl *, const struct ctl_cmd *,
		    struct proto_request *);
static int	run_pull(struct ctl *, const struct ctl_cmd *,
		    struct proto_request *);

static int	parse_help(struct ctl *, int, char **, struct proto_request *);
static int	parse_metrics(struct ctl *, int, char **,
		    struct proto_request *);
static int	run_help(struct ctl *, const struct ctl_cmd *,
		    struct proto_request *);
static int	run_conninfo(struct ctl *, const struct ctl_cmd *,
		    struct proto_request *);
static int	run_metrics(struct ctl *, const struct ctl_cmd *,
		    struct proto_request *);

static const struct ctl_cmd ctl_cmds[] = {
	{ "status", parse_member, run_remote },
	{ "check", parse_none, run_remote },
	{ "plan", parse_none, run_remote },
	{ "list", parse_none, run_remote },
	{ "up", parse_steps, run_remote },
	{ "down", parse_steps, run_remote },
	{ "goto", parse_version, run_remote },
	{ "force", parse_version, run_remote },
	{ "redo", parse_none, run_remote },
	{ "adopt", parse_adopt, run_remote },
	{ "baseline", parse_version, run_remote },
	{ "validate", parse_validate, run_remote },
	{ "create", parse_create, run_create },
	{ "pull", parse_pull, run_pull },
	{ "log", parse_log, run_remote },
	{ "audit", parse_audit, run_remote },
	{ "reload", parse_none, run_remote },
	{ "version", parse_none, run_remote },
	{ "conninfo", parse_none, run_conninfo },
	{ "metrics", parse_metrics, run_metrics },
	{ "wait-ready", parse_wait, run_wait },
	{ "help", parse_help, run_help },
};

static void __attribute__((noreturn))
usage(int code)
{
	help_all(code ? stderr : stdout, CONFIG_DEFAULT_PATH);
	exit(code);
}

static int
usage_error(const struct ctl_cmd *cmd, const char *fmt, const char *arg)
{
	fprintf(stderr, "migratectl: ");
	fprintf(stderr, fmt, arg);
	fprintf(stderr, "\nusage: migratectl %s\n", help_usage(cmd ?
	    cmd->name : NULL));
	return -1;
}

static int
parse_long(const char *s, long *out)
{
	char *end;

	errno = 0;
	*out = strtol(s, &end, 10);
	return errno || *s == '\0' || *end || *out < 0 ? -1 : 0;
}

/* Options every command accepts after its name. */
enum { O_TO = 256, O_ALL, O_OOO, O_DRY, O_SINCE, O_VERSION, O_LIMIT,
    O_MD, O_TIMEOUT, O_JSON, O_FROM, O_STRICT,
    O_FORCE, O_MEMBER, O_PID };
static const struct option cmd_opts[] = {
	{ "help", no_argument, NULL, 'h' },
	{ "yes", no_argument, NULL, 'y' },
	{ "output", required_argument, NULL, 'o' },
	{ "json", no_argument, NULL, O_JSON },
	{ "to", required_argument, NULL, O_TO },
	{ "all", no_argument, NULL, O_ALL },
	{ "out-of-order", no_argument, NULL, O_OOO },
	{ "dry-run", no_argument, NULL, O_DRY },
	{ "since", required_argument, NULL, O_SINCE },
	{ "version", required_argument, NULL, O_VERSION },
	{ "limit", required_argument, NULL, O_LIMIT },
	{ "markdown", no_argument, NULL, O_MD },
	{ "timeout", required_argument, NULL, O_TIMEOUT },
	{ "from", required_argument, NULL, O_FROM },
	{ "strict", no_argument, NULL, O_STRICT },
	{ "force", no_argument, NULL, O_FORCE },
	{ "member", required_argument, NULL, O_MEMBER },
	{ "pid", required_argument, NULL, O_PID },
	{ NULL, 0, NULL, 0 },
};

static char *
dup_arg(const char *s)
{
	char *d = strdup(s);

	if (d == NULL) {
		fprintf(stderr, "migratectl: out of memory\n");
		exit(EX_FAILED);
	}
	return d;
}

/* Parse the command's options into r; which ones it takes is "allowed". */
static int
parse_opts(struct ctl *x, const struct ctl_cmd *cmd, int argc, char **argv,
    struct proto_request *r, const char *allowed)
{
	char name[32];
	long n;
	int ch, idx;

	optind = 0;	/* glibc: a full re-initialisation, permuting again */
	opterr = 0;
	while ((ch = getopt_long(argc, argv, "hyo:", cmd_opts, &idx)) != -1) {
		snprintf(name, sizeof(name), "%s", ch == '?' ? argv[optind - 1]
		    : ch == 'y' ? "--yes" : ch == 'h' ? "--help" : ch == 'o' ?
		    "-o" : cmd_opts[idx].name);
		if (ch != '?' && ch != 'y' && ch != 'h' && ch != O_JSON &&
		    !strstr(allowed, ch == 'o' ? "output" : cmd_opts[idx].name))
			ch = '?';
		switch (ch) {
		case 'h':
			help_command(stdout, help_find(cmd->name));
			exit(EX_OK);
		case 'o': x->output = optarg; break;
		case 'y': x->yes = 1; break;
		case O_JSON: x->json = 1; break;
		case O_TO: r->to = dup_arg(optarg); break;
		case O_ALL: r->all = 1; break;
		case O_OOO: r->out_of_order = 1; break;
		case O_DRY: r->dry_run = 1; break;
		case O_SINCE: r->since = dup_arg(optarg); break;
		case O_VERSION: r->version = dup_arg(optarg); break;
		case O_MD: r->markdown = 1; break;
		case O_FROM: r->from = dup_arg(optarg); break;
		case O_STRICT: r->strict = 1; break;
		case O_FORCE: x->force = 1; break;
		case O_MEMBER: r->member = dup_arg(optarg); break;
		case O_LIMIT:
			if (parse_long(optarg, &n) == -1)
				return usage_error(cmd, "bad --limit '%s'",
				    optarg);
			r->limit = n;
			break;
		case O_TIMEOUT:
			if ((x->timeout = strtod(optarg, NULL)) <= 0)
				return usage_error(cmd, "bad --timeout '%s'",
				    optarg);
			break;
		case O_PID:
			if (parse_long(optarg, &n) == -1 || n < 2 ||
			    n != (pid_t)n)
				return usage_error(cmd, "bad --pid '%s'",
				    optarg);
			x->wait_pid = (pid_t)n;
			break;
		default:
			if (ch == '?' && optopt == 'o')
				return usage_error(cmd, "%s",
				    "-o needs a FILE");
			return usage_error(cmd, "unknown option '%s'", name);
		}
	}
	return optind;
}

static const struct ctl_cmd *
cmd_of(const struct proto_request *r)
{
	for (size_t k = 0; k < sizeof(ctl_cmds) / sizeof(ctl_cmds[0]); k++)
		if (!strcmp(ctl_cmds[k].name, r->cmd))
			return &ctl_cmds[k];
	return NULL;
}

static int
parse_none(struct ctl *x, int argc, char **argv, struct proto_request *r)
{
	const struct ctl_cmd *cmd = cmd_of(r);
	int i;

	if ((i = parse_opts(x, cmd, argc, argv, r, "")) == -1)
		return -1;
	if (i < argc)
		return usage_error(cmd, "unexpected argument '%s'", argv[i]);
	return 0;
}

/* status [--member NAME]: a fleet's member (migrated with 'fleet') */
static int
parse_member(struct ctl *x, int argc, char **argv, struct proto_request *r)
{
	const struct ctl_cmd *cmd = cmd_of(r);
	int i;

	if ((i = parse_opts(x, cmd, argc, argv, r, "member")) == -1)
		return -1;
	if (i < argc)
		return usage_error(cmd, "unexpected argument '%s'", argv[i]);
	return 0;
}

static int
parse_validate(struct ctl *x, int argc, char **argv, struct proto_request *r)
{
	const struct ctl_cmd *cmd = cmd_of(r);
	int i;

	if ((i = parse_opts(x, cmd, argc, argv, r, "strict")) == -1)
		return -1;
	if (i < argc)
		return usage_error(cmd, "unexpected argument '%s'", argv[i]);
	return 0;
}

static int
parse_steps(struct ctl *x, int argc, char **argv, struct proto_request *r)
{
	const struct ctl_cmd *cmd = cmd_of(r);
	int up = !strcmp(r->cmd, "up"), i;
	long n;

	if ((i = parse_opts(x, cmd, argc, argv, r, up ?
	    "to out-of-order dry-run member" : "to all dry-run")) == -1)
		return -1;
	if (i < argc) {
		if (parse_long(argv[i], &n) == -1 || n == 0)
			return usage_error(cmd, "'%s' is not a number of "
			    "steps", argv[i]);
		r->steps = n;
		i++;
	}
	if (i < argc)
		return usage_error(cmd, "unexpected argument '%s'", argv[i]);
	if ((r->steps >= 0) + (r->to != NULL) + r->all > 1)
		return usage_error(cmd, "%s", "N, --to and --all exclude each "
		    "other");
	return 0;
}

static int
parse_version(struct ctl *x, int argc, char **argv, struct proto_request *r)
{
	const struct ctl_cmd *cmd = cmd_of(r);
	int i;

	if ((i = parse_opts(x, cmd, argc, argv, r,
	    strcmp(r->cmd, "baseline") ? "" : "dry-run")) == -1)
		return -1;
	if (i >= argc)
		return usage_error(cmd, "%s", "missing VERSION");
	r->version = dup_arg(argv[i++]);
	if (i < argc)
		return usage_error(cmd, "unexpected argument '%s'", argv[i]);
	return 0;
}

static int
parse_adopt(struct ctl *x, int argc, char **argv, struct proto_request *r)
{
	const struct ctl_cmd *cmd = cmd_of(r);
	int i;

	if ((i = parse_opts(x, cmd, argc, argv, r, "from dry-run")) == -1)
		return -1;
	if (i < argc)
		return usage_error(cmd, "unexpected argument '%s'", argv[i]);
	return 0;
}

static int
parse_log(struct ctl *x, int argc, char **argv, struct proto_request *r)
{
	const struct ctl_cmd *cmd = cmd_of(r);
	int i;

	if ((i = parse_opts(x, cmd, argc, argv, r,
	    "since version limit markdown")) == -1)
		return -1;
	if (i < argc)
		return usage_error(cmd, "unexpected argument '%s'", argv[i]);
	return 0;
}

static int
parse_audit(struct ctl *x, int argc, char **argv, struct proto_request *r)
{
	const struct ctl_cmd *cmd = cmd_of(r);
	int i;

	if ((i = parse_opts(x, cmd, argc, argv, r, "")) == -1)
		return -1;
	if (i >= argc || strcmp(argv[i], "verify"))
		return usage_error(cmd, "%s", "expected 'verify'");
	r->sub = dup_arg(argv[i++]);
	if (i < argc)
		return usage_error(cmd, "unexpected argument '%s'", argv[i]);
	return 0;
}

static int
parse_wait(struct ctl *x, int argc, char **argv, struct proto_request *r)
{
	const struct ctl_cmd *cmd = cmd_of(r);
	int i;

	x->timeout = 60;
	if ((i = parse_opts(x, cmd, argc, argv, r, "timeout pid")) == -1)
		return -1;
	if (i < argc)
		return usage_error(cmd, "unexpected argument '%s'", argv[i]);
	return 0;
}

/* pull DIR [--force]: DIR is migratectl's, the daemon takes nothing. */
static int
parse_pull(struct ctl *x, int argc, char **argv, struct proto_request *r)
{
	const struct ctl_cmd *cmd = cmd_of(r);
	int i;

	if ((i = parse_opts(x, cmd, argc, argv, r, "force")) == -1)
		return -1;
	if (i >= argc)
		return usage_error(cmd, "%s", "missing DIR");
	x->pull_dir = argv[i++];
	if (i < argc)
		return usage_error(cmd, "unexpected argument '%s'", argv[i]);
	return 0;
}

static int
parse_create(struct ctl *x, int argc, char **argv, struct proto_request *r)
{
	const struct ctl_cmd *cmd = cmd_of(r);
	int i;

	if ((i = parse_opts(x, cmd, argc, argv, r, "")) == -1)
		return -1;
	if (i >= argc)
		return usage_error(cmd, "%s", "missing NAME");
	r->sub = dup_arg(argv[i++]);
	if (i < argc)
		return usage_error(cmd, "unexpected argument '%s'", argv[i]);
	return 0;
}

static int
parse_help(struct ctl *x, int argc, char **argv, struct proto_request *r)
{
	const struct ctl_cmd *cmd = cmd_of(r);
	int i;

	if ((i = parse_opts(x, cmd, argc, argv, r, "")) == -1)
		return -1;
	if (i < argc && help_find(argv[i]) == NULL)
		return usage_error(cmd, "no command '%s'", argv[i]);
	if (i < argc)
		r->sub = dup_arg(argv[i++]);
	if (i < argc)
		return usage_error(cmd, "unexpected argument '%s'", argv[i]);
	return 0;
}

static int
parse_metrics(struct ctl *x, int argc, char **argv, struct proto_request *r)
{
	const struct ctl_cmd *cmd = cmd_of(r);
	int i;

	if ((i = parse_opts(x, cmd, argc, argv, r, "output")) == -1)
		return -1;
	if (i < argc)
		return usage_error(cmd, "unexpected argument '%s'", argv[i]);
	return 0;
}

static int
exit_code(enum proto_code code)
{
	switch (code) {
	case PROTO_OK:
		return EX_OK;
	case PROTO_DENIED:
		return EX_DENIED;
	case PROTO_BAD_ARG:
	case PROTO_UNKNOWN_CMD:
	case PROTO_MALFORMED:
	case PROTO_CONFIRM:
		return EX_USAGE;
	default:
		return EX_FAILED;
	}
}

static int
local_error(struct ctl *x, const char *cmd, const struct merr *e)
{
	enum proto_code code = e->code == MERR_PERM ? PROTO_DENIED :
	    e->code == MERR_CONNECT ? PROTO_UNREACHABLE : PROTO_FAILED;

	x->out->error(cmd, NULL, code, e);
	if (e->code == MERR_PERM)
		return EX_DENIED;
	return e->code == MERR_CONNECT ? EX_UNREACHABLE : EX_FAILED;
}

static int	exchange(struct ctl *, struct proto_request *,
		    enum proto_code *, struct merr *, json_t **);

/*
 * What a destructive command would roll back, asked of the daemon as a
 * dry run of the same down: one line per enhancement, on stderr.
 */
static void
confirm_preview(struct ctl *x, const struct proto_request *r)
{
	enum proto_code code = PROTO_INTERNAL;
	struct proto_request p;
	json_t *data = NULL, *st;
	struct merr e;
	size_t i;

	if (!strcmp(r->cmd, "force")) {
		fprintf(stderr, "this records '%s' as the newest applied "
		    "version without running any SQL\n", r->version);
		return;
	}
	proto_request_init(&p);
	snprintf(p.cmd, sizeof(p.cmd), "down");
	p.dry_run = 1;
	if (!strcmp(r->cmd, "down")) {
		p.steps = r->steps;
		p.all = r->all;
		p.to = r->to ? dup_arg(r->to) : NULL;
	} else if (!strcmp(r->cmd, "goto")) {
		p.to = dup_arg(r->version);
	} else {
		p.steps = 1;
	}
	merr_clear(&e);
	x->quiet = 1;
	if (exchange(x, &p, &code, &e, &data) == 0 && code == PROTO_OK) {
		json_t *steps = json_object_get(data, "steps");

		fprintf(stderr, "this rolls back %zu enhancement%s:\n",
		    json_array_size(steps), json_array_size(steps) == 1 ?
		    "" : "s");
		json_array_foreach(steps, i, st)
			fprintf(stderr, "  %s %s\n", json_string_value(
			    json_object_get(st, "version")), json_string_value(
			    json_object_get(st, "name")));
	}
	x->quiet = 0;
	json_decref(data);
	proto_request_release(&p);
}

/* Ask on a terminal, naming what will change: 1 yes, 0 no, -1 no
 * terminal to ask on. */
static int
confirm(struct ctl *x, const struct proto_request *r)
{
	char line[16];

	if (!isatty(STDIN_FILENO) || !isatty(STDERR_FILENO))
		return -1;
	confirm_preview(x, r);
	fprintf(stderr, "really run '%s'? [y/N] ", r->cmd);
	if (fgets(line, sizeof(line), stdin) == NULL)
		return 0;
	return line[0] == 'y' || line[0] == 'Y';
}

/* One request, its reply stream; *code gets the result code. */
static int
exchange(struct ctl *x, struct proto_request *r, enum proto_code *code,
    struct merr *e, json_t **data)
{
	struct proto_reply rep;
	struct client c;
	int rc = -1;

	if (client_open(&c, x->path, e) == -1)
		return -1;
	if (client_send(&c, r, e) == -1)
		goto out;
	while (client_next(&c, &rep, e) == 1) {
		if (!rep.is_result) {
			if (!x->quiet)
				x->out->progress(r->cmd, rep.msg);
			proto_reply_release(&rep);
			/* a batch printed at once, before waiting for more */
			if (!x->quiet && !client_ready(&c))
				x->out->flush();
			continue;
		}
		*code = rep.code;
		if (rep.code == PROTO_OK) {
			if (data)
				*data = json_incref(rep.data);
			else
				x->out->result(r->cmd, rep.msg, rep.data);
		} else if (!x->quiet && (rep.code != PROTO_CONFIRM ||
		    x->json)) {
			x->out->error(r->cmd, rep.msg, rep.code, &rep.err);
		}
		*e = rep.err;
		proto_reply_release(&rep);
		rc = 0;
		break;
	}
out:
	x->out->flush();	/* whatever ended the stream */
	client_close(&c);
	return rc;
}

/*
 * Not confirmed: answered no, or off a terminal, where the hint says what
 * to type instead (the daemon's hint speaks of the protocol).
 */
static void
confirm_refused(struct ctl *x, const struct proto_request *r, int asked,
    struct merr *e)
{
	if (asked) {
		merr_clear(e);
		merr_set(e, MERR_USAGE, "not confirmed: nothing done");
	} else {
		merr_hint(e, "not asked off a terminal: run 'migratectl %s "
		    "--yes' (make targets: YES=1)", r->cmd);
	}
	x->out->error(r->cmd, NULL, PROTO_CONFIRM, e);
}

/* version: migratectl adds its own version and protocol to the reply. */
static void
version_add_client(json_t *data)
{
	const struct proto_field *t = proto_version_fields;

	json_object_set_new(data, t[VE_CLIENT].name,
	    json_string(MIGRATED_VERSION));
	json_object_set_new(data, t[VE_CLIENT_PROTO].name,
	    json_integer(PROTO_VERSION));
}

static int
run_remote(struct ctl *x, const struct ctl_cmd *cmd, struct proto_request *r)
{
	enum proto_code code = PROTO_INTERNAL;
	int check = !strcmp(cmd->name, "check");
	int version = !strcmp(cmd->name, "version"), rc = EX_OK;
	json_t *data = NULL, *msg;
	json_t **want = check || version ? &data : NULL;
	struct merr e;

	merr_clear(&e);
	if (exchange(x, r, &code, &e, want) == -1)
		return local_error(x, r->cmd, &e);
	if (code == PROTO_CONFIRM && !x->json) {
		int yes = confirm(x, r);

		if (yes != 1) {
			confirm_refused(x, r, yes == 0, &e);
			return EX_USAGE;
		}
		r->yes = 1;
		merr_clear(&e);
		if (exchange(x, r, &code, &e, want) == -1)
			return local_error(x, r->cmd, &e);
	}
	if (code != PROTO_OK || data == NULL)
		return exit_code(code);
	/* check and version: read or add to the data, then print it */
	if (check && !json_is_true(proto_field_get(data, proto_check_fields,
	    CK_CLEAN)))
		rc = EX_PENDING;
	if (version)
		version_add_client(data);
	msg = proto_result(r->cmd, json_incref(data));
	x->out->result(r->cmd, msg, data);
	json_decref(msg);
	json_decref(data);
	return rc;
}

/* One value of a connection string, quoted when it must be (libpq). */
static void
conninfo_value(const char *key, const char *v, int first)
{
	printf("%s%s=", first ? "" : " ", key);
	if (*v && strcspn(v, " \t\n'\\") == strlen(v)) {
		fputs(v, stdout);
		return;
	}
	putchar('\'');
	for (; *v; v++) {
		if (*v == '\'' || *v == '\\')
			putchar('\\');
		putchar(*v);
	}
	putchar('\'');
}

/* The daemon's database from `version`, as "host=... dbname=...". */
static int
run_conninfo(struct ctl *x, const struct ctl_cmd *cmd,
    struct proto_request *r)
{
	const struct proto_field *t = proto_version_fields[VE_DATABASE].sub;
	enum proto_code code = PROTO_INTERNAL;
	json_t *data = NULL, *db;
	struct merr e;
	int n = 0;

	(void)cmd;
	snprintf(r->cmd, sizeof(r->cmd), "version");
	merr_clear(&e);
	if (exchange(x, r, &code, &e, &data) == -1)
		return local_error(x, "conninfo", &e);
	if (code != PROTO_OK)
		return exit_code(code);
	db = proto_field_get(data, proto_version_fields, VE_DATABASE);
	for (int i = 0; i < VD_NFIELDS; i++) {
		const char *v = json_string_value(proto_field_get(db, t, i));

		if (v && *v)
			conninfo_value(t[i].name, v, n++ == 0);
	}
	json_decref(data);
	if (n == 0) {
		merr_set(&e, MERR_INTERNAL, "the daemon did not say where it "
		    "is connected (an older migrated?)");
		x->out->error("conninfo", NULL, PROTO_FAILED, &e);
		return EX_FAILED;
	}
	printf("\n");
	return EX_OK;
}

static int
run_help(struct ctl *x, const struct ctl_cmd *cmd, struct proto_request *r)
{
	(void)x;
	(void)cmd;
	if (r->sub == NULL)
		usage(EX_OK);
	help_command(stdout, help_find(r->sub));
	return EX_OK;
}

/* The name the metrics carry: --service, else the socket's file name. */
static void
metrics_service(const struct ctl *x, char *buf, size_t len)
{
	const char *base = strrchr(x->path, '/');
	size_t n;

	if (x->service) {
		snprintf(buf, len, "%s", x->service);
		return;
	}
	base = base ? base + 1 : x->path;
	n = strlen(base);
	if (n > 5 && !strcmp(base + n - 5, ".sock"))
		n -= 5;
	snprintf(buf, len, "%.*s", (int)n, base);
}

static int
run_metrics(struct ctl *x, const struct ctl_cmd *cmd, struct proto_request *r)
{
	enum proto_code code = PROTO_INTERNAL;
	json_t *data = NULL;
	char service[128];
	struct merr e;
	int rc;

	(void)cmd;
	snprintf(r->cmd, sizeof(r->cmd), "status");
	metrics_service(x, service, sizeof(service));
	merr_clear(&e);
	x->quiet = 1;
	rc = exchange(x, r, &code, &e, &data);
	x->quiet = 0;
	/* a daemon we may not ask is a setup problem, not a measurement */
	if ((rc == -1 && e.code == MERR_PERM) || (rc == 0 &&
	    code == PROTO_DENIED)) {
		x->out->error("metrics", NULL, PROTO_DENIED, &e);
		return EX_DENIED;
	}
	if (rc == 0 && code != PROTO_OK) {
		json_decref(data);
		data = NULL;
	}
	rc = metrics_write(x->output, service, time(NULL), data, &e);
	json_decref(data);
	if (rc == -1) {
		x->out->error("metrics", NULL, PROTO_FAILED, &e);
		return EX_FAILED;
	}
	return EX_OK;
}

/* Milliseconds left until end (0 once it has passed). */
static long
ms_left(const struct timespec *end)
{
	struct timespec now;
	long ms;

	clock_gettime(CLOCK_MONOTONIC, &now);
	ms = (end->tv_sec - now.tv_sec) * 1000 +
	    (end->tv_nsec - now.tv_nsec) / 1000000;
	return ms > 0 ? ms : 0;
}

enum wait_got {
	WAIT_NONE = -1,		/* no daemon there (e says why) */
	WAIT_LATE = 0,		/* no answer in time */
	WAIT_ANSWER = 1,	/* an answer in *code and *data */
	WAIT_CLOSED = 2,	/* the daemon's end closed, unanswered */
};

/*
 * One status request that the daemon holds until it is ready or stopping
 * ("wait_ready"), read for at most wait_ms.  *peer: the pid that listens
 * there, once connected.
 */
static enum wait_got
wait_ask(struct ctl *x, struct proto_request *r, long wait_ms,
    enum proto_code *code, json_t **data, pid_t *peer, struct merr *e)
{
	struct proto_reply rep;
	struct client c;
	enum wait_got rc = WAIT_LATE;
	pid_t pid;

	if (client_open(&c, x->path, e) == -1)
		return WAIT_NONE;
	if ((pid = client_peer(&c)) > 0)
		*peer = pid;
	if (client_timeout(&c, wait_ms) == -1 || client_send(&c, r, e) == -1) {
		client_close(&c);
		return WAIT_NONE;
	}
	while (client_next(&c, &rep, e) == 1) {
		if (!rep.is_result) {
			proto_reply_release(&rep);
			continue;
		}
		*code = rep.code;
		*data = rep.code == PROTO_OK ? json_incref(rep.data) : NULL;
		*e = rep.err;
		proto_reply_release(&rep);
		rc = WAIT_ANSWER;
		break;
	}
	if (rc == WAIT_LATE && c.closed)
		rc = WAIT_CLOSED;
	client_close(&c);
	return rc;
}

static int
wait_ready(struct ctl *x, json_t *data)
{
	json_t *m;

	if (!x->json) {
		json_decref(data);
		printf("ready\n");
		return EX_OK;
	}
	m = proto_result("wait-ready", data);
	x->out->result("wait-ready", m, NULL);
	json_decref(m);
	return EX_OK;
}

enum wait_end { WAIT_TIMEOUT, WAIT_STOPPED, WAIT_EXITED };

/* wait-ready's failure: why it ended, e (no daemon reached) otherwise. */
static int
wait_failed(struct ctl *x, enum wait_end why, int reached, pid_t peer,
    struct merr *e)
{
	if (!reached && why != WAIT_EXITED)
		return local_error(x, "wait-ready", e);
	if (why == WAIT_EXITED) {
		merr_set(e, MERR_STATE, "migrated (pid %ld) exited before it "
		    "was ready", (long)peer);
		merr_hint(e, "its log says why (journalctl -u migrated, or "
		    "its standard error)");
	} else if (why == WAIT_STOPPED)
		merr_set(e, MERR_STATE, "migrated stopped before it was "
		    "ready");
	else
		merr_set(e, MERR_STATE, "migrated is not ready after %g s",
		    x->timeout);
	x->out->error("wait-ready", NULL, PROTO_FAILED, e);
	return EX_FAILED;
}

/*
 * Until the socket answers, try again every few milliseconds (2, 4, ...
 * at most 50); then one status request that the daemon answers when it
 * is ready.  A daemon that answers at once while not ready (it holds too
 * many such requests) or refuses the field (an older one) is asked again
 * every 200 ms until the timeout.  A daemon reached that closes the
 * connection unanswered and is gone (its start failed before its loop
 * took the connection: a model or a file it cannot read) ends the wait
 * at once, as pg_ctl -w does; a supervisor's restart after that is not
 * waited for.  Under socket activation the service manager keeps the
 * socket, and with it the queued connection: the wait goes on.  --pid
 * names the daemon from the start (migrated & migratectl wait-ready
 * --pid $!): its exit ends the wait whenever it comes, even before the
 * socket was made.
 */
static int
run_wait(struct ctl *x, const struct ctl_cmd *cmd, struct proto_request *r)
{
	struct timespec end, pause;
	enum proto_code code;
	enum wait_end why = WAIT_TIMEOUT;
	enum wait_got got;
	json_t *data;
	struct merr e;
	long nap = 2, left;
	int reached = 0;
	pid_t peer = x->wait_pid, listener = 0;

	(void)cmd;
	snprintf(r->cmd, sizeof(r->cmd), "status");
	r->wait_ready = 1;
	clock_gettime(CLOCK_MONOTONIC, &end);
	end.tv_sec += (time_t)x->timeout;
	end.tv_nsec += (long)((x->timeout - (time_t)x->timeout) * 1e9);
	if (end.tv_nsec >= 1000000000L) {
		end.tv_sec++;
		end.tv_nsec -= 1000000000L;
	}
	for (;;) {
		merr_clear(&e);
		code = PROTO_INTERNAL;
		data = NULL;
		left = ms_left(&end);
		got = wait_ask(x, r, left ? left : 1, &code, &data, &listener,
		    &e);
		if (x->wait_pid == 0)
			peer = listener;
		if (got == WAIT_ANSWER) {
			reached = 1;
			if (code == PROTO_DENIED)
				return EX_DENIED;
			if (code == PROTO_OK && json_is_true(proto_field_get(
			    data, proto_status_fields, ST_READY)))
				return wait_ready(x, data);
			if (code == PROTO_OK && json_is_true(proto_field_get(
			    data, proto_status_fields, ST_STOPPING))) {
				json_decref(data);
				why = WAIT_STOPPED;
				break;
			}
			json_decref(data);
			/* an older daemon does not know wait_ready: poll */
			if (code == PROTO_BAD_ARG)
				r->wait_ready = 0;
			nap = 200;
		} else if (got == WAIT_NONE && e.code == MERR_PERM) {
			return local_error(x, "wait-ready", &e);
		} else if (got != WAIT_NONE) {
			reached = 1;
		}
		if ((got == WAIT_CLOSED || got == WAIT_NONE || x->wait_pid) &&
		    client_peer_exited(peer)) {
			why = WAIT_EXITED;
			break;
		}
		if ((left = ms_left(&end)) == 0)
			break;
		if (nap > left)
			nap = left;
		pause.tv_sec = nap / 1000;
		pause.tv_nsec = (nap % 1000) * 1000000L;
		nanosleep(&pause, NULL);
		if (nap < 50)
			nap = nap * 2 > 50 ? 50 : nap * 2;
	}
	return wait_failed(x, why, reached, peer, &e);
}

static int
run_create(struct ctl *x, const struct ctl_cmd *cmd, struct proto_request *r)
{
	struct config cfg;
	struct merr e;

	(void)cmd;
	merr_clear(&e);
	config_init(&cfg);
	if (x->migrations == NULL) {
		struct config_overrides o = { 0 };

		if (config_read(&cfg, x->config, &o, &e) == -1) {
			x->out->error("create", NULL, PROTO_BAD_ARG, &e);
			return EX_USAGE;
		}
	}
	{
		struct migrate_result res;
		struct timespec now;
		json_t *data, *msg;
		int rc;

		/*
		 * Not time(): glibc reads a coarse clock for it, which can
		 * still say the last second a few ms after date(1) says the
		 * next, and a version taken from it could be one already
		 * made.
		 */
		clock_gettime(CLOCK_REALTIME, &now);
		migrate_result_init(&res);
		rc = migrate_create(x->migrations ? x->migrations :
		    cfg.migrations_dir, r->sub, now.tv_sec, &res, &e);
		config_release(&cfg);
		if (rc == -1) {
			migrate_result_release(&res);
			x->out->error("create", NULL, e.code == MERR_USAGE ||
			    e.code == MERR_INPUT ? PROTO_BAD_ARG :
			    PROTO_FAILED, &e);
			return e.code == MERR_USAGE || e.code == MERR_INPUT ?
			    EX_USAGE : EX_FAILED;
		}
		data = migrate_result_to_json(&res);
		msg = proto_result("create", json_incref(data));
		x->out->result("create", msg, data);
		json_decref(msg);
		json_decref(data);
		migrate_result_release(&res);
		return EX_OK;
	}
}

/* What a pull wrote: the summary, and each object it could not say. */
static int
pull_report(struct ctl *x, const struct pull_result *res)
{
	json_t *data, *msg;

	if (x->json) {
		if ((data = pull_result_to_json(res, 0)) == NULL)
			return EX_FAILED;
		json_object_set_new(data, "dir", json_string(x->pull_dir));
		msg = proto_result("pull", json_incref(data));
		x->out->result("pull", msg, data);
		json_decref(msg);
		json_decref(data);
	} else {
		for (size_t i = 0; i < res->notes.n; i++)
			fprintf(stderr, "migratectl: not said: %s %s: %s\n",
			    res->notes.v[i].kind, res->notes.v[i].name,
			    res->notes.v[i].detail ? res->notes.v[i].detail :
			    "");
		printf("pulled %zu tables and %zu enum types into %s "
		    "(%zu files)\n", res->tables, res->enums, x->pull_dir,
		    res->files.n);
		if (res->notes.n)
			printf("%zu objects not said: see %s/%s\n",
			    res->notes.n, x->pull_dir, PULL_NOTES_FILE);
	}
	return res->notes.n ? EX_PENDING : EX_OK;
}

/*
 * The daemon reads the catalogs and sends the files; they are written
 * here, as the user who asked, whole or not at all (core/pull.h).
 */
static int
run_pull(struct ctl *x, const struct ctl_cmd *cmd, struct proto_request *r)
{
	enum proto_code code = PROTO_INTERNAL;
	struct pull_result res;
	json_t *data = NULL;
	struct merr e;
	int rc;

	(void)cmd;
	merr_clear(&e);
	/* a folder that would be refused: before asking the daemon */
	if (pull_dir_check(x->pull_dir, x->force, &e) == -1) {
		x->out->error("pull", NULL, PROTO_BAD_ARG, &e);
		return EX_USAGE;
	}
	if (exchange(x, r, &code, &e, &data) == -1)
		return local_error(x, r->cmd, &e);
	if (code != PROTO_OK)
		return exit_code(code);
	pull_result_init(&res);
	if (pull_result_from_json(data, &res, &e) == -1 ||
	    pull_write(x->pull_dir, &res.files, x->force, &e) == -1) {
		x->out->error("pull", NULL, PROTO_FAILED, &e);
		rc = e.code == MERR_USAGE ? EX_USAGE : EX_FAILED;
	} else
		rc = pull_report(x, &res);
	pull_result_release(&res);
	json_decref(data);
	return rc;
}

/* x->path = path, or a usage error when it does not fit sun_path. */
static int
set_path(struct ctl *x, const char *path, const char *from)
{
	struct merr e;

	if (strlen(path) < sizeof(x->path)) {
		memcpy(x->path, path, strlen(path) + 1);
		return 0;
	}
	merr_clear(&e);
	merr_set(&e, MERR_USAGE, "socket path '%s' is too long (%zu bytes, at "
	    "most %zu)", path, strlen(path), sizeof(x->path) - 1);
	merr_detail(&e, "from %s", from);
	x->out->error(NULL, NULL, PROTO_BAD_ARG, &e);
	return -1;
}

/*
 * The socket: -s, else --service, else -c FILE's socket.path, else
 * $MIGRATED_SOCKET, else the default configuration's socket.path, else
 * the default path.  A default configuration this user may not read
 * (mode 0640, group of the service) is passed over: connecting then says
 * what is wrong, about the socket.
 */
static int
pick_socket(struct ctl *x)
{
	const char *env = getenv(SOCKET_ENV);
	char buf[PATH_MAX];
	struct config cfg;
	struct merr e;
	int rc;

	if (x->socket)
		return set_path(x, x->socket, "-s");
	if (x->service) {
		snprintf(buf, sizeof(buf), SERVICE_SOCKET_FMT, x->service);
		return set_path(x, buf, "--service");
	}
	if (x->config == NULL && env && *env)
		return set_path(x, env, SOCKET_ENV);
	if (x->config == NULL && access(CONFIG_DEFAULT_PATH, R_OK) == -1)
		return set_path(x, CONFIG_DEFAULT_SOCKET, "the default");
	merr_clear(&e);
	if (config_read(&cfg, x->config, NULL, &e) == -1) {
		x->out->error(NULL, NULL, PROTO_BAD_ARG, &e);
		return -1;
	}
	rc = set_path(x, cfg.socket_path, cfg.path ? cfg.path : "the default");
	config_release(&cfg);
	return rc;
}

static int
parse_global(struct ctl *x, int argc, char **argv)
{
	enum { G_JSON = 256, G_MIG };
	static const struct option opts[] = {
		{ "socket", required_argument, NULL, 's' },
		{ "config", required_argument, NULL, 'c' },
		{ "json", no_argument, NULL, G_JSON },
		{ "yes", no_argument, NULL, 'y' },
		{ "migrations", required_argument, NULL, G_MIG },
		{ "service", required_argument, NULL, 'n' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	int ch;

	while ((ch = getopt_long(argc, argv, "+c:hn:s:yV", opts, NULL)) != -1) {
		switch (ch) {
		case 's': x->socket = optarg; break;
		case 'n': x->service = optarg; break;
		case 'c': x->config = optarg; break;
		case 'y': x->yes = 1; break;
		case G_JSON: x->json = 1; break;
		case G_MIG: x->migrations = optarg; break;
		case 'V': printf("migratectl %s (protocol %d)\n",
		    MIGRATED_VERSION, PROTO_VERSION); exit(EX_OK);
		case 'h': usage(EX_OK);
		default: usage(EX_USAGE);
		}
	}
	if (x->socket && x->service) {
		fprintf(stderr, "migratectl: -s and --service (-n) exclude "
		    "each other\n");
		usage(EX_USAGE);
	}
	if (x->service && (!*x->service || strchr(x->service, '/') ||
	    strstr(x->service, ".."))) {
		fprintf(stderr, "migratectl: bad service name '%s'\n",
		    x->service);
		exit(EX_USAGE);
	}
	return optind;
}

int
main(int argc, char **argv)
{
	const struct ctl_cmd *cmd = NULL;
	struct proto_request r;
	struct ctl x;
	int i, rc;

	memset(&x, 0, sizeof(x));
	i = parse_global(&x, argc, argv);
	if (i >= argc)
		usage(EX_USAGE);
	for (size_t k = 0; k < sizeof(ctl_cmds) / sizeof(ctl_cmds[0]); k++)
		if (!strcmp(ctl_cmds[k].name, argv[i]))
			cmd = &ctl_cmds[k];
	if (cmd == NULL) {
		fprintf(stderr, "migratectl: unknown command '%s'\n", argv[i]);
		usage(EX_USAGE);
	}
	proto_request_init(&r);
	snprintf(r.cmd, sizeof(r.cmd), "%s", cmd->name);
	if (cmd->parse(&x, argc - i, argv + i, &r) == -1) {
		proto_request_release(&r);
		return EX_USAGE;
	}
	/* which commands take "yes" is core's to say (cmdspec.h) */
	if (x.yes && cmdspec_confirms(cmdspec_find(cmd->name)))
		r.yes = 1;
	output_init(x.json);
	x.out = x.json ? &output_json : &output_text;
	if (cmd->run != run_create && cmd->run != run_help &&
	    pick_socket(&x) == -1) {
		proto_request_release(&r);
		return EX_USAGE;
	}
	rc = cmd->run(&x, cmd, &r);
	proto_request_release(&r);
	return rc;
}
