/* test_hashslot.c - at most [passwords] max_concurrent argon2id
 * computations run at once, across processes (lib/hashslot.c): the bound
 * holds, nobody is starved of an answer, the wait ends, a killed holder
 * frees its slot, and the slot file is root's alone.
 *
 * Concurrency is seen from outside (tests/memwatch.h): a process in the
 * middle of a computation holds memlimit bytes of resident memory, one
 * waiting for a slot does not. */
#include "common.h"
#include "../memwatch.h"

#include <signal.h>
#include <sys/mman.h>
#include <sys/wait.h>

#define MIB (1024 * 1024)
#define WATCH_MEMLIMIT (32 * MIB)

/* A new roster.conf; the database handle goes with the old config. */
static void reload(struct fx *fx, const char *extra)
{
	fx_close(fx);
	roster_config_free(fx->cfg);
	fx->cfg = NULL;
	fx_write_conf(fx, extra);
	assert_int_equal(roster_config_load(fx->conf, &fx->cfg), 0);
}

static void load_fails(struct fx *fx, const char *extra, const char *key)
{
	struct roster_config *c = NULL;

	fx_write_conf(fx, extra);
	assert_int_equal(roster_config_load(fx->conf, &c), -EINVAL);
	assert_null(c);
	if (!strstr(roster_config_error(), key))
		fail_msg("'%s': the error does not name %s: %s", extra, key, roster_config_error());
}

static void config_keys(void **state)
{
	struct fx *fx = *state;

	assert_int_equal(fx->cfg->max_concurrent, 4);
	assert_int_equal(fx->cfg->max_wait, 30);
	reload(fx, "[passwords]\nmax_concurrent = 1\nmax_wait = 1\n");
	assert_int_equal(fx->cfg->max_concurrent, 1);
	assert_int_equal(fx->cfg->max_wait, 1);
	reload(fx, "[passwords]\nmax_concurrent = 256\nmax_wait = 1h\n");
	assert_int_equal(fx->cfg->max_concurrent, 256);
	assert_int_equal(fx->cfg->max_wait, 3600);
	load_fails(fx, "[passwords]\nmax_concurrent = 0\n", "max_concurrent");
	load_fails(fx, "[passwords]\nmax_concurrent = 257\n", "max_concurrent");
	load_fails(fx, "[passwords]\nmax_concurrent = -1\n", "max_concurrent");
	load_fails(fx, "[passwords]\nmax_concurrent = four\n", "max_concurrent");
	load_fails(fx, "[passwords]\nmax_wait = 0\n", "max_wait");
	load_fails(fx, "[passwords]\nmax_wait = 3601\n", "max_wait");
	load_fails(fx, "[passwords]\nmax_wait = soon\n", "max_wait");
}

struct verifier {
	const struct roster_config *cfg;
	char hash[ROSTER_HASH_MAX];
};

static int verify_wrong(int i, void *priv)
{
	struct verifier *v = priv;

	(void)i;
	return roster_password_verify(v->cfg, v->hash, "a wrong one") == -EACCES ? 0 : 1;
}

/* n processes verify a wrong password against one hash at the same moment;
 * returns what the watcher saw.  Every one must get its answer. */
static struct memwatch verify_at_once(struct fx *fx, int n)
{
	struct verifier v = { .cfg = fx->cfg };
	struct memwatch mw;

	assert_int_equal(roster_password_hash(fx->cfg, "the right one", v.hash), 0);
	assert_int_equal(mw_race(&mw, n, fx->cfg->memlimit, verify_wrong, &v), 0);
	for (int i = 0; i < n; i++)
		if (!WIFEXITED(mw.status[i]) || WEXITSTATUS(mw.status[i]) != 0)
			fail_msg("verifier %d: status %#x", i, mw.status[i]);
	print_message("# %d verifications at %d MiB, max_concurrent = %u: %.2f s, at most %d computing at once, "
		      "%.0f MiB above the processes' own at most (%u scans, %u too slow to count)\n",
		      n, WATCH_MEMLIMIT / MIB, fx->cfg->max_concurrent, mw.took, mw.peak, mw.peak_extra / MIB,
		      mw.scans, mw.skipped);
	return mw;
}

