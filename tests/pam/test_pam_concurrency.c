/* test_pam_concurrency.c - everything at once: four administrators
 * writing through the CLI, eight threads looking users up through glibc's
 * NSS, and four processes failing logins for one user through libpam.
 *
 *  - writers: cli/roster processes, one command after another (user add
 *    with a role, user edit of the login target and of existing users,
 *    role assign and revoke), each in a process of its own;
 *  - readers: getpwnam_r, getpwuid_r and getgrnam_r in this process, with
 *    glibc loading libnss_roster.so.2 by name (the program re-executes
 *    itself with LD_LIBRARY_PATH) and __nss_configure_lookup making roster
 *    the only source; they look up the users, roles and private groups that
 *    existed before the race;
 *  - logins: wrong passwords for "target" through pam_roster, with
 *    [lockout] deny = 0 so that every failure is counted and none locks,
 *    from the first command to the last.
 *
 * Afterwards: target's failure count is the number of failed logins (none
 * lost, though its record was edited meanwhile), no uid or gid is handed
 * out twice nor collides with a role's, every lookup succeeded and was
 * right, every command and login gave the expected answer, and db check
 * finds no problem.
 */
#include "harness.h"

#include <errno.h>
#include <grp.h>
#include <nss.h>
#include <pthread.h>
#include <pwd.h>
#include <stdatomic.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#define WRITERS 4
#define WRITER_ROUNDS 6 /* four commands each */
#define READERS 8
#define LOGINS 4
#define LOGIN_MIN 10 /* tries each at least; then on until the writers are done */
#define BEFORE 30 /* users that exist before the race */

struct entry {
	char name[32];
	uint32_t id;
	bool group;
};

static struct entry known[BEFORE + 8];
static unsigned nknown;

/* Shared with the child processes. */
struct shared {
	atomic_int writers_left;
	atomic_ulong login_failures; /* PAM_AUTH_ERR answers */
	atomic_ulong login_other;    /* anything else */
};
static struct shared *sh;

static atomic_bool stop;

/* One reader thread's tally: no lock, the threads share nothing. */
struct reader {
	pthread_t thread;
	unsigned seed;
	unsigned long lookups, failures;
	char first_failure[256];
};

