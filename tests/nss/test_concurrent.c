/* test_concurrent.c - lookups while another process commits changes.
 *
 * Eight threads look up existing users by name and by uid in a loop, while
 * a writer process (fork) keeps adding users and changing the first names
 * of the existing ones, one committed transaction after another, for about
 * two seconds.  Every lookup of an existing user must succeed and be whole:
 * the right name and uid, and a gecos that was valid at some moment.
 */
#include "fixture.h"

#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <setjmp.h>
#include <cmocka.h>

#define NUSERS 40
#define NTHREADS 8
#define NFIRST 10
#define RUN_MS 2000

static struct fixture fx;
static struct nss_fns nss;
static char names[NUSERS][16];
static uint32_t uids[NUSERS];

static atomic_bool stop;
static atomic_ulong lookups, failures;
static char first_failure[256];
static pthread_mutex_t failure_lock = PTHREAD_MUTEX_INITIALIZER;

static void first_name(char out[16], unsigned k)
{
	snprintf(out, 16, "First%u", k % NFIRST);
}

static int setup(void **state)
{
	char first[16];
	int r;

	(void)state;
	r = fx_create(&fx, 70000, 79999) ?: roster_txn_begin(fx.db, "test");
	first_name(first, 0);
	for (unsigned i = 0; r == 0 && i < NUSERS; i++) {
		snprintf(names[i], sizeof(names[i]), "user%02u", i);
		r = fx_add_user(&fx, names[i], first, "Last", NULL, &uids[i]);
	}
	r = r ?: roster_txn_commit(fx.db);
	/* the writer opens its own handle: a tdb handle does not survive fork */
	fx_close_db(&fx);
	if (r < 0)
		return -1;
	return fx_load_module(&nss, fx.dbdir) < 0 ? -1 : 0;
}

static int teardown(void **state)
{
	(void)state;
	fx_destroy(&fx);
	return 0;
}

static long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The writer: commits until RUN_MS have passed; exits with the number of
 * commits / 8 (so 0 means "hardly any"), or 255 on a failure. */
static void writer(void)
{
	long end = now_ms() + RUN_MS;
	unsigned k = 1, commits = 0;
	char name[32], first[16];

	if (fx_reopen(&fx) < 0)
		_exit(255);
	while (now_ms() < end) {
		if (roster_txn_begin(fx.db, "writer") < 0)
			_exit(255);
		snprintf(name, sizeof(name), "new%u", k);
		first_name(first, k);
		if (fx_add_user(&fx, name, "New", NULL, NULL, NULL) < 0 ||
		    fx_set_first(&fx, names[k % NUSERS], first) < 0 ||
		    fx_set_first(&fx, names[(k * 7 + 3) % NUSERS], first) < 0)
			_exit(255);
		if (roster_txn_commit(fx.db) < 0)
			_exit(255);
		commits++;
		k++;
	}
	fx_close_db(&fx);
	_exit(commits / 8 > 254 ? 254 : (int)(commits / 8));
}

static void failed(const char *fmt, ...)
{
	va_list ap;

	if (atomic_fetch_add(&failures, 1) > 0)
		return;
	pthread_mutex_lock(&failure_lock);
	va_start(ap, fmt);
	vsnprintf(first_failure, sizeof(first_failure), fmt, ap);
	va_end(ap);
	pthread_mutex_unlock(&failure_lock);
}

static bool gecos_ok(const char *g)
{
	char want[32];

	for (unsigned k = 0; k < NFIRST; k++) {
		snprintf(want, sizeof(want), "First%u Last", k);
		if (strcmp(g, want) == 0)
			return true;
	}
	return false;
}

static void check(unsigned i, bool by_uid)
{
	char buf[1024], home[64];
	struct passwd pw;
	enum nss_status st;
	int err = 0;

	st = by_uid ? nss.getpwuid_r(uids[i], &pw, buf, sizeof(buf), &err)
		    : nss.getpwnam_r(names[i], &pw, buf, sizeof(buf), &err);
	atomic_fetch_add(&lookups, 1);
	if (st != NSS_STATUS_SUCCESS) {
		failed("%s(%s): status %d, errno %d", by_uid ? "getpwuid" : "getpwnam", names[i], st, err);
		return;
	}
	snprintf(home, sizeof(home), "/home/%s", names[i]);
	if (strcmp(pw.pw_name, names[i]) != 0 || pw.pw_uid != uids[i] || pw.pw_gid != uids[i] ||
	    strcmp(pw.pw_passwd, "x") != 0 || !gecos_ok(pw.pw_gecos) || strcmp(pw.pw_dir, home) != 0 ||
	    strcmp(pw.pw_shell, "/bin/bash") != 0)
		failed("%s: torn entry %s:%s:%u:%u:%s:%s:%s", names[i], pw.pw_name, pw.pw_passwd,
		       (unsigned)pw.pw_uid, (unsigned)pw.pw_gid, pw.pw_gecos, pw.pw_dir, pw.pw_shell);
}

static void *reader(void *arg)
{
	unsigned seed = (unsigned)(uintptr_t)arg;

	while (!atomic_load(&stop)) {
		seed = seed * 1103515245u + 12345u;
		check((seed >> 8) % NUSERS, seed & 0x10000);
	}
	return NULL;
}

static void test_lookups_during_commits(void **state)
{
	pthread_t t[NTHREADS];
	int status;
	pid_t pid;

	(void)state;
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0)
		writer();
	for (uintptr_t i = 0; i < NTHREADS; i++)
		assert_int_equal(pthread_create(&t[i], NULL, reader, (void *)(i + 1)), 0);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	atomic_store(&stop, true);
	for (unsigned i = 0; i < NTHREADS; i++)
		pthread_join(t[i], NULL);

	print_message("%lu lookups, %lu failed; writer: about %d commits\n", atomic_load(&lookups),
		      atomic_load(&failures), WIFEXITED(status) ? WEXITSTATUS(status) * 8 : -1);
	if (atomic_load(&failures))
		fail_msg("first failure: %s", first_failure);
	assert_true(WIFEXITED(status));
	assert_int_not_equal(WEXITSTATUS(status), 255); /* the writer failed */
	assert_true(WEXITSTATUS(status) >= 1);           /* at least 8 commits */
	assert_true(atomic_load(&lookups) > 1000);
}

/* Afterwards the same process sees what the writer added. */
static void test_sees_writer(void **state)
{
	char buf[1024];
	struct passwd pw;
	int err = 0;

	(void)state;
	assert_int_equal(nss.getpwnam_r("new1", &pw, buf, sizeof(buf), &err), NSS_STATUS_SUCCESS);
	assert_string_equal(pw.pw_gecos, "New");
	assert_int_equal(nss.getpwnam_r(names[1], &pw, buf, sizeof(buf), &err), NSS_STATUS_SUCCESS);
	assert_string_not_equal(pw.pw_gecos, "First0 Last");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lookups_during_commits),
		cmocka_unit_test(test_sees_writer),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
