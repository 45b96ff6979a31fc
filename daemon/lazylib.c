/*
 * lazylib.c - libpq's Kerberos (GSSAPI) and LDAP calls, each library
 * loaded at its first call.
 *
 * migrated links libpq in (Makefile, PQ_STATIC=yes): libpq.so brings
 * 20 shared libraries (Kerberos, LDAP and, through LDAP, GnuTLS and its
 * own), whose loading and relocation were 12 of the 22 ms the daemon
 * took before main(), on the path of every start.  A connection uses
 * them rarely: GSSAPI over TCP (gssencmode=prefer, libpq's default, asks
 * Kerberos for a credential cache: the first such connection loads it)
 * and a Kerberos server; LDAP for an ldap:// line of pg_service.conf.
 * So libpq's calls land here, and the library is loaded the first time:
 * all its functions resolved, or none (a library without one of them is
 * not one libpq was built for).  Without it, each call fails as the
 * library does when it has nothing to offer: gssencmode=prefer goes on
 * without GSSAPI, as without a credential cache; GSSAPI authentication
 * fails with why the library was not loaded (gss_display_status()); an
 * ldap:// service line fails as libpq says ("could not create LDAP
 * structure"), and the daemon's log says why (a warning, once).
 *
 * The names are the sonames libpq.so is linked to on Debian 12 (objdump
 * -p); tests/unit/test_lazylib.c calls through each library.  Built only
 * with PQ_STATIC=yes: with the shared libpq, its own dependencies answer.
 */
#define LDAP_DEPRECATED 1

#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include <gssapi/gssapi.h>
#include <ldap.h>

#include "log.h"

#ifndef LAZY_GSSAPI_SONAME
#define LAZY_GSSAPI_SONAME	"libgssapi_krb5.so.2"
#endif
#ifndef LAZY_LDAP_SONAME
#define LAZY_LDAP_SONAME	"libldap-2.5.so.0"
#endif

#define GSS_FUNCS(X) X(gss_acquire_cred) X(gss_delete_sec_context) \
	X(gss_display_status) X(gss_import_name) X(gss_init_sec_context) \
	X(gss_release_buffer) X(gss_release_cred) X(gss_release_name) \
	X(gss_unwrap) X(gss_wrap) X(gss_wrap_size_limit)
#define LDAP_FUNCS(X) X(ldap_count_entries) X(ldap_err2string) \
	X(ldap_first_entry) X(ldap_get_values_len) X(ldap_init) \
	X(ldap_msgfree) X(ldap_result) X(ldap_search_st) X(ldap_set_option) \
	X(ldap_simple_bind) X(ldap_unbind) X(ldap_value_free_len)

#define FIELD(f)	__typeof__(f) *f;
#define RESOLVE(f)	ok = ok && (l->f = dlsym(h, #f)) != NULL;

/* Written once, under pthread_once(); read after it only. */
static struct {
	pthread_once_t	 once;
	int		 loaded;
	char		 why[256];	/* not loaded: what dlopen() said */
	GSS_FUNCS(FIELD)
} gss = { .once = PTHREAD_ONCE_INIT };

static struct {
	pthread_once_t	 once;
	int		 loaded;
	char		 why[256];
	LDAP_FUNCS(FIELD)
} ldp = { .once = PTHREAD_ONCE_INIT };

/* Open soname; NULL with why filled when it cannot be. */
static void *
lazy_open(const char *soname, char *why, size_t len)
{
	void *h = dlopen(soname, RTLD_NOW | RTLD_LOCAL);
	const char *msg;

	if (h == NULL) {
		msg = dlerror();
		snprintf(why, len, "%s", msg ? msg : soname);
	}
	return h;
}

/* A library without one of libpq's functions is not loaded at all. */
static void
lazy_incomplete(void *h, const char *soname, char *why, size_t len)
{
	snprintf(why, len, "%s lacks a function libpq calls", soname);
	dlclose(h);
}

static void
lazy_gss_load(void)
{
	__typeof__(gss) *l = &gss;
	void *h;
	int ok = 1;

	h = lazy_open(LAZY_GSSAPI_SONAME, l->why, sizeof(l->why));
	if (h != NULL) {
		GSS_FUNCS(RESOLVE)
		if (ok) {
			l->loaded = 1;
			return;
		}
		lazy_incomplete(h, LAZY_GSSAPI_SONAME, l->why, sizeof(l->why));
	}
	/* gssencmode=prefer asks at every TCP connection: not a warning */
	log_debug("no GSSAPI: %s", l->why);
}

