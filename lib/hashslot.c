/* hashslot.c - at most [passwords] max_concurrent argon2id computations at
 * once on the machine, whichever processes run them.
 *
 * An argon2id computation holds memlimit bytes while it runs: 64 MiB at the
 * interactive cost, 1 GiB at the sensitive one.  sshd forks a process per
 * connection, so fifty wrong passwords at once would want 3.2 GiB, and a
 * bound inside one process would see only one of them.  The slots are
 * therefore bytes 0 .. max_concurrent-1 of <dbdir>/verify.lock, each held
 * with an open file description lock (F_OFD_SETLK) on a descriptor opened
 * for that one computation.  The kernel drops the lock when the descriptor
 * is closed, so a process killed in the middle of a hash (SIGKILL, the OOM
 * killer, sshd's LoginGraceTime) frees its slot, and two threads of one
 * process hold two slots, not one.
 *
 * A caller tries every slot without blocking, starting at a random one;
 * when all are taken it sleeps 1-10 ms (random, so that waiters do not
 * wake in step) and tries again, until max_wait seconds have passed: then
 * -ETIMEDOUT, and nothing was computed.  fcntl() cannot block with a
 * timeout, and a library must not take SIGALRM from its caller.  Waiters
 * are not served in order; max_wait bounds how long any of them waits.
 *
 * MUST rules:
 *  1. No argon2id computation without a slot: password.c takes one around
 *     crypto_pwhash_str_alg() and crypto_pwhash_str_verify(), the only
 *     calls into argon2id in roster.
 *  2. The directory and the file are opened O_NOFOLLOW|O_CLOEXEC, and
 *     refused unless both are root's and only root may write them (the
 *     file: only root may open it).  Whoever can lock the slots can stop
 *     every login.
 *  3. The wait is bounded; a failure to take a slot is an error, never a
 *     computation without one.
 */
#include "internal.h"

#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define SLOT_FILE "verify.lock"

/* <dbdir>/verify.lock, created 0600 when missing (rule 2). */
static int slots_open(const struct roster_config *cfg)
{
	struct stat st;
	int dfd, fd = -1, r = 0;

	dfd = open(cfg->dbdir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (dfd < 0)
		return -errno;
	if (fstat(dfd, &st) < 0)
		r = -errno;
	else if (st.st_uid != 0 || (st.st_mode & 022))
		r = -EPERM;
	if (r == 0 && (fd = openat(dfd, SLOT_FILE, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY,
				   0600)) < 0)
		r = -errno;
	if (r == 0 && fstat(fd, &st) < 0)
		r = -errno;
	else if (r == 0 && (!S_ISREG(st.st_mode) || st.st_uid != 0 || (st.st_mode & 077)))
		r = -EPERM;
	close(dfd);
	if (r < 0) {
		if (fd >= 0)
			close(fd);
		return r;
	}
	return fd;
}

/* 0 when slot i is now ours, -EAGAIN when another description holds it. */
static int slot_lock(int fd, unsigned i)
{
	struct flock fl = {
		.l_type = F_WRLCK,
		.l_whence = SEEK_SET,
		.l_start = (off_t)i,
		.l_len = 1,
		.l_pid = 0, /* F_OFD_* require it */
	};

	if (fcntl(fd, F_OFD_SETLK, &fl) == 0)
		return 0;
	return errno == EAGAIN || errno == EACCES ? -EAGAIN : -errno;
}

static double monotonic(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int hashslot_take(const struct roster_config *cfg)
{
	unsigned n = cfg->max_concurrent ? cfg->max_concurrent : 1;
	double deadline = monotonic() + cfg->max_wait;
	int fd, r;

	if (sodium_init() < 0)
		return -EIO;
	fd = slots_open(cfg);
	if (fd < 0)
		return fd;
	for (;;) {
		unsigned first = randombytes_uniform(n);
		struct timespec nap = { 0, 0 };

		for (unsigned k = 0; k < n; k++) {
			r = slot_lock(fd, (first + k) % n);
			if (r == 0)
				return fd;
			if (r != -EAGAIN)
				goto fail;
		}
		if (monotonic() >= deadline) {
			r = -ETIMEDOUT;
			goto fail;
		}
		nap.tv_nsec = (long)(1000000 + randombytes_uniform(9000000));
		nanosleep(&nap, NULL);
	}
fail:
	close(fd);
	return r;
}

void hashslot_give(int fd)
{
	int e = errno;

	if (fd >= 0)
		close(fd); /* drops the lock */
	errno = e;
}
