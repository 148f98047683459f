/* test_pam_admin.c - what roster user disable|enable|delete mean to PAM:
 * a disabled user neither authenticates nor passes the account step (the
 * one an SSH key login runs), enabling restores both, a deleted user is
 * unknown. */
#include "harness.h"

static int setup(void **state)
{
	struct pt *pt = pt_new(NULL);

	pt_service(pt, "login", "");
	pt_add(pt, "dina");
	*state = pt;
	return 0;
}

static int teardown(void **state)
{
	pt_free(*state);
	return 0;
}

static void disable_enable(void **state)
{
	struct pt *pt = *state;
	struct pt_conv cv;

	assert_int_equal(pt_login(pt, "login", "dina", PT_PASSWORD), PAM_SUCCESS);
	assert_int_equal(pt_cli(pt, NULL, 0, "user disable dina"), 0);
	/* the right password is refused, and says why */
	assert_int_equal(pt_auth(pt, "login", "dina", PT_PASSWORD), PAM_AUTH_ERR);
	/* an SSH key login runs only the account step: refused too */
	pt_conv_init(&cv, NULL);
	assert_int_equal(pt_account(pt, "login", "dina", &cv), PAM_PERM_DENIED);
	assert_non_null(strstr(cv.errors, "disabled"));
	assert_int_equal(pt_cli(pt, NULL, 0, "user enable dina"), 0);
	assert_int_equal(pt_login(pt, "login", "dina", PT_PASSWORD), PAM_SUCCESS);
	pt_conv_init(&cv, NULL);
	assert_int_equal(pt_account(pt, "login", "dina", &cv), PAM_SUCCESS);
}

static void delete(void **state)
{
	struct pt *pt = *state;
	struct pt_conv cv;

	assert_int_equal(pt_cli(pt, NULL, 0, "user delete dina"), 0);
	assert_int_equal(pt_auth(pt, "login", "dina", PT_PASSWORD), PAM_AUTH_ERR);
	assert_true(pt_log_has("unknown user"));
	pt_conv_init(&cv, NULL);
	assert_int_equal(pt_account(pt, "login", "dina", &cv), PAM_USER_UNKNOWN);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(disable_enable, setup, teardown),
		cmocka_unit_test_setup_teardown(delete, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