static void
lazy_ldap_load(void)
{
	__typeof__(ldp) *l = &ldp;
	void *h;
	int ok = 1;

	h = lazy_open(LAZY_LDAP_SONAME, l->why, sizeof(l->why));
	if (h != NULL) {
		LDAP_FUNCS(RESOLVE)
		if (ok) {
			l->loaded = 1;
			return;
		}
		lazy_incomplete(h, LAZY_LDAP_SONAME, l->why, sizeof(l->why));
	}
	log_warnx("an ldap:// line of pg_service.conf cannot be "
	    "looked up: %s", l->why);
}

static int
lazy_gss_ready(void)
{
	pthread_once(&gss.once, lazy_gss_load);
	return gss.loaded;
}

static int
lazy_ldap_ready(void)
{
	pthread_once(&ldp.once, lazy_ldap_load);
	return ldp.loaded;
}

/*
 * RFC 2744's GSS_C_NT_HOSTBASED_SERVICE, {1 2 840 113554 1 2 1 4}: a
 * datum libpq reads before its first call (gss_import_name()), so not one
 * to take from the library.  Kerberos compares name types by value.
 */
static gss_OID_desc hostbased = {
	10, "\x2a\x86\x48\x86\xf7\x12\x01\x02\x01\x04"
};
gss_OID GSS_C_NT_HOSTBASED_SERVICE = &hostbased;

/* What a GSSAPI call returns when the library could not be loaded. */
static OM_uint32
lazy_gss_absent(OM_uint32 *minor)
{
	if (minor)
		*minor = 0;
	return GSS_S_UNAVAILABLE;
}

OM_uint32
gss_acquire_cred(OM_uint32 *minor, gss_name_t name, OM_uint32 time_req,
    gss_OID_set mechs, gss_cred_usage_t usage, gss_cred_id_t *cred,
    gss_OID_set *actual, OM_uint32 *time_rec)
{
	if (!lazy_gss_ready()) {
		if (cred)
			*cred = GSS_C_NO_CREDENTIAL;
		return lazy_gss_absent(minor);
	}
	return gss.gss_acquire_cred(minor, name, time_req, mechs, usage, cred,
	    actual, time_rec);
}

OM_uint32
gss_delete_sec_context(OM_uint32 *minor, gss_ctx_id_t *ctx,
    gss_buffer_t out)
{
	if (!lazy_gss_ready())
		return lazy_gss_absent(minor);
	return gss.gss_delete_sec_context(minor, ctx, out);
}

/*
 * Without the library, a major status is why it is not there, and a
 * minor one (always 0 then) says nothing: libpq shows both, and reads
 * the buffer whatever the call returns.
 */
OM_uint32
gss_display_status(OM_uint32 *minor, OM_uint32 status, int type,
    gss_OID mech, OM_uint32 *msg_ctx, gss_buffer_t out)
{
	static char none[] = "";

	if (lazy_gss_ready())
		return gss.gss_display_status(minor, status, type, mech,
		    msg_ctx, out);
	if (minor)
		*minor = 0;
	*msg_ctx = 0;
	out->value = type == GSS_C_GSS_CODE ? gss.why : none;
	out->length = strlen(out->value);
	return GSS_S_COMPLETE;
}

OM_uint32
gss_import_name(OM_uint32 *minor, gss_buffer_t in, gss_OID type,
    gss_name_t *out)
{
	if (!lazy_gss_ready()) {
		if (out)
			*out = GSS_C_NO_NAME;
		return lazy_gss_absent(minor);
	}
	return gss.gss_import_name(minor, in, type, out);
}

OM_uint32
gss_init_sec_context(OM_uint32 *minor, gss_cred_id_t cred,
    gss_ctx_id_t *ctx, gss_name_t target, gss_OID mech, OM_uint32 flags,
    OM_uint32 time_req, gss_channel_bindings_t cb, gss_buffer_t in,
    gss_OID *actual, gss_buffer_t out, OM_uint32 *ret_flags,
    OM_uint32 *time_rec)
{
	if (!lazy_gss_ready()) {
		if (out) {
			out->value = NULL;
			out->length = 0;
		}
		return lazy_gss_absent(minor);
	}
	return gss.gss_init_sec_context(minor, cred, ctx, target, mech, flags,
	    time_req, cb, in, actual, out, ret_flags, time_rec);
}

