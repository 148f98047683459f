/* test_recovery.c - a writer killed inside its tdb commit leaves a
 * database that tdb_check() passes once the next opener has recovered it
 * (lib/store.c, finish_recovery()).
 *
 * The commit grows the file (64 KiB values under new keys), and a child
 * makes it, killed with SIGKILL at its first sync, then at its second, and
 * so on until one commit gets through: the syncs bound every step of the
 * commit protocol (recovery record written, armed, file grown, blocks
 * written, disarmed; shards, stamp).  After each kill the parent opens the
 * database as any roster command would and checks its structure, and that
 * the transaction is whole or absent.  Before the fix, the kills between
 * arming and disarming left the grown tail behind: "Corrupt database".
 */
#include <dlfcn.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/wait.h>

#include "common.h"

#define BLOBS 4
#define BLOB_SIZE (64 * 1024)

/* ---- kill at the nth sync ---- */

static int armed, syncs, kill_at;

static void maybe_die(void)
{
	if (armed && ++syncs == kill_at)
		raise(SIGKILL);
}

/* These replace libc's for libtdb and lib/ (the program's own symbols come
 * first; "default" undoes -fvisibility=hidden, so that libtdb sees them),
 * and call libc's through RTLD_NEXT. */
#define OURS __attribute__((visibility("default")))

OURS int fsync(int fd)
{
	static int (*real)(int);

	if (!real)
		real = (int (*)(int))dlsym(RTLD_NEXT, "fsync");
	maybe_die();
	return real(fd);
}

OURS int fdatasync(int fd)
{
	static int (*real)(int);

	if (!real)
		real = (int (*)(int))dlsym(RTLD_NEXT, "fdatasync");
	maybe_die();
	return real(fd);
}

OURS int msync(void *addr, size_t len, int flags)
{
	static int (*real)(void *, size_t, int);

	if (!real)
		real = (int (*)(void *, size_t, int))dlsym(RTLD_NEXT, "msync");
	maybe_die();
	return real(addr, len, flags);
}

/* ---- the workload ---- */

static void blob_key(char out[KEY_MAX], int round, int i)
{
	snprintf(out, KEY_MAX, "test/blob/%d/%d", round, i);
}

/* One transaction: BLOBS new values of BLOB_SIZE bytes, more than the
 * file has free, so the commit grows it. */
static void write_blobs(struct fx *fx, int round)
{
	char key[KEY_MAX];
	char *v = malloc(BLOB_SIZE);

	assert_non_null(v);
	memset(v, 'a' + round % 26, BLOB_SIZE);
	txn_begin(fx);
	for (int i = 0; i < BLOBS; i++) {
		blob_key(key, round, i);
		assert_int_equal(db_store(fx->db, key, v, BLOB_SIZE), 0);
	}
	free(v);
	armed = 1;
	txn_commit(fx);
	armed = 0;
}

/* How many of the round's values the database holds, each checked whole. */
static int blobs_present(struct fx *fx, int round)
{
	char key[KEY_MAX];
	int n = 0;
	TDB_DATA d;

	for (int i = 0; i < BLOBS; i++) {
		blob_key(key, round, i);
		if (db_fetch(fx->db, key, &d) < 0)
			continue;
		assert_int_equal(d.dsize, BLOB_SIZE);
		for (size_t j = 0; j < d.dsize; j++)
			if (d.dptr[j] != 'a' + round % 26)
				fail_msg("round %d: value %d is damaged at byte %zu", round, i, j);
		free(d.dptr);
		n++;
	}
	return n;
}

static void test_killed_commit_recovers_whole(void **state)
{
	struct fx *fx = *state;
	int round, status, kills = 0;
	pid_t pid;

	fx_close(fx);
	for (round = 1; round < 100; round++) {
		pid = fork();
		assert_true(pid >= 0);
		if (pid == 0) {
			fx_open(fx, 0);
			kill_at = round;
			write_blobs(fx, round);
			_exit(0);
		}
		assert_int_equal(waitpid(pid, &status, 0), pid);

		/* The next command opens it: tdb recovers what the kill left. */
		fx_open(fx, 0);
		if (tdb_check(fx->db->tdb, NULL, NULL) != 0)
			fail_msg("killed at sync %d of the commit: tdb_check: %s", round,
				 tdb_errorstr(fx->db->tdb));
		int n = blobs_present(fx, round);
		if (n != 0 && n != BLOBS)
			fail_msg("killed at sync %d: %d of %d values committed", round, n, BLOBS);
		fx_close(fx);
		if (WIFEXITED(status)) {
			assert_int_equal(WEXITSTATUS(status), 0);
			assert_int_equal(n, BLOBS);
			break;
		}
		assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
		kills++;
	}
	/* The commit protocol has more syncs than these, and one commit got
	 * through. */
	if (kills < 4)
		fail_msg("only %d syncs in the commit: are fsync, fdatasync and msync ours?", kills);
	assert_true(round < 100);
	fx_open(fx, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_killed_commit_recovers_whole, fx_setup, fx_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