static void failed(struct reader *rd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void failed(struct reader *rd, const char *fmt, ...)
{
	va_list ap;

	if (rd->failures++ > 0)
		return;
	va_start(ap, fmt);
	vsnprintf(rd->first_failure, sizeof(rd->first_failure), fmt, ap);
	va_end(ap);
}

/* One lookup through glibc, growing the buffer on ERANGE as callers do. */
static void look_up(struct reader *rd, const struct entry *e, bool by_id)
{
	char *buf = NULL;
	size_t size = 256;
	int r;

	do {
		struct passwd pw, *pwp = NULL;
		struct group gr, *grp = NULL;
		char *b = realloc(buf, size *= 2);

		if (!b) {
			failed(rd, "out of memory");
			break;
		}
		buf = b;
		if (e->group) {
			r = getgrnam_r(e->name, &gr, buf, size, &grp);
			if (r == 0 && (!grp || grp->gr_gid != e->id || strcmp(grp->gr_name, e->name)))
				failed(rd, "getgrnam_r(%s): %s", e->name, grp ? "wrong entry" : "not found");
		} else if (by_id) {
			r = getpwuid_r(e->id, &pw, buf, size, &pwp);
			if (r == 0 && (!pwp || strcmp(pwp->pw_name, e->name)))
				failed(rd, "getpwuid_r(%u): %s", (unsigned)e->id, pwp ? pwp->pw_name : "not found");
		} else {
			r = getpwnam_r(e->name, &pw, buf, size, &pwp);
			if (r == 0 && (!pwp || pwp->pw_uid != e->id))
				failed(rd, "getpwnam_r(%s): %s", e->name, pwp ? "wrong uid" : "not found");
		}
	} while (r == ERANGE && size < 1 << 20);
	if (r != 0)
		failed(rd, "lookup of %s: %s", e->name, strerror(r));
	rd->lookups++;
	free(buf);
}

static void *reader(void *arg)
{
	struct reader *rd = arg;

	while (!atomic_load(&stop)) {
		rd->seed = rd->seed * 1103515245u + 12345u;
		look_up(rd, &known[(rd->seed >> 8) % nknown], rd->seed & 0x10000);
	}
	return NULL;
}

/* Writer w: its commands, one after another; exits with the number that
 * failed. */
static void writer(struct pt *pt, int w)
{
	char out[1024];
	int bad = 0;

	for (int i = 0; i < WRITER_ROUNDS; i++) {
		int j = (w * WRITER_ROUNDS + i) % BEFORE;

		bad += pt_cli(pt, out, sizeof(out), "user add w%du%d --email w%du%d@example.org --role crew",
			      w, i, w, i) != 0;
		bad += pt_cli(pt, out, sizeof(out), "user edit target --last W%dx%d", w, i) != 0;
		bad += pt_cli(pt, out, sizeof(out), "role %s crew user%02d", i % 2 ? "revoke" : "assign",
			      (w * 7 + i / 2) % BEFORE) != 0;
		bad += pt_cli(pt, out, sizeof(out), "user edit user%02d --first F%dx%d", j, w, i) != 0;
		if (bad)
			fprintf(stderr, "writer %d: %s", w, out);
	}
	atomic_fetch_sub(&sh->writers_left, 1);
	_exit(bad > 254 ? 254 : bad);
}

/* Login process: wrong passwords for target while any writer writes. */
static void logins(struct pt *pt)
{
	for (int i = 0; i < LOGIN_MIN || atomic_load(&sh->writers_left) > 0; i++) {
		if (pt_auth(pt, "login", "target", "not the password") == PAM_AUTH_ERR)
			atomic_fetch_add(&sh->login_failures, 1);
		else
			atomic_fetch_add(&sh->login_other, 1);
	}
	_exit(0);
}

/* libroster's own handle on the world's database. */
static void open_db(struct pt *pt, struct roster_config **cfg, struct roster_db **db)
{
	assert_int_equal(roster_config_load(pt->conf, cfg), 0);
	assert_int_equal(roster_db_open(*cfg, 0, db), 0);
}

static int setup(void **state)
{
	struct pt *pt = pt_new("[lockout]\ndeny = 0\n");
	struct roster_config *cfg = NULL;
	struct roster_db *db = NULL;
	struct roster_role *ro = NULL;

	pt_service(pt, "login", NULL);
	pt_add(pt, "target");
	pt_add_role(pt, "crew", NULL);
	for (unsigned i = 0; i < BEFORE; i++) {
		struct entry *e = &known[nknown++];
		struct roster_user *u;

		snprintf(e->name, sizeof(e->name), "user%02u", i);
		pt_add(pt, e->name);
		u = pt_get(pt, e->name);
		e->id = u->uid;
		e->group = i % 5 == 4; /* every fifth: its private group */
		roster_user_free(u);
	}
	open_db(pt, &cfg, &db);
	assert_int_equal(roster_role_get(db, "crew", &ro), 0);
	known[nknown++] = (struct entry){ "crew", ro->gid, true };
	roster_role_free(ro);
	roster_db_close(db);
	roster_config_free(cfg);
	/* Read at the module's first call. */
	setenv("ROSTER_NSS_DIR", pt->dbdir, 1);
	if (__nss_configure_lookup("passwd", "roster") < 0 || __nss_configure_lookup("group", "roster") < 0)
		return -1;
	*state = pt;
	return 0;
}

static int teardown(void **state)
{
	pt_free(*state);
	return 0;
}

struct ids {
	uint32_t uid[1024], gid[1024];
	size_t nuid, ngid;
};

static int collect_ids(const struct roster_user *u, void *priv)
{
	struct ids *ids = priv;

	if (ids->nuid < 1024)
		ids->uid[ids->nuid++] = u->uid;
	if (u->gid == u->uid && ids->ngid < 1024)
		ids->gid[ids->ngid++] = u->gid;
	return 0;
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

static size_t duplicates(uint32_t *v, size_t n)
{
	size_t d = 0;

	qsort(v, n, sizeof(*v), cmp_u32);
	for (size_t i = 1; i < n; i++)
		d += v[i] == v[i - 1];
	return d;
}

static void problem(const char *what, void *priv)
{
	(void)priv;
	print_message("# db check: %s\n", what);
}

static void everything_at_once(void **state)
{
	struct pt *pt = *state;
	struct reader rd[READERS] = { 0 };
	unsigned long lookups = 0, failures = 0;
	pid_t pids[WRITERS + LOGINS];
	int gate[2], status, bad_writers = 0;
	unsigned long nfailures;
	double start, end;
	struct ids ids = { 0 };
	struct roster_check_report rep;
	struct roster_config *cfg = NULL;
	struct roster_db *db = NULL;
	struct roster_user *u;
	char **roles = NULL;
	unsigned members;

	/* Children first, before any thread exists; all wait at the gate. */
	sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	assert_true(sh != MAP_FAILED);
	atomic_store(&sh->writers_left, WRITERS);
	assert_int_equal(pipe(gate), 0);
	for (int i = 0; i < WRITERS + LOGINS; i++) {
		pids[i] = fork();
		assert_true(pids[i] >= 0);
		if (pids[i] == 0) {
			char c;

			close(gate[1]);
			if (read(gate[0], &c, 1) < 0)
				_exit(255);
			if (i < WRITERS)
				writer(pt, i);
			logins(pt);
		}
	}
	close(gate[0]);
	for (unsigned i = 0; i < READERS; i++) {
		rd[i].seed = i + 1;
		assert_int_equal(pthread_create(&rd[i].thread, NULL, reader, &rd[i]), 0);
	}
	start = pt_now();
	close(gate[1]); /* go */
	for (int i = 0; i < WRITERS + LOGINS; i++) {
		assert_int_equal(waitpid(pids[i], &status, 0), pids[i]);
		assert_true(WIFEXITED(status));
		bad_writers += WEXITSTATUS(status);
	}
	end = pt_now();
	atomic_store(&stop, true);
	for (unsigned i = 0; i < READERS; i++) {
		pthread_join(rd[i].thread, NULL);
		lookups += rd[i].lookups;
		failures += rd[i].failures;
	}

	nfailures = atomic_load(&sh->login_failures);
	print_message("# %.1f s: %d commands by %d writers, %lu failed logins by %d processes, "
		      "%lu lookups by %d threads, %lu failed\n",
		      end - start, WRITERS * WRITER_ROUNDS * 4, WRITERS, nfailures, LOGINS,
		      lookups, READERS, failures);
	for (unsigned i = 0; i < READERS; i++)
		if (rd[i].failures)
			fail_msg("a lookup failed: %s", rd[i].first_failure);
	assert_true(lookups > 1000);
	assert_int_equal(bad_writers, 0);
	assert_int_equal(atomic_load(&sh->login_other), 0);
	assert_true(nfailures >= LOGINS * LOGIN_MIN);
	munmap(sh, sizeof(*sh));

	/* No failed login lost. */
	u = pt_get(pt, "target");
	print_message("# target: %u failures counted, last name %s\n", (unsigned)u->fail_count, u->last);
	assert_int_equal(u->fail_count, nfailures);
	assert_string_not_equal(u->last, "");
	roster_user_free(u);

	/* No id twice: uids, private gids and role gids all distinct. */
	open_db(pt, &cfg, &db);
	assert_int_equal(roster_user_foreach(db, &(struct roster_user_filter){ .status = -1 }, collect_ids, &ids),
			 0);
	assert_int_equal(ids.nuid, 1 + BEFORE + WRITERS * WRITER_ROUNDS);
	assert_int_equal(roster_role_names(db, &roles), 0);
	for (char **r = roles; r && *r; r++) {
		struct roster_role *ro = NULL;

		assert_int_equal(roster_role_get(db, *r, &ro), 0);
		ids.gid[ids.ngid++] = ro->gid;
		ids.uid[ids.nuid++] = ro->gid; /* nor may a role's gid be a uid */
		roster_role_free(ro);
	}
	roster_strv_free(roles);
	assert_int_equal(duplicates(ids.uid, ids.nuid), 0);
	assert_int_equal(duplicates(ids.gid, ids.ngid), 0);

	/* Every assign was revoked again: crew holds the writers' users. */
	assert_int_equal(roster_role_members(db, "crew", &roles), 0);
	members = (unsigned)roster_strv_len(roles);
	roster_strv_free(roles);
	assert_int_equal(members, WRITERS * WRITER_ROUNDS);

	assert_int_equal(roster_db_check(db, false, problem, NULL, &rep), 0);
	assert_int_equal(rep.problems, 0);
	assert_int_equal(rep.users, 1 + BEFORE + WRITERS * WRITER_ROUNDS);
	roster_db_close(db);
	roster_config_free(cfg);
}

int main(int argc, char **argv)
{
	char dir[PATH_MAX];
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(everything_at_once, setup, teardown),
	};

	/* glibc finds libnss_roster.so.2 by name: LD_LIBRARY_PATH must be set
	 * when the process starts, so start again with it. */
	(void)argc;
	if (!getenv("PT_NSS_REEXEC")) {
		if (!realpath("nss_module", dir)) {
			perror("nss_module (run from the top of the tree)");
			return 1;
		}
		setenv("LD_LIBRARY_PATH", dir, 1);
		setenv("PT_NSS_REEXEC", "1", 1);
		execv("/proc/self/exe", argv);
		perror("re-executing");
		return 1;
	}
	return cmocka_run_group_tests(tests, NULL, NULL);
}
