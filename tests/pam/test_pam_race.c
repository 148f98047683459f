/* test_pam_race.c - logins racing each other, each in its own process (as
 * sshd and login run them): no failure is lost, none is invented.
 *
 * Every process waits at a barrier (a pipe closed by the parent) and then
 * runs one pam_authenticate; each reports its PAM code and the failure count
 * the module logged for it ("(N within 900s)") in a shared mapping.  The
 * cheapest argon2id cost makes the database transactions, not the hashing,
 * the contended part. */
#include "harness.h"

#include <pthread.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#define N 20

struct report {
	int code;
	int count; /* from the log, -1 when none */
};

struct job {
	const char *user, *password;
};

/* Runs jobs[i] in process i, all released at once. */
static void race(struct pt *pt, const struct job *jobs, int n, struct report *out)
{
	struct report *shared = mmap(NULL, sizeof(*shared) * (size_t)n, PROT_READ | PROT_WRITE,
				     MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	pid_t pids[64];
	int gate[2], status;

	assert_true(shared != MAP_FAILED);
	assert_true(n <= 64);
	assert_int_equal(pipe(gate), 0);
	for (int i = 0; i < n; i++) {
		pids[i] = fork();
		assert_true(pids[i] >= 0);
		if (pids[i] == 0) {
			char c;
			const char *p;

			close(gate[1]);
			if (read(gate[0], &c, 1) < 0)
				_exit(1);
			pt_log_clear();
			shared[i].code = pt_auth(pt, "login", jobs[i].user, jobs[i].password);
			p = strstr(pt_log(), "wrong password (");
			if (!p || sscanf(p, "wrong password (%d within", &shared[i].count) != 1)
				shared[i].count = -1;
			_exit(0);
		}
	}
	close(gate[0]);
	close(gate[1]); /* go */
	for (int i = 0; i < n; i++) {
		assert_int_equal(waitpid(pids[i], &status, 0), pids[i]);
		assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	}
	memcpy(out, shared, sizeof(*out) * (size_t)n);
	munmap(shared, sizeof(*shared) * (size_t)n);
}

static int teardown(void **state)
{
	pt_free(*state);
	return 0;
}

static uint32_t fails(struct pt *pt, const char *name)
{
	struct roster_user *u = pt_get(pt, name);
	uint32_t n = u->fail_count;

	roster_user_free(u);
	return n;
}

/* 20 wrong passwords for alice at once, bob's right one among them: alice
 * has exactly 20 failures (and is locked: deny is 5), bob none. */
static void twenty_wrong(void **state)
{
	struct pt *pt = pt_new(NULL);
	struct job jobs[N + 1];
	struct report rep[N + 1];
	struct roster_user *u;
	bool seen[N + 1] = { false };

	*state = pt;
	pt_service(pt, "login", NULL);
	pt_add(pt, "alice");
	pt_add(pt, "bob");
	for (int i = 0; i < N; i++)
		jobs[i] = (struct job){ "alice", "wrong password" };
	jobs[N] = (struct job){ "bob", PT_PASSWORD };
	race(pt, jobs, N + 1, rep);
	for (int i = 0; i < N; i++) {
		assert_int_equal(rep[i].code, PAM_AUTH_ERR);
		/* Each failure saw a count of its own: 1..20, none twice. */
		assert_true(rep[i].count >= 1 && rep[i].count <= N);
		assert_false(seen[rep[i].count]);
		seen[rep[i].count] = true;
	}
	assert_int_equal(rep[N].code, PAM_SUCCESS);
	u = pt_get(pt, "alice");
	assert_int_equal(u->fail_count, N);
	assert_true(u->locked_until > 0);
	roster_user_free(u);
	assert_int_equal(fails(pt, "bob"), 0);
}

/* alice's right password races her 20 wrong ones (no lockout).  The right
 * one succeeds; it clears the failures committed before it and only
 * those: the counts reported form two runs 1..k and 1..m, k + m = 20, and
 * m is what is left. */
static void right_among_wrong(void **state)
{
	struct pt *pt = pt_new("[lockout]\ndeny = 0\n");
	struct job jobs[N + 1];
	struct report rep[N + 1];
	int times[N + 2] = { 0 }, left, k;

	*state = pt;
	pt_service(pt, "login", NULL);
	pt_add(pt, "alice");
	for (int i = 0; i < N; i++)
		jobs[i] = (struct job){ "alice", "wrong password" };
	jobs[N] = (struct job){ "alice", PT_PASSWORD };
	race(pt, jobs, N + 1, rep);
	assert_int_equal(rep[N].code, PAM_SUCCESS);
	for (int i = 0; i < N; i++) {
		assert_int_equal(rep[i].code, PAM_AUTH_ERR);
		assert_true(rep[i].count >= 1 && rep[i].count <= N);
		times[rep[i].count]++;
	}
	left = (int)fails(pt, "alice");
	k = N - left;
	print_message("# %d failures before the success, %d after\n", k, left);
	for (int c = 1; c <= N; c++)
		assert_int_equal(times[c], (c <= k) + (c <= left));
}

/* Unknown names are counted too, in one counter, none lost. */
static void unknown_names(void **state)
{
	struct pt *pt = pt_new(NULL);
	struct job jobs[N];
	struct report rep[N];

	*state = pt;
	pt_service(pt, "login", NULL);
	for (int i = 0; i < N; i++)
		jobs[i] = (struct job){ "nosuchuser", "wrong password" };
	race(pt, jobs, N, rep);
	for (int i = 0; i < N; i++)
		assert_int_equal(rep[i].code, PAM_AUTH_ERR);
	assert_int_equal(pt_unknown_failures(pt), N);
}

/* Threads of one process (a server that authenticates in threads): tdb
 * allows one open of the database per process, so the module opens it
 * under a mutex and only around its reads and writes.  Every login gets
 * its right answer, every failure is counted. */
struct thread_job {
	struct pt *pt;
	const char *user, *password;
	int code;
};

static void *thread_login(void *p)
{
	struct thread_job *j = p;

	j->code = pt_auth(j->pt, "login", j->user, j->password);
	return NULL;
}

static void threads(void **state)
{
	struct pt *pt = pt_new("[lockout]\ndeny = 0\n");
	struct thread_job jobs[16];
	pthread_t th[16];

	*state = pt;
	pt_service(pt, "login", NULL);
	pt_add(pt, "alice");
	pt_add(pt, "bob");
	for (int i = 0; i < 16; i++) {
		jobs[i] = (struct thread_job){ pt, i % 2 ? "bob" : "alice", i % 2 ? PT_PASSWORD : "wrong", -1 };
		assert_int_equal(pthread_create(&th[i], NULL, thread_login, &jobs[i]), 0);
	}
	for (int i = 0; i < 16; i++)
		assert_int_equal(pthread_join(th[i], NULL), 0);
	for (int i = 0; i < 16; i++)
		assert_int_equal(jobs[i].code, i % 2 ? PAM_SUCCESS : PAM_AUTH_ERR);
	assert_int_equal(fails(pt, "alice"), 8);
	assert_int_equal(fails(pt, "bob"), 0);
	assert_false(pt_log_has("Device or resource busy"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(twenty_wrong, teardown),
		cmocka_unit_test_teardown(right_among_wrong, teardown),
		cmocka_unit_test_teardown(unknown_names, teardown),
		cmocka_unit_test_teardown(threads, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
