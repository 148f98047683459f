/* test_pam_load.c - fifty wrong passwords at once at the interactive cost
 * (argon2id, 64 MiB each), each in a process of its own as sshd runs them,
 * through real libpam: all fifty are answered PAM_AUTH_ERR and counted, and
 * never more than [passwords] max_concurrent (default 4) hashes hold their
 * memory at once, so the memory they take is bounded by max_concurrent x
 * 64 MiB = 256 MiB instead of 50 x 64 MiB = 3.2 GiB.
 *
 * How much runs at once is read from outside, from the children's resident
 * memory in /proc (tests/memwatch.h).  A cgroup memory limit would be the
 * stricter referee, but a test cannot count on one: this machine's
 * cgroups are v1 (the v2 hierarchy has no memory controller), and the
 * memory cgroup the tests run in is the caller's, not ours to change.  So
 * each child also reports its own peak (VmHWM): every one of them did hash
 * at 64 MiB, and did so without being killed.  A control run with the
 * bound lifted (max_concurrent = 256) shows the watcher sees more than
 * four at once when there are more. */
#include "harness.h"
#include "../memwatch.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#define N 50
#define CONTROL_N 16 /* 1 GiB at once without the bound: enough to see it */
#define MIB (1024.0 * 1024.0)

/* What each login maps besides its hash: libpam, the module, the database.
 * Under ASan (make check SANITIZE=1) every process also carries shadow
 * memory and a quarantine of freed blocks, and one that has released its
 * slot stays resident while LeakSanitizer scans it at exit; CI measured
 * 460 MiB above resting there against 456 MiB at 4 MiB a login. */
#if defined(__SANITIZE_ADDRESS__)
#define LOGIN_EXTRA_MIB 12
#else
#define LOGIN_EXTRA_MIB 4
#endif

struct child_report {
	int code;
	long hwm_kib; /* VmHWM after pam_authenticate */
};

static long own_hwm_kib(void)
{
	char line[256];
	long kib = -1;
	FILE *f = fopen("/proc/self/status", "re");

	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "VmHWM: %ld kB", &kib) == 1)
			break;
	if (f)
		fclose(f);
	return kib;
}

static struct roster_config *conf_of(struct pt *pt)
{
	struct roster_config *cfg = NULL;

	assert_int_equal(roster_config_load(pt->conf, &cfg), 0);
	return cfg;
}

static uint32_t fails(struct pt *pt, const char *name)
{
	struct roster_user *u = pt_get(pt, name);
	uint32_t n = u->fail_count;

	roster_user_free(u);
	return n;
}

struct logins {
	struct pt *pt;
	struct child_report *rep; /* shared with the children */
};

static int login_wrong(int i, void *priv)
{
	struct logins *l = priv;

	l->rep[i].code = pt_auth(l->pt, "login", "alice", "not the password");
	l->rep[i].hwm_kib = own_hwm_kib();
	return 0;
}

/* n processes, released at once, each one pam_authenticate of alice with a
 * wrong password.  Every child must exit by itself (no crash, no OOM kill)
 * having hashed at the configured cost. */
