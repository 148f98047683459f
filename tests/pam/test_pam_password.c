/* test_pam_password.c - pam_sm_chauthtok: the forced change at login, the
 * current password, the policy and its message, the retype, stacking with
 * a pam_pwquality-like module (use_authtok, try_first_pass), history. */
#include "harness.h"

#include <grp.h>
#include <sys/wait.h>
#include <unistd.h>

#define NEWPW "Tangerine-Viaduct-77"

static int setup(void **state)
{
	struct pt *pt = pt_new(NULL);
	struct pt_user bob = { .name = "bob", .password = PT_PASSWORD, .email = "robert.smith@example.org" };

	pt_service(pt, "login", NULL);
	pt_service(pt, "passwd", NULL);
	pt_add(pt, "alice");
	pt_add_user(pt, &bob);
	*state = pt;
	return 0;
}

static int teardown(void **state)
{
	pt_free(*state);
	return 0;
}

static char *hash_of(struct pt *pt, const char *name)
{
	struct roster_user *u = pt_get(pt, name);
	char *h = strdup(u->pwhash ? u->pwhash : "");

	roster_user_free(u);
	return h;
}

/* chauthtok as root with the given flags; the answers in order. */
static int change(struct pt *pt, const char *service, const char *user, int flags, struct pt_conv *cv)
{
	pam_handle_t *h = pt_start(pt, service, user, cv, NULL);
	int r = pam_chauthtok(h, flags);

	pt_end(h, r);
	return r;
}

/* The flow: auth, acct_mgmt says NEW_AUTHTOK_REQD, chauthtok with
 * PAM_CHANGE_EXPIRED_AUTHTOK, then a login with the new password. */
static void must_change_flow(void **state)
{
	struct pt *pt = *state;
	struct pt_user u = { .name = "mc", .password = PT_PASSWORD, .must_change = true };
	struct roster_user *s;
	struct pt_conv cv;
	pam_handle_t *h;
	char hist[2048];

	pt_add_user(pt, &u);
	pt_conv_init(&cv, PT_PASSWORD, PT_PASSWORD, NEWPW, NEWPW, NULL);
	h = pt_start(pt, "login", "mc", &cv, NULL);
	assert_int_equal(pam_authenticate(h, 0), PAM_SUCCESS);
	assert_int_equal(pam_acct_mgmt(h, 0), PAM_NEW_AUTHTOK_REQD);
	assert_int_equal(pam_chauthtok(h, PAM_CHANGE_EXPIRED_AUTHTOK), PAM_SUCCESS);
	pt_end(h, PAM_SUCCESS);
	assert_string_equal(cv.prompts, "Password: \nCurrent password: \nNew password: \nRetype new password: \n");
	s = pt_get(pt, "mc");
	assert_false(s->must_change);
	roster_user_free(s);
	assert_int_equal(pt_login(pt, "login", "mc", NEWPW), PAM_SUCCESS);
	assert_int_equal(pt_login(pt, "login", "mc", PT_PASSWORD), PAM_AUTH_ERR);
	pt_history(pt, "mc", hist, sizeof(hist));
	assert_non_null(strstr(hist, "password.change by mc: must_change_password password(secret)\n"));
	assert_true(pt_log_has("password changed; user=mc service=login"));
	if (strstr(pt_log(), NEWPW) || strstr(pt_log(), PT_PASSWORD))
		fail_msg("a password reached syslog:\n%s", pt_log());
}

/* With PAM_CHANGE_EXPIRED_AUTHTOK, a password that has not expired is
 * left alone, without a prompt. */
static void change_expired_only(void **state)
{
	struct pt *pt = *state;
	struct pt_conv cv;
	char *before = hash_of(pt, "alice"), *after;

	pt_conv_init(&cv, NULL);
	assert_int_equal(change(pt, "passwd", "alice", PAM_CHANGE_EXPIRED_AUTHTOK, &cv), PAM_SUCCESS);
	assert_string_equal(cv.prompts, "");
	after = hash_of(pt, "alice");
	assert_string_equal(before, after);
	free(before);
	free(after);
}

/* Refused: the reason and the criteria in the conversation, nothing changed. */
static void refused(struct pt *pt, const char *user, const char *pw, const char *reason)
{
	struct pt_conv cv;
	char *before = hash_of(pt, user), *after, hist[2048];

	pt_conv_init(&cv, pw, pw, NULL);
	assert_int_equal(change(pt, "passwd", user, 0, &cv), PAM_AUTHTOK_ERR);
	if (!strstr(cv.errors, reason))
		fail_msg("'%s': wanted '%s', got '%s'", pw, reason, cv.errors);
	assert_non_null(strstr(cv.errors, "A new password needs at least 12 characters;"));
	assert_non_null(strstr(cv.errors, "/etc/security/pwquality.conf"));
	/* Refused after the first entry: no retype asked for. */
	assert_string_equal(cv.prompts, "New password: \n");
	after = hash_of(pt, user);
	assert_string_equal(before, after);
	pt_history(pt, user, hist, sizeof(hist));
	assert_null(strstr(hist, "password.change"));
	free(before);
	free(after);
}