/* Eight processes, two slots: never more than two at once, and all eight
 * answered.  The same eight with eight slots show the watcher can see more
 * than two: the first answer is the bound's doing. */
static void bound_holds_across_processes(void **state)
{
	struct fx *fx = *state;
	struct memwatch mw;

	reload(fx, "[passwords]\nopslimit = 2\nmemlimit = 33554432\nmax_concurrent = 2\n");
	mw = verify_at_once(fx, 8);
	assert_true(mw.scans > 0);
	assert_true(mw.peak >= 1);
	assert_true(mw.peak <= 2);
	assert_true(mw.peak_extra < 3.0 * WATCH_MEMLIMIT);

	reload(fx, "[passwords]\nopslimit = 2\nmemlimit = 33554432\nmax_concurrent = 8\n");
	mw = verify_at_once(fx, 8);
	assert_true(mw.peak > 2);
}

/* While every slot is held, each kind of computation gives up after
 * max_wait with -ETIMEDOUT, computing nothing; then it runs at once. */
static void wait_ends_with_etimedout(void **state)
{
	struct fx *fx = *state;
	char hash[ROSTER_HASH_MAX], apihash[ROSTER_HASH_MAX], out[ROSTER_HASH_MAX], code[ROSTER_INVITE_CODE_MAX];
	struct roster_user u = { .status = ROSTER_INVITED, .invite_expires = INT64_MAX };
	struct roster_api api = { .label = (char *)"ci", .expires = ROSTER_NO_DATE };
	struct roster_api *apis[] = { &api, NULL };
	const struct roster_api *match = NULL;
	int held;
	double t;

	reload(fx, "[passwords]\nmax_concurrent = 1\nmax_wait = 1\n");
	assert_int_equal(roster_password_hash(fx->cfg, "the right one", hash), 0);
	assert_int_equal(roster_password_hash(fx->cfg, "ci.the right one", apihash), 0);
	assert_int_equal(roster_invite_code_new(fx->cfg, code, out), 0);
	u.invite_hash = out;
	api.hash = apihash;

	held = hashslot_take(fx->cfg);
	assert_true(held >= 0);
	assert_true(fcntl(held, F_GETFD) & FD_CLOEXEC);
	for (int k = 0; k < 5; k++) {
		char fresh[ROSTER_HASH_MAX];
		int r = 0;

		t = mw_now();
		switch (k) {
		case 0: r = roster_password_verify(fx->cfg, hash, "the right one"); break;
		case 1: r = roster_password_hash(fx->cfg, "a new one", fresh); break;
		case 2: r = roster_auth_verify_dummy(fx->cfg, "anything"); break;
		case 3: r = roster_invite_verify(fx->cfg, &u, code, 0); break;
		case 4: r = roster_api_check(fx->cfg, apis, "webapi", "ci.the right one", 0, &match); break;
		}
		t = mw_now() - t;
		print_message("# computation %d with the only slot held: %s after %.2f s\n", k,
			      roster_password_strerror(r), t);
		assert_int_equal(r, -ETIMEDOUT);
		assert_true(t >= 0.99 && t < 3.0);
	}
	assert_non_null(strstr(roster_password_strerror(-ETIMEDOUT), "max_wait"));
	hashslot_give(held);

	t = mw_now();
	assert_int_equal(roster_password_verify(fx->cfg, hash, "the right one"), 0);
	assert_int_equal(roster_invite_verify(fx->cfg, &u, code, 0), 0);
	assert_int_equal(roster_api_check(fx->cfg, apis, "webapi", "ci.the right one", 0, &match), 0);
	assert_true(mw_now() - t < 0.9);
}

/* A process killed while it holds a slot (the OOM killer, sshd's
 * LoginGraceTime) leaves no slot taken behind it. */
