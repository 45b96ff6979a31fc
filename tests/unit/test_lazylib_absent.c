/*
 * test_lazylib_absent.c - daemon/lazylib.c built to load libraries that
 * are not there (Makefile): every call fails as the library does when it
 * has nothing to offer, and the messages libpq shows with the failure
 * (gss_display_status(), ldap_err2string()) say which library could not
 * be loaded.
 */
#define LDAP_DEPRECATED 1

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <cmocka.h>

#include <gssapi/gssapi.h>
#include <ldap.h>

static void
test_gss_unavailable(void **state)
{
	gss_cred_id_t cred = GSS_C_NO_CREDENTIAL;
	gss_buffer_desc msg = GSS_C_EMPTY_BUFFER;
	OM_uint32 major, minor = 7, ctx = 1;

	(void)state;
	major = gss_acquire_cred(&minor, GSS_C_NO_NAME, 0, GSS_C_NO_OID_SET,
	    GSS_C_INITIATE, &cred, NULL, NULL);
	assert_int_equal(major, GSS_S_UNAVAILABLE);
	assert_int_equal(minor, 0);
	assert_true(cred == GSS_C_NO_CREDENTIAL);
	assert_int_equal(gss_display_status(&minor, major, GSS_C_GSS_CODE,
	    GSS_C_NO_OID, &ctx, &msg), GSS_S_COMPLETE);
	assert_int_equal(ctx, 0);
	assert_non_null(strstr(msg.value, "libmigrated-absent-gssapi.so.0"));
	assert_int_equal(msg.length, strlen(msg.value));
	assert_int_equal(gss_release_buffer(&minor, &msg), GSS_S_COMPLETE);
	assert_null(msg.value);
	assert_int_equal(msg.length, 0);
	/* the minor status (0) says nothing: libpq prints both */
	ctx = 1;
	assert_int_equal(gss_display_status(&minor, 0, GSS_C_MECH_CODE,
	    GSS_C_NO_OID, &ctx, &msg), GSS_S_COMPLETE);
	assert_int_equal(ctx, 0);
	assert_non_null(msg.value);
	assert_int_equal(msg.length, 0);
}

static void
test_ldap_no_handle(void **state)
{
	(void)state;
	assert_null(ldap_init("127.0.0.1", 389));
	assert_non_null(strstr(ldap_err2string(LDAP_SERVER_DOWN),
	    "libmigrated-absent-ldap.so.0"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_gss_unavailable),
		cmocka_unit_test(test_ldap_no_handle),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
