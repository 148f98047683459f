/* test_pam_account.c - pam_sm_acct_mgmt: refused states (also without a
 * preceding auth, as after an SSH key login), a forced password change,
 * service access by role, and require_role=. */
#include "harness.h"

#include <time.h>

static int setup(void **state)
{
	struct pt *pt = pt_new("[lockout]\ndeny = 3\n");
	struct pt_user nopw = { .name = "keyonly" };
	struct pt_user admin = { .name = "root2", .password = PT_PASSWORD, .roles = "roster-admin" };

	pt_service(pt, "login", NULL);
	pt_service(pt, "sshd", NULL);
	pt_service(pt, "ftp", NULL);
	pt_service(pt, "vault", "require_role=ops,sec");
	pt_add_role(pt, "dev", "sshd");
	pt_add_role(pt, "ops", "sshd,sudo");
	pt_add_role(pt, "sec", NULL);
	pt_add(pt, "alice");
	pt_add_user(pt, &nopw);
	pt_add_user(pt, &admin);
	*state = pt;
	return 0;
}

static int teardown(void **state)
{
	pt_free(*state);
	return 0;
}

static void ok(void **state)
{
	struct pt *pt = *state;
	struct pt_conv cv;

	pt_conv_init(&cv, NULL);
	assert_int_equal(pt_account(pt, "login", "alice", &cv), PAM_SUCCESS);
	assert_int_equal(cv.nmsgs, 0);
	assert_true(pt_log_has("account ok; user=alice service=login"));
	/* An SSH key login: no password, no auth - the account still passes. */
	assert_int_equal(pt_account(pt, "login", "keyonly", NULL), PAM_SUCCESS);
}

static void unknown(void **state)
{
	assert_int_equal(pt_account(*state, "login", "mallory", NULL), PAM_USER_UNKNOWN);
	assert_true(pt_log_has("account refused: unknown user; user=mallory service=login"));
}

static void refused(struct pt *pt, const char *name, int code, const char *message)
{
	struct pt_conv cv;
	pam_handle_t *h;

	pt_conv_init(&cv, NULL);
	assert_int_equal(pt_account(pt, "sshd", name, &cv), code);
	if (!strstr(cv.errors, message))
		fail_msg("%s: wanted '%s', got '%s'", name, message, cv.errors);
	/* PAM_SILENT: the same answer, not a word. */
	pt_conv_init(&cv, NULL);
	h = pt_start(pt, "sshd", name, &cv, NULL);
	assert_int_equal(pam_acct_mgmt(h, PAM_SILENT), code);
	pt_end(h, code);
	assert_int_equal(cv.nmsgs, 0);
}

/* Each runs with no auth before it: what sshd does after a key login. */
static void disabled(void **state)
{
	struct pt *pt = *state;
	struct pt_user u = { .name = "dora", .roles = "dev", .status = ROSTER_DISABLED };

	pt_add_user(pt, &u);
	refused(pt, "dora", PAM_PERM_DENIED, "Your account is disabled.");
	assert_true(pt_log_has("account refused: the account is disabled; user=dora service=sshd"));
}

static void invited(void **state)
{
	struct pt *pt = *state;
	struct pt_user u = { .name = "ivy", .roles = "dev", .status = ROSTER_INVITED };

	pt_add_user(pt, &u);
	refused(pt, "ivy", PAM_PERM_DENIED, "invitation has not been redeemed");
}

static void expired(void **state)
{
	struct pt *pt = *state;
	struct pt_user u = { .name = "eve", .roles = "dev", .expires = (int64_t)time(NULL) / 86400 - 1 };

	pt_add_user(pt, &u);
	refused(pt, "eve", PAM_ACCT_EXPIRED, "Your account expired after ");
}

static void locked(void **state)
{
	struct pt *pt = *state;

	pt_fail(pt, "alice", 2);
	assert_int_equal(pt_account(pt, "login", "alice", NULL), PAM_SUCCESS);
	pt_fail(pt, "alice", 1);
	refused(pt, "alice", PAM_PERM_DENIED, "Your account is locked after too many failed logins");
}

static void must_change(void **state)
{
	struct pt *pt = *state;
	struct pt_user u = { .name = "mc", .password = PT_PASSWORD, .must_change = true };
	struct pt_conv cv;
	pam_handle_t *h;

	pt_add_user(pt, &u);
	assert_int_equal(pt_login(pt, "login", "mc", PT_PASSWORD), PAM_NEW_AUTHTOK_REQD);
	pt_conv_init(&cv, NULL);
	assert_int_equal(pt_account(pt, "login", "mc", &cv), PAM_NEW_AUTHTOK_REQD);
	assert_non_null(strstr(cv.errors, "You are required to change your password immediately"));
	pt_conv_init(&cv, NULL);
	h = pt_start(pt, "login", "mc", &cv, NULL);
	assert_int_equal(pam_acct_mgmt(h, PAM_SILENT), PAM_NEW_AUTHTOK_REQD);
	pt_end(h, PAM_SUCCESS);
	assert_int_equal(cv.nmsgs, 0);
}