static void killed_holder_frees_its_slot(void **state)
{
	struct fx *fx = *state;
	char hash[ROSTER_HASH_MAX], c;
	int ready[2], status, r;
	pid_t pid;
	double t;

	reload(fx, "[passwords]\nmax_concurrent = 1\nmax_wait = 1\n");
	assert_int_equal(roster_password_hash(fx->cfg, "the right one", hash), 0);
	assert_int_equal(pipe(ready), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		if (hashslot_take(fx->cfg) < 0 || write(ready[1], "x", 1) != 1)
			_exit(1);
		for (;;)
			pause();
	}
	close(ready[1]);
	r = read(ready[0], &c, 1) == 1 ? roster_password_verify(fx->cfg, hash, "the right one") : -EIO;
	close(ready[0]);
	/* Killed before anything is asserted: a failure must not leave it. */
	assert_int_equal(kill(pid, SIGKILL), 0);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFSIGNALED(status));
	assert_int_equal(r, -ETIMEDOUT); /* it held the only slot */
	t = mw_now();
	assert_int_equal(roster_password_verify(fx->cfg, hash, "the right one"), 0);
	assert_true(mw_now() - t < 0.5);
}

static int count_fds(void)
{
	char path[64];
	int n = 0;

	for (int fd = 0; fd < 1024; fd++) {
		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
		n += access(path, F_OK) == 0;
	}
	return n;
}

/* The slots live in <dbdir>/verify.lock, 0600 and root's; anything else
 * there (a symlink, a file others may open) is refused, and so is a
 * missing directory: no computation runs without a slot. */
static void slot_file_is_root_only(void **state)
{
	struct fx *fx = *state;
	char hash[ROSTER_HASH_MAX], path[PATH_MAX], target[PATH_MAX];
	struct stat st;
	int fds;

	assert_int_equal(roster_password_hash(fx->cfg, "the right one", hash), 0);
	snprintf(path, sizeof(path), "%s/verify.lock", fx->dbdir);
	assert_int_equal(lstat(path, &st), 0);
	assert_true(S_ISREG(st.st_mode));
	assert_int_equal(st.st_mode & 07777, 0600);
	assert_int_equal(st.st_uid, 0);

	fds = count_fds();
	for (int i = 0; i < 20; i++)
		assert_int_equal(roster_password_verify(fx->cfg, hash, "wrong"), -EACCES);
	assert_int_equal(count_fds(), fds);

	assert_int_equal(chmod(path, 0644), 0);
	assert_int_equal(roster_password_verify(fx->cfg, hash, "the right one"), -EPERM);
	assert_int_equal(roster_password_hash(fx->cfg, "the right one", hash), -EPERM);
	assert_int_equal(unlink(path), 0);
	fx_path(fx, target, sizeof(target), "elsewhere");
	assert_int_equal(symlink(target, path), 0);
	assert_int_equal(roster_password_verify(fx->cfg, hash, "the right one"), -ELOOP);
	assert_int_equal(access(target, F_OK), -1); /* not created through the link */
	assert_int_equal(unlink(path), 0);
	assert_int_equal(chmod(fx->dbdir, 0777), 0);
	assert_int_equal(roster_password_verify(fx->cfg, hash, "the right one"), -EPERM);
	assert_int_equal(chmod(fx->dbdir, 0755), 0);
	assert_int_equal(roster_password_verify(fx->cfg, hash, "the right one"), 0);
	assert_int_equal(count_fds(), fds);

	reload(fx, "[database]\ndir = /nonexistent/roster\n");
	assert_int_equal(roster_password_verify(fx->cfg, hash, "the right one"), -ENOENT);
	assert_int_equal(roster_auth_verify_dummy(fx->cfg, "anything"), -ENOENT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(config_keys, fx_setup_config_only, fx_teardown),
		cmocka_unit_test_setup_teardown(bound_holds_across_processes, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(wait_ends_with_etimedout, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(killed_holder_frees_its_slot, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(slot_file_is_root_only, fx_setup, fx_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
