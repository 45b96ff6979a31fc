/*
 * test_lazylib.c - daemon/lazylib.c, linked alone (no libpq): each call
 * reaches the library it names, loaded at the first one.  The messages
 * come from MIT Kerberos and OpenLDAP themselves, and the name type RFC
 * 2744 fixes for GSS_C_NT_HOSTBASED_SERVICE is the library's own, and it
 * takes a "service@host" name with it, as libpq passes it.
 * test_lazylib_absent.c is the same code with libraries that are not
 * there.
 */
#define LDAP_DEPRECATED 1

#include <dlfcn.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <gssapi/gssapi.h>
#include <ldap.h>

static void
test_gss_status_from_kerberos(void **state)
{
	gss_buffer_desc msg = GSS_C_EMPTY_BUFFER;
	OM_uint32 minor, ctx = 0;

	(void)state;
	assert_int_equal(gss_display_status(&minor, GSS_S_BAD_NAME,
	    GSS_C_GSS_CODE, GSS_C_NO_OID, &ctx, &msg), GSS_S_COMPLETE);
	assert_non_null(msg.value);
	assert_memory_equal(msg.value, "An invalid name was supplied",
	    strlen("An invalid name was supplied"));
	assert_int_equal(gss_release_buffer(&minor, &msg), GSS_S_COMPLETE);
	assert_null(msg.value);
}

static void
test_gss_hostbased_name(void **state)
{
	char who[] = "postgres@db.example.com";
	gss_buffer_desc in = { sizeof(who) - 1, who };
	gss_name_t name = GSS_C_NO_NAME;
	gss_OID *theirs;
	OM_uint32 minor;
	void *h;

	(void)state;
	h = dlopen("libgssapi_krb5.so.2", RTLD_NOW | RTLD_LOCAL);
	assert_non_null(h);
	theirs = dlsym(h, "GSS_C_NT_HOSTBASED_SERVICE");
	assert_non_null(theirs);
	assert_int_equal((*theirs)->length, GSS_C_NT_HOSTBASED_SERVICE->length);
	assert_memory_equal((*theirs)->elements,
	    GSS_C_NT_HOSTBASED_SERVICE->elements,
	    GSS_C_NT_HOSTBASED_SERVICE->length);
	dlclose(h);
	assert_int_equal(gss_import_name(&minor, &in,
	    GSS_C_NT_HOSTBASED_SERVICE, &name), GSS_S_COMPLETE);
	assert_true(name != GSS_C_NO_NAME);
	assert_int_equal(gss_release_name(&minor, &name), GSS_S_COMPLETE);
}

/* No credential cache: Kerberos's own failure, not "unavailable". */
static void
test_gss_no_credentials(void **state)
{
	gss_cred_id_t cred = GSS_C_NO_CREDENTIAL;
	OM_uint32 major, minor;

	(void)state;
	setenv("KRB5CCNAME", "FILE:/nonexistent/migrated-test-ccache", 1);
	major = gss_acquire_cred(&minor, GSS_C_NO_NAME, 0, GSS_C_NO_OID_SET,
	    GSS_C_INITIATE, &cred, NULL, NULL);
	assert_true(GSS_ERROR(major));
	assert_int_not_equal(GSS_ROUTINE_ERROR(major), GSS_S_UNAVAILABLE);
	assert_true(cred == GSS_C_NO_CREDENTIAL);
}

static void
test_ldap_from_openldap(void **state)
{
	LDAP *ld;

	(void)state;
	assert_string_equal(ldap_err2string(LDAP_SERVER_DOWN),
	    "Can't contact LDAP server");
	/* a handle only: nothing is connected before the first operation */
	ld = ldap_init("127.0.0.1", 1);
	assert_non_null(ld);
	assert_int_equal(ldap_unbind(ld), LDAP_SUCCESS);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_gss_status_from_kerberos),
		cmocka_unit_test(test_gss_hostbased_name),
		cmocka_unit_test(test_gss_no_credentials),
		cmocka_unit_test(test_ldap_from_openldap),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