/* sshd is governed: dev and ops list it.  ftp is not: nobody lists it. */
static void governed_service(void **state)
{
	struct pt *pt = *state;
	struct pt_user dan = { .name = "dan", .password = PT_PASSWORD, .roles = "dev" };
	struct pt_user olga = { .name = "olga", .password = PT_PASSWORD, .roles = "sec" };
	struct pt_user oscar = { .name = "oscar", .password = PT_PASSWORD, .roles = "ops" };
	struct pt_conv cv;

	pt_add_user(pt, &dan);
	pt_add_user(pt, &olga);
	pt_add_user(pt, &oscar);
	assert_int_equal(pt_login(pt, "sshd", "dan", PT_PASSWORD), PAM_SUCCESS);
	assert_true(pt_log_has("account ok (granted by role); user=dan service=sshd"));
	assert_int_equal(pt_login(pt, "sshd", "oscar", PT_PASSWORD), PAM_SUCCESS);
	pt_conv_init(&cv, NULL);
	assert_int_equal(pt_account(pt, "sshd", "olga", &cv), PAM_PERM_DENIED);
	assert_string_equal(cv.errors, "Your roles do not grant access to sshd.\n");
	assert_true(pt_log_has("account refused: no role of the user lists this service; user=olga service=sshd"));
	assert_int_equal(pt_login(pt, "sshd", "alice", PT_PASSWORD), PAM_PERM_DENIED);
	/* The admin role passes every gate. */
	assert_int_equal(pt_login(pt, "sshd", "root2", PT_PASSWORD), PAM_SUCCESS);
	assert_true(pt_log_has("account ok (admin role); user=root2 service=sshd"));
	/* Services no role lists are not affected. */
	assert_int_equal(pt_login(pt, "ftp", "olga", PT_PASSWORD), PAM_SUCCESS);
	assert_int_equal(pt_login(pt, "ftp", "alice", PT_PASSWORD), PAM_SUCCESS);
	assert_int_equal(pt_login(pt, "login", "dan", PT_PASSWORD), PAM_SUCCESS);
}

/* vault has require_role=ops,sec in its pam.d file; no role lists it. */
static void require_role(void **state)
{
	struct pt *pt = *state;
	struct pt_user dan = { .name = "dan", .password = PT_PASSWORD, .roles = "dev" };
	struct pt_user olga = { .name = "olga", .password = PT_PASSWORD, .roles = "sec" };
	struct pt_user oscar = { .name = "oscar", .password = PT_PASSWORD, .roles = "dev,ops" };

	pt_add_user(pt, &dan);
	pt_add_user(pt, &olga);
	pt_add_user(pt, &oscar);
	assert_int_equal(pt_login(pt, "vault", "olga", PT_PASSWORD), PAM_SUCCESS);
	assert_int_equal(pt_login(pt, "vault", "oscar", PT_PASSWORD), PAM_SUCCESS);
	assert_int_equal(pt_login(pt, "vault", "dan", PT_PASSWORD), PAM_PERM_DENIED);
	assert_true(pt_log_has("account refused: the user holds none of the roles in require_role=; user=dan service=vault"));
	assert_int_equal(pt_login(pt, "vault", "alice", PT_PASSWORD), PAM_PERM_DENIED);
	assert_int_equal(pt_login(pt, "vault", "root2", PT_PASSWORD), PAM_SUCCESS);
	/* require_role on a governed service: both gates apply. */
	pt_service(pt, "sshd", "require_role=sec");
	assert_int_equal(pt_login(pt, "sshd", "olga", PT_PASSWORD), PAM_PERM_DENIED); /* sec lists no sshd */
	assert_int_equal(pt_login(pt, "sshd", "dan", PT_PASSWORD), PAM_PERM_DENIED);  /* dev is not sec */
	/* A role that does not exist is held by nobody but passes the admin. */
	pt_service(pt, "ghost", "require_role=nosuchrole");
	assert_int_equal(pt_login(pt, "ghost", "oscar", PT_PASSWORD), PAM_PERM_DENIED);
	assert_int_equal(pt_login(pt, "ghost", "root2", PT_PASSWORD), PAM_SUCCESS);
}

/* Roles change and the next login sees it: nothing is cached. */
static void role_changes_apply_at_once(void **state)
{
	struct pt *pt = *state;
	struct pt_user olga = { .name = "olga", .password = PT_PASSWORD, .roles = "sec" };

	pt_add_user(pt, &olga);
	assert_int_equal(pt_login(pt, "ftp", "olga", PT_PASSWORD), PAM_SUCCESS);
	pt_add_role(pt, "files", "ftp");
	assert_int_equal(pt_login(pt, "ftp", "olga", PT_PASSWORD), PAM_PERM_DENIED);
	assert_int_equal(pt_cli(pt, NULL, 0, "role assign files olga"), 0);
	assert_int_equal(pt_login(pt, "ftp", "olga", PT_PASSWORD), PAM_SUCCESS);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(ok, setup, teardown),
		cmocka_unit_test_setup_teardown(unknown, setup, teardown),
		cmocka_unit_test_setup_teardown(disabled, setup, teardown),
		cmocka_unit_test_setup_teardown(invited, setup, teardown),
		cmocka_unit_test_setup_teardown(expired, setup, teardown),
		cmocka_unit_test_setup_teardown(locked, setup, teardown),
		cmocka_unit_test_setup_teardown(must_change, setup, teardown),
		cmocka_unit_test_setup_teardown(governed_service, setup, teardown),
		cmocka_unit_test_setup_teardown(require_role, setup, teardown),
		cmocka_unit_test_setup_teardown(role_changes_apply_at_once, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