static void policy(void **state)
{
	struct pt *pt = *state;

	refused(pt, "alice", "", "BAD PASSWORD: The password is empty.");
	refused(pt, "alice", "Short-1a", "BAD PASSWORD: The password is shorter than 12 characters.");
	refused(pt, "alice", "xx-Alice-2024-yy", "BAD PASSWORD: The password contains the user name.");
	refused(pt, "bob", "Robert.Smith-2024", "BAD PASSWORD: The password contains the email address.");
	refused(pt, "bob", "zz-robert.smith@example.org", "The password contains the email address.");
	/* As root no current password is asked: it is compared with the hash. */
	refused(pt, "alice", PT_PASSWORD, "BAD PASSWORD: The password is the same as the current one.");
	/* libpwquality's own checks (here: its palindrome rule). */
	refused(pt, "alice", "abcdefgh-hgfedcba", "BAD PASSWORD: The password is a palindrome.");
	assert_true(pt_log_has("password change refused by the policy: The password is a palindrome.; user=alice"));
}

static void policy_silent(void **state)
{
	struct pt *pt = *state;
	struct pt_conv cv;

	pt_conv_init(&cv, "short", NULL);
	assert_int_equal(change(pt, "passwd", "alice", PAM_SILENT, &cv), PAM_AUTHTOK_ERR);
	assert_int_equal(cv.nmsgs, 0);
}

static void retype_differs(void **state)
{
	struct pt *pt = *state;
	struct pt_conv cv;
	char *before = hash_of(pt, "alice"), *after;

	pt_conv_init(&cv, NEWPW, "Tangerine-Viaduct-78", NULL);
	assert_int_equal(change(pt, "passwd", "alice", 0, &cv), PAM_AUTHTOK_ERR);
	assert_non_null(strstr(cv.errors, "Sorry, passwords do not match."));
	after = hash_of(pt, "alice");
	assert_string_equal(before, after);
	free(before);
	free(after);
}

/* Root changes a password without the current one; the actor is root's. */
static void root_changes(void **state)
{
	struct pt *pt = *state;
	struct pt_conv cv;
	char hist[2048], want[128];

	pt_conv_init(&cv, NEWPW, NEWPW, NULL);
	assert_int_equal(change(pt, "passwd", "alice", 0, &cv), PAM_SUCCESS);
	assert_string_equal(cv.prompts, "New password: \nRetype new password: \n");
	assert_int_equal(pt_auth(pt, "login", "alice", NEWPW), PAM_SUCCESS);
	pt_history(pt, "alice", hist, sizeof(hist));
	snprintf(want, sizeof(want), "password.change by %s: password(secret)\n", roster_actor());
	assert_non_null(strstr(hist, want));
}

/* A caller that is not root (passwd is setuid: the real uid is the user's)
 * gives the current password first; a wrong one counts as a failure. */
static int as_user(struct pt *pt, const char *cur, const char *pw, char *prompts, size_t n)
{
	int status, fd[2];
	pid_t pid;

	assert_int_equal(pipe(fd), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct pt_conv cv;
		pam_handle_t *h;
		int r;

		close(fd[0]);
		/* real uid 4242, effective root: what a setuid passwd runs as */
		if (setresuid(4242, 0, 0) < 0)
			_exit(100);
		pt_conv_init(&cv, cur, pw, pw, NULL);
		h = pt_start(pt, "passwd", "alice", &cv, NULL);
		r = pam_chauthtok(h, 0);
		pt_end(h, r);
		if (write(fd[1], cv.prompts, strlen(cv.prompts)) < 0)
			_exit(101);
		_exit(r);
	}
	close(fd[1]);
	memset(prompts, 0, n);
	if (read(fd[0], prompts, n - 1) < 0)
		prompts[0] = '\0';
	close(fd[0]);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	return WEXITSTATUS(status);
}

static void user_changes(void **state)
{
	struct pt *pt = *state;
	struct roster_user *u;
	char prompts[1024], hist[2048];

	assert_int_equal(as_user(pt, "not my password", NEWPW, prompts, sizeof(prompts)), PAM_AUTH_ERR);
	assert_string_equal(prompts, "Current password: \n");
	u = pt_get(pt, "alice");
	assert_int_equal(u->fail_count, 1);
	roster_user_free(u);
	/* The new password may not be the current one. */
	assert_int_equal(as_user(pt, PT_PASSWORD, PT_PASSWORD, prompts, sizeof(prompts)), PAM_AUTHTOK_ERR);
	assert_int_equal(as_user(pt, PT_PASSWORD, NEWPW, prompts, sizeof(prompts)), PAM_SUCCESS);
	assert_string_equal(prompts, "Current password: \nNew password: \nRetype new password: \n");
	assert_int_equal(pt_auth(pt, "login", "alice", NEWPW), PAM_SUCCESS);
	pt_history(pt, "alice", hist, sizeof(hist));
	assert_non_null(strstr(hist, "password.change by alice: password(secret)\n"));
}

/* password requisite pam_pwquality; password required pam_roster use_authtok:
 * the earlier module asks (twice), roster only checks and stores. */