static void wrong_at_once(struct pt *pt, int n, struct memwatch *mw)
{
	struct child_report *rep = mmap(NULL, sizeof(*rep) * (size_t)n, PROT_READ | PROT_WRITE,
					MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	struct roster_config *cfg = conf_of(pt);
	struct logins l = { pt, rep };
	long min_hwm = -1, max_hwm = 0;

	assert_true(rep != MAP_FAILED);
	assert_int_equal(mw_race(mw, n, cfg->memlimit, login_wrong, &l), 0);
	for (int i = 0; i < n; i++) {
		if (!WIFEXITED(mw->status[i]) || WEXITSTATUS(mw->status[i]) != 0)
			fail_msg("login %d did not finish by itself: status %#x", i, mw->status[i]);
		assert_int_equal(rep[i].code, PAM_AUTH_ERR);
		/* It hashed at the configured cost: 64 MiB were resident. */
		assert_true(rep[i].hwm_kib * 1024L >= (long)cfg->memlimit);
		if (min_hwm < 0 || rep[i].hwm_kib < min_hwm)
			min_hwm = rep[i].hwm_kib;
		if (rep[i].hwm_kib > max_hwm)
			max_hwm = rep[i].hwm_kib;
	}
	print_message("# %d wrong passwords at once, %zu MiB each, max_concurrent = %u: %.2f s; at most %d hashing "
		      "at once; at most %.0f MiB above the logins' resting size, %.0f MiB resident in all "
		      "(%u scans, %u too slow to count); each login's peak %.0f-%.0f MiB\n",
		      n, cfg->memlimit >> 20, cfg->max_concurrent, mw->took, mw->peak, mw->peak_extra / MIB,
		      mw->peak_total / MIB, mw->scans, mw->skipped, min_hwm / 1024.0, max_hwm / 1024.0);
	roster_config_free(cfg);
	munmap(rep, sizeof(*rep) * (size_t)n);
}

static int teardown(void **state)
{
	pt_free(*state);
	return 0;
}

/* The scenario, with the shipped default bound. */
static void fifty_wrong_passwords(void **state)
{
	struct pt *pt = pt_new("[passwords]\ncost = interactive\n[lockout]\ndeny = 0\n");
	struct roster_config *cfg;
	struct memwatch mw;
	double budget;

	*state = pt;
	cfg = conf_of(pt);
	assert_int_equal(cfg->max_concurrent, 4); /* the default, not set above */
	assert_int_equal(cfg->memlimit, 64 << 20);
	pt_service(pt, "login", NULL);
	pt_add(pt, "alice");
	assert_int_equal(fails(pt, "alice"), 0);

	wrong_at_once(pt, N, &mw);
	assert_int_equal(fails(pt, "alice"), N);
	assert_true(mw.scans > 0);
	assert_true(mw.peak >= 1);
	assert_true(mw.peak <= (int)cfg->max_concurrent);
	/* The hashes' memory, plus what each login maps besides. */
	budget = cfg->max_concurrent * (double)cfg->memlimit + N * LOGIN_EXTRA_MIB * MIB;
	assert_true(mw.peak_extra <= budget);
	roster_config_free(cfg);
}

/* Without the bound the same logins run side by side: the watcher sees it. */
static void control_without_the_bound(void **state)
{
	struct pt *pt = pt_new("[passwords]\ncost = interactive\nmax_concurrent = 256\n[lockout]\ndeny = 0\n");
	struct memwatch mw;

	*state = pt;
	pt_service(pt, "login", NULL);
	pt_add(pt, "alice");
	wrong_at_once(pt, CONTROL_N, &mw);
	assert_int_equal(fails(pt, "alice"), CONTROL_N);
	assert_true(mw.peak > 4);
}

/* Holds slot i of the world's verify.lock as another login would: an open
 * file description lock on byte i.  Returns the descriptor to close. */
static int hold_slot(struct pt *pt, unsigned i)
{
	char path[PATH_MAX];
	struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = (off_t)i, .l_len = 1 };
	int fd;

	snprintf(path, sizeof(path), "%s/verify.lock", pt->dbdir);
	fd = open(path, O_RDWR | O_CLOEXEC | O_NOFOLLOW);
	assert_true(fd >= 0);
	assert_int_equal(fcntl(fd, F_OFD_SETLK, &fl), 0);
	return fd;
}

/* No slot within max_wait: PAM_AUTHINFO_UNAVAIL for the right password, a
 * wrong one, an unknown user and an API password alike, each after
 * max_wait; nothing counted, the reason logged.  The roster command waits
 * for the same slots: it fails, says why, and changes nothing.  Then, with
 * the slot free, the usual answers. */
static void no_slot_nothing_counted(void **state)
{
	struct pt *pt = pt_new("[passwords]\nmax_concurrent = 1\nmax_wait = 1\n[lockout]\ndeny = 0\n");
	struct { const char *service, *user, *password; } tries[] = {
		{ "login", "alice", PT_PASSWORD },
		{ "login", "alice", "not the password" },
		{ "login", "mallory", "not the password" },
		{ "webapi", "alice", "not the API password" },
	};
	char out[1024];
	double t;
	int held;

	*state = pt;
	pt_service(pt, "login", NULL);
	pt_service(pt, "webapi", "api");
	pt_add(pt, "alice");
	assert_int_equal(pt_cli(pt, out, sizeof(out), "api reset alice --label ci"), 0);
	assert_int_equal(pt_cli(pt, NULL, 0, "api enable alice"), 0);

	held = hold_slot(pt, 0);
	for (size_t i = 0; i < sizeof(tries) / sizeof(tries[0]); i++) {
		pt_log_clear();
		t = pt_now();
		assert_int_equal(pt_auth(pt, tries[i].service, tries[i].user, tries[i].password),
				 PAM_AUTHINFO_UNAVAIL);
		t = pt_now() - t;
		assert_true(t >= 0.99 && t < 3.0);
		assert_true(pt_log_has("the password was not verified: no argon2id slot came free"));
		assert_false(pt_log_has("authentication failure: wrong"));
	}
	assert_int_equal(fails(pt, "alice"), 0);
	assert_int_equal(pt_unknown_failures(pt), 0);
	assert_int_equal(pt_cli(pt, out, sizeof(out), "api reset alice --label other"), 1);
	assert_non_null(strstr(out, "no argon2id slot came free within [passwords] max_wait"));
	assert_int_equal(pt_cli(pt, out, sizeof(out), "api list alice"), 0);
	assert_non_null(strstr(out, "ci"));
	assert_null(strstr(out, "other"));
	close(held);

	assert_int_equal(pt_auth(pt, "login", "alice", "not the password"), PAM_AUTH_ERR);
	assert_int_equal(pt_auth(pt, "login", "mallory", "not the password"), PAM_AUTH_ERR);
	assert_int_equal(pt_auth(pt, "login", "alice", PT_PASSWORD), PAM_SUCCESS);
	assert_int_equal(pt_unknown_failures(pt), 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(fifty_wrong_passwords, teardown),
		cmocka_unit_test_teardown(control_without_the_bound, teardown),
		cmocka_unit_test_teardown(no_slot_nothing_counted, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