/* Without the library, the only buffers are gss_display_status()'s. */
OM_uint32
gss_release_buffer(OM_uint32 *minor, gss_buffer_t buf)
{
	if (lazy_gss_ready())
		return gss.gss_release_buffer(minor, buf);
	if (minor)
		*minor = 0;
	if (buf) {
		buf->value = NULL;
		buf->length = 0;
	}
	return GSS_S_COMPLETE;
}

OM_uint32
gss_release_cred(OM_uint32 *minor, gss_cred_id_t *cred)
{
	if (!lazy_gss_ready())
		return lazy_gss_absent(minor);
	return gss.gss_release_cred(minor, cred);
}

OM_uint32
gss_release_name(OM_uint32 *minor, gss_name_t *name)
{
	if (!lazy_gss_ready())
		return lazy_gss_absent(minor);
	return gss.gss_release_name(minor, name);
}

OM_uint32
gss_unwrap(OM_uint32 *minor, gss_ctx_id_t ctx, gss_buffer_t in,
    gss_buffer_t out, int *conf, gss_qop_t *qop)
{
	if (!lazy_gss_ready())
		return lazy_gss_absent(minor);
	return gss.gss_unwrap(minor, ctx, in, out, conf, qop);
}

OM_uint32
gss_wrap(OM_uint32 *minor, gss_ctx_id_t ctx, int conf_req, gss_qop_t qop,
    gss_buffer_t in, int *conf, gss_buffer_t out)
{
	if (!lazy_gss_ready())
		return lazy_gss_absent(minor);
	return gss.gss_wrap(minor, ctx, conf_req, qop, in, conf, out);
}

OM_uint32
gss_wrap_size_limit(OM_uint32 *minor, gss_ctx_id_t ctx, int conf_req,
    gss_qop_t qop, OM_uint32 req_size, OM_uint32 *max_size)
{
	if (!lazy_gss_ready())
		return lazy_gss_absent(minor);
	return gss.gss_wrap_size_limit(minor, ctx, conf_req, qop, req_size,
	    max_size);
}

/*
 * LDAP: without the library, ldap_init() has no handle to give, which
 * libpq reports ("could not create LDAP structure"); the calls that take
 * one are never reached, and fail as the library does on a bad handle.
 */
LDAP *
ldap_init(const char *host, int port)
{
	return lazy_ldap_ready() ? ldp.ldap_init(host, port) : NULL;
}

char *
ldap_err2string(int err)
{
	return lazy_ldap_ready() ? ldp.ldap_err2string(err) : ldp.why;
}

int
ldap_set_option(LDAP *ld, int option, const void *in)
{
	return lazy_ldap_ready() ? ldp.ldap_set_option(ld, option, in) :
	    LDAP_OPT_ERROR;
}

int
ldap_simple_bind(LDAP *ld, const char *who, const char *passwd)
{
	return lazy_ldap_ready() ? ldp.ldap_simple_bind(ld, who, passwd) : -1;
}

int
ldap_result(LDAP *ld, int msgid, int all, struct timeval *timeout,
    LDAPMessage **res)
{
	return lazy_ldap_ready() ? ldp.ldap_result(ld, msgid, all, timeout,
	    res) : -1;
}

int
ldap_search_st(LDAP *ld, const char *base, int scope, const char *filter,
    char **attrs, int attrsonly, struct timeval *timeout, LDAPMessage **res)
{
	return lazy_ldap_ready() ? ldp.ldap_search_st(ld, base, scope, filter,
	    attrs, attrsonly, timeout, res) : LDAP_LOCAL_ERROR;
}

int
ldap_count_entries(LDAP *ld, LDAPMessage *chain)
{
	return lazy_ldap_ready() ? ldp.ldap_count_entries(ld, chain) : -1;
}

LDAPMessage *
ldap_first_entry(LDAP *ld, LDAPMessage *chain)
{
	return lazy_ldap_ready() ? ldp.ldap_first_entry(ld, chain) : NULL;
}

struct berval **
ldap_get_values_len(LDAP *ld, LDAPMessage *entry, const char *target)
{
	return lazy_ldap_ready() ? ldp.ldap_get_values_len(ld, entry, target) :
	    NULL;
}

void
ldap_value_free_len(struct berval **vals)
{
	if (lazy_ldap_ready())
		ldp.ldap_value_free_len(vals);
}

int
ldap_msgfree(LDAPMessage *lm)
{
	return lazy_ldap_ready() ? ldp.ldap_msgfree(lm) : -1;
}

int
ldap_unbind(LDAP *ld)
{
	return lazy_ldap_ready() ? ldp.ldap_unbind(ld) : LDAP_LOCAL_ERROR;
}
