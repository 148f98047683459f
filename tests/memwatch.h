/* memwatch.h - how many child processes are in the middle of an argon2id
 * computation at once, and how much memory they hold, seen from outside
 * through /proc.  Shared by tests/lib/test_hashslot.c and
 * tests/pam/test_pam_load.c; header-only, everything static.
 *
 * libsodium maps an argon2id computation's memlimit bytes with mmap,
 * touches them as it fills them and unmaps them before it returns, so a
 * process that is computing holds them as resident memory and one waiting
 * for a slot does not.  The parent reads /proc/PID/statm of every child
 * over and over until all have exited: a child more than half of memlimit
 * above its own resident size at the start is counted as computing.  A
 * scan that took longer than MW_SCAN_MAX is not counted: within it one
 * child could finish and the next start, and be seen as two; a computation
 * needs longer than that to fill half its memory (about 10 ms for 16 MiB
 * here).
 *
 * mw_race() forks the children, holds them at a gate until their resting
 * size is read, and watches them from the moment it lets them go until the
 * last has exited.
 */
#ifndef ROSTER_TESTS_MEMWATCH_H
#define ROSTER_TESTS_MEMWATCH_H

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MW_MAX 64
#define MW_SCAN_MAX 0.003 /* seconds */

struct memwatch {
	int n;
	pid_t pid[MW_MAX];
	int fd[MW_MAX];       /* /proc/PID/statm; -1 once the child is reaped */
	int status[MW_MAX];   /* from waitpid() */
	long base[MW_MAX];    /* resident pages at mw_start() */
	long page;            /* bytes */
	long big;             /* pages above base: computing */
	int peak;             /* the most children computing in one scan */
	double peak_extra;    /* the most bytes above base, summed, in one scan */
	double peak_total;    /* the most resident bytes, summed, in one scan */
	unsigned scans, skipped;
	double started, took; /* seconds: mw_run()'s start and duration */
};

static inline double mw_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Resident pages of the process behind fd, 0 when it is gone. */
static inline long mw_resident(int fd)
{
	char buf[128];
	long size, rss;
	ssize_t k = fd >= 0 ? pread(fd, buf, sizeof(buf) - 1, 0) : -1;

	if (k <= 0)
		return 0;
	buf[k] = '\0';
	return sscanf(buf, "%ld %ld", &size, &rss) == 2 ? rss : 0;
}

/* Returns 0, or -errno when a child's statm cannot be opened. */
static inline int mw_start(struct memwatch *mw, const pid_t *pid, int n, size_t memlimit)
{
	char path[64];

	if (n > MW_MAX)
		return -E2BIG;
	*mw = (struct memwatch){ .n = n, .page = sysconf(_SC_PAGESIZE) };
	mw->big = (long)(memlimit / 2) / mw->page;
	for (int i = 0; i < n; i++) {
		mw->pid[i] = pid[i];
		snprintf(path, sizeof(path), "/proc/%d/statm", (int)pid[i]);
		mw->fd[i] = open(path, O_RDONLY | O_CLOEXEC);
		if (mw->fd[i] < 0)
			return -errno;
		mw->base[i] = mw_resident(mw->fd[i]);
	}
	return 0;
}

static inline void mw_scan(struct memwatch *mw)
{
	double t = mw_now(), extra = 0, total = 0;
	int busy = 0;

	for (int i = 0; i < mw->n; i++) {
		long rss = mw_resident(mw->fd[i]);

		if (rss == 0)
			continue;
		total += (double)rss * (double)mw->page;
		if (rss > mw->base[i])
			extra += (double)(rss - mw->base[i]) * (double)mw->page;
		busy += rss - mw->base[i] > mw->big;
	}
	if (mw_now() - t > MW_SCAN_MAX) {
		mw->skipped++;
		return;
	}
	mw->scans++;
	if (busy > mw->peak)
		mw->peak = busy;
	if (extra > mw->peak_extra)
		mw->peak_extra = extra;
	if (total > mw->peak_total)
		mw->peak_total = total;
}

/* Scans until every child has exited, reaping them into mw->status. */
static inline void mw_run(struct memwatch *mw)
{
	struct timespec nap = { 0, 500000 };
	int left = mw->n;

	mw->started = mw_now();
	while (left > 0) {
		mw_scan(mw);
		for (int i = 0; i < mw->n; i++) {
			if (mw->fd[i] < 0 || waitpid(mw->pid[i], &mw->status[i], WNOHANG) != mw->pid[i])
				continue;
			close(mw->fd[i]);
			mw->fd[i] = -1;
			left--;
		}
		nanosleep(&nap, NULL);
	}
	mw->took = mw_now() - mw->started;
}

/* n children, released at once, child i exits with fn(i, priv).  0, or
 * -errno when a child could not be forked or watched (those forked are
 * still let go and waited for). */
static inline int mw_race(struct memwatch *mw, int n, size_t memlimit, int (*fn)(int i, void *priv), void *priv)
{
	pid_t pid[MW_MAX];
	int gate[2], r = 0;

	if (n > MW_MAX)
		return -E2BIG;
	if (pipe2(gate, O_CLOEXEC) < 0)
		return -errno;
	for (int i = 0; i < n; i++) {
		pid[i] = fork();
		if (pid[i] < 0) {
			r = -errno;
			n = i;
			break;
		}
		if (pid[i] == 0) {
			char c;

			close(gate[1]);
			if (read(gate[0], &c, 1) < 0)
				_exit(125);
			_exit(fn(i, priv));
		}
	}
	close(gate[0]);
	r = r ?: mw_start(mw, pid, n, memlimit);
	close(gate[1]); /* go: read() returns 0 */
	if (r < 0) {
		for (int i = 0; i < n; i++)
			waitpid(pid[i], NULL, 0);
		return r;
	}
	mw_run(mw);
	return 0;
}

#endif