static void use_authtok(void **state)
{
	struct pt *pt = *state;
	struct pt_conv cv;

	pt_service_text(pt, "stacked", "password requisite @SETTOK@\n"
				       "password required @SO@ config=@CONF@ use_authtok\n");
	pt_conv_init(&cv, NEWPW, NEWPW, NULL);
	assert_int_equal(change(pt, "stacked", "alice", 0, &cv), PAM_SUCCESS);
	assert_string_equal(cv.prompts, "New password: \nRetype new password: \n");
	assert_int_equal(pt_auth(pt, "login", "alice", NEWPW), PAM_SUCCESS);
	/* roster's policy still applies to what the earlier module passed on. */
	pt_conv_init(&cv, "short", "short", NULL);
	assert_int_equal(change(pt, "stacked", "alice", 0, &cv), PAM_AUTHTOK_ERR);
	assert_non_null(strstr(cv.errors, "BAD PASSWORD: The password is shorter than 12 characters."));
	/* use_authtok with nobody before it: refused, no prompt. */
	pt_service_text(pt, "alone", "password required @SO@ config=@CONF@ use_authtok\n");
	pt_conv_init(&cv, NEWPW, NEWPW, NULL);
	assert_int_equal(change(pt, "alone", "alice", 0, &cv), PAM_AUTHTOK_ERR);
	assert_string_equal(cv.prompts, "");
}

/* try_first_pass: an earlier module's password that fails the policy is
 * dropped and roster asks for one itself. */
static void try_first_pass(void **state)
{
	struct pt *pt = *state;
	struct pt_conv cv;

	pt_service_text(pt, "tfp", "password optional @SETTOK@\n"
				   "password required @SO@ config=@CONF@ try_first_pass\n");
	pt_conv_init(&cv, "short", "short", NEWPW, NEWPW, NULL);
	assert_int_equal(change(pt, "tfp", "alice", 0, &cv), PAM_SUCCESS);
	assert_string_equal(cv.prompts, "New password: \nRetype new password: \n"
					"New password: \nRetype new password: \n");
	assert_int_equal(pt_auth(pt, "login", "alice", NEWPW), PAM_SUCCESS);
	/* A good one from the earlier module is used as it is. */
	pt_conv_init(&cv, "Another-Good-One-99", "Another-Good-One-99", NULL);
	assert_int_equal(change(pt, "tfp", "alice", 0, &cv), PAM_SUCCESS);
	assert_string_equal(cv.prompts, "New password: \nRetype new password: \n");
	assert_int_equal(pt_auth(pt, "login", "alice", "Another-Good-One-99"), PAM_SUCCESS);
}

/* The real pam_pwquality, when the machine has it (libpam-pwquality). */
static void real_pam_pwquality(void **state)
{
	struct pt *pt = *state;
	struct pt_conv cv;

	static const char *const where[] = {
		"/usr/lib/x86_64-linux-gnu/security", "/usr/lib/aarch64-linux-gnu/security",
		"/usr/lib/i386-linux-gnu/security", "/lib/security", "/usr/lib64/security",
	};
	bool found = false;
	char path[256];

	for (size_t i = 0; i < sizeof(where) / sizeof(where[0]); i++) {
		snprintf(path, sizeof(path), "%s/pam_pwquality.so", where[i]);
		found = found || access(path, R_OK) == 0;
	}
	if (!found) {
		print_message("# pam_pwquality.so is not installed; the stand-in covered use_authtok\n");
		skip();
	}
	pt_service_text(pt, "pwq", "password requisite pam_pwquality.so dictcheck=0\n"
				   "password required @SO@ config=@CONF@ use_authtok\n");
	pt_conv_init(&cv, NEWPW, NEWPW, NULL);
	assert_int_equal(change(pt, "pwq", "alice", 0, &cv), PAM_SUCCESS);
	assert_int_equal(pt_auth(pt, "login", "alice", NEWPW), PAM_SUCCESS);
}

static void unknown_user(void **state)
{
	struct pt_conv cv;

	pt_conv_init(&cv, NEWPW, NEWPW, NULL);
	assert_int_equal(change(*state, "passwd", "mallory", 0, &cv), PAM_USER_UNKNOWN);
	assert_string_equal(cv.prompts, "");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(must_change_flow, setup, teardown),
		cmocka_unit_test_setup_teardown(change_expired_only, setup, teardown),
		cmocka_unit_test_setup_teardown(policy, setup, teardown),
		cmocka_unit_test_setup_teardown(policy_silent, setup, teardown),
		cmocka_unit_test_setup_teardown(retype_differs, setup, teardown),
		cmocka_unit_test_setup_teardown(root_changes, setup, teardown),
		cmocka_unit_test_setup_teardown(user_changes, setup, teardown),
		cmocka_unit_test_setup_teardown(use_authtok, setup, teardown),
		cmocka_unit_test_setup_teardown(try_first_pass, setup, teardown),
		cmocka_unit_test_setup_teardown(real_pam_pwquality, setup, teardown),
		cmocka_unit_test_setup_teardown(unknown_user, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
