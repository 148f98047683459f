/* test_pam_session.c - pam_sm_open_session records the last login (time,
 * service, remote host) in the account; roster user show shows it. */
#include "harness.h"

#include <time.h>
#include <sys/wait.h>
#include <unistd.h>

static int setup(void **state)
{
	struct pt *pt = pt_new(NULL);

	pt_service(pt, "sshd", NULL);
	pt_add(pt, "alice");
	*state = pt;
	return 0;
}

static int teardown(void **state)
{
	pt_free(*state);
	return 0;
}

static int session(struct pt *pt, const char *service, const char *user, const char *rhost)
{
	struct pt_conv cv;
	pam_handle_t *h;
	int r, r2;

	pt_conv_init(&cv, NULL);
	h = pt_start(pt, service, user, &cv, rhost);
	r = pam_open_session(h, 0);
	r2 = pam_close_session(h, 0);
	pt_end(h, r);
	return r == PAM_SUCCESS ? r2 : r;
}

static void last_login(void **state)
{
	struct pt *pt = *state;
	struct roster_user *u = pt_get(pt, "alice");
	int64_t before = (int64_t)time(NULL);
	char out[4096], when[21], want[128];

	assert_int_equal(u->last_login, 0);
	roster_user_free(u);
	assert_int_equal(pt_cli(pt, out, sizeof(out), "user show alice"), 0);
	assert_non_null(strstr(out, "last login             never\n"));

	assert_int_equal(session(pt, "sshd", "alice", "198.51.100.7"), PAM_SUCCESS);
	u = pt_get(pt, "alice");
	assert_true(u->last_login >= before && u->last_login <= (int64_t)time(NULL));
	assert_string_equal(u->last_service, "sshd");
	assert_string_equal(u->last_host, "198.51.100.7");
	roster_format_time(u->last_login, when);
	roster_user_free(u);
	assert_true(pt_log_has("session opened; user=alice service=sshd rhost=198.51.100.7"));

	assert_int_equal(pt_cli(pt, out, sizeof(out), "user show alice"), 0);
	snprintf(want, sizeof(want), "last login             %s via sshd from 198.51.100.7\n", when);
	if (!strstr(out, want))
		fail_msg("wanted '%s' in:\n%s", want, out);
	assert_int_equal(pt_cli(pt, out, sizeof(out), "--json user show alice"), 0);
	assert_non_null(strstr(out, "\"last_login_service\": \"sshd\""));
	assert_non_null(strstr(out, "\"last_login_host\": \"198.51.100.7\""));

	/* A local login has no remote host. */
	pt_service(pt, "login", NULL);
	assert_int_equal(session(pt, "login", "alice", NULL), PAM_SUCCESS);
	u = pt_get(pt, "alice");
	assert_string_equal(u->last_service, "login");
	assert_null(u->last_host);
	roster_user_free(u);
}

/* The remote host is the network's text: it reaches a terminal through
 * roster user show, so only printable ASCII is kept, and not too much. */
static void hostile_host(void **state)
{
	struct pt *pt = *state;
	struct roster_user *u;
	char big[600];

	assert_int_equal(session(pt, "sshd", "alice", "\x1b]0;owned\x07" "evil\nhost\xc3\xa9"), PAM_SUCCESS);
	u = pt_get(pt, "alice");
	assert_string_equal(u->last_host, "?]0;owned?evil?host??");
	roster_user_free(u);
	memset(big, 'h', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	assert_int_equal(session(pt, "sshd", "alice", big), PAM_SUCCESS);
	u = pt_get(pt, "alice");
	assert_int_equal(strlen(u->last_host), 255);
	roster_user_free(u);
}

/* Not a roster user: the module steps aside (PAM_IGNORE), writes nothing. */
static void not_ours(void **state)
{
	struct pt *pt = *state;

	pt_service_text(pt, "mixed", "session optional @SO@ config=@CONF@\n"
				     "session required pam_permit.so\n");
	assert_int_equal(session(pt, "mixed", "root", NULL), PAM_SUCCESS);
	pt_service_text(pt, "only", "session required @SO@ config=@CONF@\n");
	assert_int_not_equal(session(pt, "only", "root", NULL), PAM_SUCCESS);
	assert_false(pt_log_has("session opened"));
}

/* A child holds a roster transaction (an administrator's `roster`, stopped
 * with ^Z, say) while sessions open: root's is no business of ours and
 * waits for nothing; alice's opens without its last-login record once
 * the wait for the lock runs out, instead of hanging with it. */
static void held_transaction(void **state)
{
	struct pt *pt = *state;
	int ready[2], release[2], status;
	char c;
	pid_t pid;

	pt_service_text(pt, "only", "session required @SO@ config=@CONF@ debug\n");
	alarm(30); /* a session that waits for the child hangs: a failure instead */
	assert_int_equal(pipe(ready), 0);
	assert_int_equal(pipe(release), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct roster_config *cfg = NULL;
		struct roster_db *db = NULL;

		/* The parent's end closed here: its exit ends the wait. */
		close(release[1]);
		close(ready[0]);
		if (roster_config_load(pt->conf, &cfg) < 0 || roster_db_open(cfg, 0, &db) < 0 ||
		    roster_txn_begin(db, "tester") < 0)
			_exit(1);
		if (write(ready[1], "x", 1) != 1 || read(release[0], &c, 1) != 1)
			_exit(2);
		roster_txn_abort(db);
		roster_db_close(db);
		_exit(0);
	}
	close(ready[1]);
	close(release[0]);
	assert_int_equal(read(ready[0], &c, 1), 1);

	assert_int_not_equal(session(pt, "only", "root", NULL), PAM_SUCCESS);
	assert_true(pt_log_has("not a roster user: session ignored"));
	assert_int_equal(session(pt, "sshd", "alice", NULL), PAM_SUCCESS);
	assert_true(pt_log_has("session opened; the login was not recorded"));
	/* ... while the transaction was still held. */
	assert_int_equal(waitpid(pid, &status, WNOHANG), 0);

	assert_int_equal(write(release[1], "x", 1), 1);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	alarm(0);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	close(ready[0]);
	close(release[1]);
	pt_log_clear();
	assert_int_equal(session(pt, "sshd", "alice", NULL), PAM_SUCCESS);
	assert_true(pt_log_has("session opened"));
	assert_false(pt_log_has("not recorded"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(last_login, setup, teardown),
		cmocka_unit_test_setup_teardown(hostile_host, setup, teardown),
		cmocka_unit_test_setup_teardown(not_ours, setup, teardown),
		cmocka_unit_test_setup_teardown(held_transaction, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
