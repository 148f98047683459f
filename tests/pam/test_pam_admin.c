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

/* During a lockout the right and the wrong password get the same answer
 * (and cost the same): guessing on while locked learns nothing. */
static void locked_same_answer(void **state)
{
	struct pt *pt = *state;
	struct pt_conv right, wrong;
	pam_handle_t *h;
	int r1, r2;

	pt_fail(pt, "dina", 5); /* the default deny */
	pt_conv_init(&right, PT_PASSWORD, NULL);
	h = pt_start(pt, "login", "dina", &right, NULL);
	r1 = pam_authenticate(h, 0);
	pt_end(h, r1);
	pt_conv_init(&wrong, "not the password at all", NULL);
	h = pt_start(pt, "login", "dina", &wrong, NULL);
	r2 = pam_authenticate(h, 0);
	pt_end(h, r2);
	assert_int_equal(r1, PAM_AUTH_ERR);
	assert_int_equal(r2, PAM_AUTH_ERR);
	assert_string_equal(right.errors, wrong.errors);
	assert_string_equal(right.errors, "");
	assert_int_equal(pt_cli(pt, NULL, 0, "user unlock dina"), 0);
	assert_int_equal(pt_auth(pt, "login", "dina", PT_PASSWORD), PAM_SUCCESS);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(disable_enable, setup, teardown),
		cmocka_unit_test_setup_teardown(delete, setup, teardown),
		cmocka_unit_test_setup_teardown(locked_same_answer, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
