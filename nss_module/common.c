/* common.c - the shard cache, the enumeration cursors and the edge to NSS.
 *
 * MUST rules (this code runs inside every process on the machine,
 * setuid ones and multi-threaded ones included):
 *  1. Print nothing, allocate nothing (initgroups_dyn only grows the
 *     caller's array, as the interface requires), hold no file descriptor:
 *     shards are mapped by view_map_open(), which closes its fd at once.
 *  2. A value is read only while its shard's lock is held: a writer may
 *     replace the file at any moment, and a remap by another thread
 *     unmaps the old one.
 *  3. Every lookup first asks view_map_current() whether the file is
 *     still the one mapped, so a committed change is seen at once,
 *     without a restart and without a cache timeout.
 *  4. fork() never leaves a lock held in the child: pthread_atfork()
 *     takes every lock before the fork and releases it on both sides.
 *     Lock order: the stamp, the cursors, then the shard locks in index
 *     order; no path takes the stamp's lock while holding another, nor
 *     two shard locks.  The 1,024 shards share SHARD_LOCKS locks (shard n takes
 *     lock n % SHARD_LOCKS), so a fork takes 259 uncontended locks: a
 *     few microseconds.
 *  5. The module never re-enters itself (a thread-local guard).  The
 *     guard is initial-exec TLS: the general-dynamic model would have
 *     glibc malloc the thread's block on the first call (rule 1).
 *  6. ROSTER_NSS_DIR is read with secure_getenv(): a setuid program
 *     always reads LOCALSTATEDIR/lib/roster.
 *  7. No destructor unmaps the cache: at exit() other threads may still be
 *     inside a lookup.  The mappings go with the process.
 *  8. The lstat(2) of rule 3 is skipped while view/generation is unchanged.
 *     So is the open(2) of a shard found missing, which is an empty shard
 *     when the stamp is there and of this view version (view.h).
 *     roster rewrites that stamp in place after every rename, with a new
 *     value each time; a shard remembers the stamp it read BEFORE the lstat
 *     that last validated it, so an unchanged stamp proves no roster write
 *     replaced it since.  Once a second (CLOCK_MONOTONIC_COARSE) an epoch
 *     in the comparison forces every shard to be checked again and the
 *     stamp file itself is re-examined: files swapped behind roster's back
 *     are seen within a second.
 *  9. No thread is cancelled inside the module: open(2) and close(2) are
 *     cancellation points, and glibc lets getpwnam_r() be cancelled, so a
 *     thread cancelled there would leave its lock held and every later
 *     lookup, and fork(), would wait forever.  nss_enter() disables
 *     cancellation and nss_leave() restores it; a pending cancel acts at
 *     the caller's next cancellation point.
 * 10. A walk lists the view directory once (cursor_list: getdents64 into
 *     a buffer on the stack, its fd closed at once) and opens only the
 *     shards listed; the rest are taken as missing, with rule 8's check.
 *     The listing is not atomic against renames, so it is trusted only
 *     when the directory's mtime did not move during it and had not moved
 *     for two whole seconds before, on a local file system; else every
 *     shard is tried.
 */
#include "common.h"

#include "roster.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>

#ifndef LOCALSTATEDIR
#define LOCALSTATEDIR "/var"
#endif
#define DEFAULT_DBDIR LOCALSTATEDIR "/lib/roster"
#define SHARD_PATH_MAX 4096

_Static_assert(ROSTER_NAME_MAX + 1 < VIEW_KEY_MAX, "a name must fit a view key unshortened");
_Static_assert(VIEW_SHARDS <= 10000, "shard numbers are four digits");
#define SHARD_LOCKS 256

/* The stamp as a lookup sees it: the file's bytes and the epoch. */
struct seen {
	unsigned char text[VIEW_STAMP_LEN];
	unsigned epoch;
	bool valid; /* false: no stamp to trust, always lstat */
};

struct shard_cache {
	struct view_map map; /* base == NULL: not mapped */
	struct seen seen;    /* the stamp read before map was last validated,
			      * or before the shard was found missing */
	bool absent;         /* missing, so empty, as of seen */
};

struct cursor {
	pthread_mutex_t lock;
	unsigned shard;      /* the shard being walked, VIEW_SHARDS at the end */
	uint32_t pos;        /* the next slot in it */
	bool view_ok;        /* the stamp was found, so missing shards are empty */
	bool listed;         /* files holds the view directory's listing */
	uint64_t files[VIEW_SHARDS / 64]; /* bit n: shard.NNNN was there */
	struct view_map map; /* our own mapping of it: a replacement mid-walk
			      * does not tear what we hand out */
};

static struct shard_cache shards[VIEW_SHARDS];
static pthread_mutex_t shard_locks[SHARD_LOCKS] = {
	[0 ... SHARD_LOCKS - 1] = PTHREAD_MUTEX_INITIALIZER,
};
static struct cursor cursors[NSS_DB_COUNT] = {
	[0 ... NSS_DB_COUNT - 1] = { .lock = PTHREAD_MUTEX_INITIALIZER },
};

static pthread_once_t once = PTHREAD_ONCE_INIT;
static int init_error;                  /* -errno, set once */
static char view_dir[SHARD_PATH_MAX];   /* "<dbdir>/view" */
static char shard_prefix[SHARD_PATH_MAX]; /* "<dbdir>/view/shard." */
static size_t shard_prefix_len;
static char stamp_path[SHARD_PATH_MAX];   /* "<dbdir>/view/generation" */

/* The mapped stamp.  Replaced only when the file itself is replaced; the
 * old mapping is then left in place (a page), since a lookup in another
 * thread may be reading it. */
static pthread_mutex_t stamp_lock = PTHREAD_MUTEX_INITIALIZER;
static const unsigned char *_Atomic stamp_base;
static dev_t stamp_dev;
static ino_t stamp_ino;
static _Atomic long stamp_second = -1; /* when the stamp was last examined */
static _Atomic unsigned stamp_epoch;

static __thread bool busy __attribute__((tls_model("initial-exec")));
static __thread int cancel_state __attribute__((tls_model("initial-exec")));

/* ---- fork safety ---- */

static void fork_prepare(void)
{
	pthread_mutex_lock(&stamp_lock);
	for (unsigned i = 0; i < NSS_DB_COUNT; i++)
		pthread_mutex_lock(&cursors[i].lock);
	for (unsigned i = 0; i < SHARD_LOCKS; i++)
		pthread_mutex_lock(&shard_locks[i]);
}

static void fork_release(void)
{
	for (unsigned i = SHARD_LOCKS; i-- > 0;)
		pthread_mutex_unlock(&shard_locks[i]);
	for (unsigned i = NSS_DB_COUNT; i-- > 0;)
		pthread_mutex_unlock(&cursors[i].lock);
	pthread_mutex_unlock(&stamp_lock);
}

/* ---- set-up, once per process ---- */

static void init(void)
{
	const char *dir = secure_getenv("ROSTER_NSS_DIR");
	int n;

	if (!dir || !*dir)
		dir = DEFAULT_DBDIR;
	n = snprintf(view_dir, sizeof(view_dir), "%s/" VIEW_DIR, dir);
	if (n < 0 || (size_t)n + sizeof("/shard.NNNN") > sizeof(view_dir)) {
		init_error = -ENAMETOOLONG;
		return;
	}
	shard_prefix_len = (size_t)snprintf(shard_prefix, sizeof(shard_prefix), "%s/shard.", view_dir);
	snprintf(stamp_path, sizeof(stamp_path), "%s/" VIEW_STAMP, view_dir);
	/* Registered before any lock is ever taken, and unregistered by glibc
	 * if the module is unloaded. */
	init_error = -pthread_atfork(fork_prepare, fork_release, fork_release);
}

static int init_once(void)
{
	pthread_once(&once, init);
	return init_error;
}

/* "<dbdir>/view/shard.NNNN", the name view_shard_path() gives. */
static void shard_path(char out[SHARD_PATH_MAX], unsigned no)
{
	memcpy(out, shard_prefix, shard_prefix_len);
	out[shard_prefix_len] = (char)('0' + no / 1000);
	out[shard_prefix_len + 1] = (char)('0' + no / 100 % 10);
	out[shard_prefix_len + 2] = (char)('0' + no / 10 % 10);
	out[shard_prefix_len + 3] = (char)('0' + no % 10);
	out[shard_prefix_len + 4] = '\0';
}

/* Maps shard no and checks it claims to be that shard. */
static int map_shard(unsigned no, struct view_map *m)
{
	char path[SHARD_PATH_MAX];
	struct view_header h;
	int r;

	shard_path(path, no);
	r = view_map_open(path, m);
	if (r < 0)
		return r;
	memcpy(&h, m->base, sizeof(h));
	if (h.shard != no) {
		view_map_close(m);
		return -EBADMSG;
	}
	return 0;
}

/* ---- the stamp ---- */

/* Maps the stamp file, or forgets it when it is gone.  stamp_lock held. */
static void stamp_examine(void)
{
	const unsigned char *cur = atomic_load(&stamp_base);
	struct stat st;
	void *p;
	int fd;

	if (lstat(stamp_path, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size < VIEW_STAMP_LEN) {
		atomic_store(&stamp_base, NULL);
		return;
	}
	if (cur && st.st_ino == stamp_ino && st.st_dev == stamp_dev)
		return;
	fd = open(stamp_path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY);
	if (fd < 0) {
		atomic_store(&stamp_base, NULL);
		return;
	}
	p = mmap(NULL, VIEW_STAMP_LEN, PROT_READ, MAP_SHARED, fd, 0);
	close(fd);
	if (p == MAP_FAILED) {
		atomic_store(&stamp_base, NULL);
		return;
	}
	stamp_dev = st.st_dev;
	stamp_ino = st.st_ino;
	atomic_store(&stamp_base, p);
}

/* What the stamp says now.  Read before a shard is validated (rule 8). */
static void stamp_read(struct seen *out)
{
	const unsigned char *b;
	struct timespec ts;
	long now;

	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	now = (long)ts.tv_sec;
	if (atomic_load_explicit(&stamp_second, memory_order_relaxed) != now) {
		pthread_mutex_lock(&stamp_lock);
		if (atomic_load(&stamp_second) != now) {
			stamp_examine();
			atomic_fetch_add(&stamp_epoch, 1);
			atomic_store(&stamp_second, now);
		}
		pthread_mutex_unlock(&stamp_lock);
	}
	b = atomic_load_explicit(&stamp_base, memory_order_acquire);
	out->valid = b != NULL;
	if (b)
		memcpy(out->text, b, VIEW_STAMP_LEN);
	out->epoch = atomic_load(&stamp_epoch);
}

static bool seen_same(const struct seen *a, const struct seen *b)
{
	return a->valid && b->valid && a->epoch == b->epoch &&
	       memcmp(a->text, b->text, VIEW_STAMP_LEN) == 0;
}

/* Whether a missing shard is an empty one: the stamp is there, and of the
 * view version this module reads.  Else the view is missing or from
 * another roster, and unavailable. */
static bool view_present(const struct seen *now)
{
	return now->valid && view_stamp_version_ok(now->text);
}

/* The stamp as seen may be up to a second old: a shard found missing is
 * only taken for an empty one while the stamp file is still there, so a
 * view moved away reads as unavailable at the next miss that is not
 * remembered.  A remembered one, like a mapped shard, is trusted until
 * the stamp changes or the second is up (rule 8). */
static bool stamp_exists(void)
{
	struct stat st;

	return lstat(stamp_path, &st) == 0 && S_ISREG(st.st_mode);
}

/* Makes s->map the file the shard's name points at now.  s is locked;
 * now is the stamp as read before the lock was taken.  0, or
 * NSS_ROSTER_ABSENT for an empty shard (no file), or -errno. */
static int refresh(struct shard_cache *s, unsigned no, const struct seen *now)
{
	char path[SHARD_PATH_MAX];
	int r = 0;

	if ((s->map.base || s->absent) && seen_same(&s->seen, now))
		return s->absent ? NSS_ROSTER_ABSENT : 0;
	s->seen = *now;
	s->absent = false;
	if (s->map.base) {
		shard_path(path, no);
		r = view_map_current(path, &s->map);
		if (r > 0)
			return 0;
		/* Replaced or gone: never answer from the old file. */
		view_map_close(&s->map);
	}
	if (r == 0)
		r = map_shard(no, &s->map);
	if (r == -ENOENT && view_present(now) && stamp_exists()) {
		s->absent = true;
		r = NSS_ROSTER_ABSENT;
	}
	return r;
}

/* ---- lookups ---- */

int nss_view_lookup(const char *key, size_t klen, nss_value_fn fn, void *priv)
{
	unsigned no = view_shard_of(view_hash(key + 1, klen - 1));
	struct shard_cache *s = &shards[no];
	pthread_mutex_t *lock = &shard_locks[no % SHARD_LOCKS];
	const unsigned char *val;
	struct seen now;
	uint32_t vlen;
	int r = init_once();

	if (r < 0)
		return r;
	stamp_read(&now);
	pthread_mutex_lock(lock);
	r = refresh(s, no, &now);
	if (r == 0) {
		r = view_map_find(&s->map, key, klen, &val, &vlen);
		if (r == 0)
			r = fn(val, vlen, priv);
		else if (r == -ENOENT)
			r = NSS_ROSTER_ABSENT;
	}
	pthread_mutex_unlock(lock);
	return r;
}

/* ---- enumeration ---- */

static void cursor_rewind(struct cursor *c)
{
	view_map_close(&c->map);
	c->shard = 0;
	c->pos = 0;
	c->view_ok = false;
	c->listed = false;
}

/* Whether the file system stamps the view directory with its own clock
 * and shows that stamp at once: not a network or FUSE one, whose
 * attributes may come from a cache or another machine's clock. */
static bool local_times(int fd)
{
	struct statfs f;

	if (fstatfs(fd, &f) < 0)
		return false;
	switch ((unsigned long)f.f_type) {
	case 0x6969UL:     /* NFS */
	case 0xfe534d42UL: /* SMB2 */
	case 0xff534d42UL: /* CIFS */
	case 0x65735546UL: /* FUSE */
	case 0x01021997UL: /* 9P */
	case 0x00c36400UL: /* Ceph */
		return false;
	default:
		return true;
	}
}

static bool same_time(const struct timespec *a, const struct timespec *b)
{
	return a->tv_sec == b->tv_sec && a->tv_nsec == b->tv_nsec;
}

/* Which shard files the view directory holds, read once a walk: a walk of
 * a small view then tries the few shards there are, not 1,024 names (a
 * shard that appears later is left to the next walk).  getdents64 into a
 * buffer on the stack (rule 1).
 *
 * A listing in several getdents64 calls is not atomic against renames: on
 * tmpfs a shard renamed into place between two calls can be missed,
 * though it existed all along.  A change to the directory stamps its
 * mtime, but with a coarse clock (tmpfs: up to a few ticks behind; some
 * file systems: whole seconds), so a change soon after the last one can
 * leave the mtime as it was.  The listing is trusted only when the mtime
 * and ctime are the same before and after it and the mtime is more than
 * two whole seconds older than the clock: a change during the listing
 * then cannot stamp the old value.  Otherwise (a write in the last two
 * seconds, a remote file system, any error) every shard is listed and
 * each is tried, as before. */
static void cursor_list(struct cursor *c)
{
	char buf[4096] __attribute__((aligned(8)));
	int fd = open(view_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	struct stat before, after;
	struct timespec now;
	bool trusted = false;
	ssize_t n = -1;

	memset(c->files, 0, sizeof(c->files));
	if (fd >= 0 && fstat(fd, &before) == 0 && clock_gettime(CLOCK_REALTIME, &now) == 0 &&
	    before.st_mtim.tv_sec < now.tv_sec - 2 && local_times(fd)) {
		while ((n = getdents64(fd, buf, sizeof(buf))) > 0) {
			for (ssize_t off = 0; n > 0 && off < n;) {
				const struct dirent64 *d = (const struct dirent64 *)(buf + off);
				unsigned no = view_shard_of_name(d->d_name);

				if (d->d_reclen == 0)
					n = -1; /* never from Linux; not a listing to trust */
				else if (no < VIEW_SHARDS)
					c->files[no / 64] |= 1ULL << (no % 64);
				off += d->d_reclen;
			}
			if (n < 0)
				break;
		}
		trusted = n == 0 && fstat(fd, &after) == 0 && same_time(&before.st_mtim, &after.st_mtim) &&
			  same_time(&before.st_ctim, &after.st_ctim);
	}
	if (!trusted)
		memset(c->files, 0xff, sizeof(c->files));
	if (fd >= 0)
		close(fd);
	c->listed = true;
}

void nss_enum_rewind(enum nss_db db)
{
	struct cursor *c = &cursors[db];
	int old;

	/* The fork handlers first (rule 4): setpwent() may be the first
	 * call into the module. */
	(void)init_once();
	pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, &old); /* rule 9 */
	pthread_mutex_lock(&c->lock);
	cursor_rewind(c);
	pthread_mutex_unlock(&c->lock);
	pthread_setcancelstate(old, NULL);
}


int nss_enum_next(enum nss_db db, char kind, nss_value_fn fn, void *priv)
{
	struct cursor *c = &cursors[db];
	const unsigned char *key, *val;
	uint32_t klen, vlen, undo;
	struct seen now;
	int r = init_once();

	if (r < 0)
		return r;
	/* Before the cursor's lock: stamp_read() may take stamp_lock, which
	 * fork_prepare() takes before the cursor locks (rule 4). */
	stamp_read(&now);
	pthread_mutex_lock(&c->lock);
	for (;;) {
		if (!c->map.base) {
			if (c->shard >= VIEW_SHARDS) {
				r = NSS_ROSTER_ABSENT;
				break;
			}
			if (!c->listed)
				cursor_list(c);
			if (c->files[c->shard / 64] & 1ULL << (c->shard % 64))
				r = map_shard(c->shard, &c->map);
			else
				r = -ENOENT; /* not listed: as if open(2) said so */
			/* A missing shard holds nothing.  A damaged one is
			 * passed over (db check and doctor name it): an error
			 * here would end the whole walk, since glibc moves on
			 * to the next service and never asks us again. */
			if (r == -ENOENT && !c->view_ok) { /* once a walk */
				if (!view_present(&now) || !stamp_exists())
					break; /* no view: unavailable */
				c->view_ok = true;
			}
			if (r == -ENOENT || r == -EBADMSG) {
				c->shard++;
				continue;
			}
			if (r < 0)
				break; /* no view, or out of fds or memory */
			c->pos = 0;
		}
		undo = c->pos;
		r = view_map_next(&c->map, &c->pos, &key, &klen, &val, &vlen);
		if (r == -ENOENT) { /* this shard is done */
			view_map_close(&c->map);
			c->shard++;
			continue;
		}
		if (r < 0) { /* damaged from here on: the next shard */
			view_map_close(&c->map);
			c->shard++;
			continue;
		}
		if (klen < 1 || key[0] != kind)
			continue;
		r = fn(val, vlen, priv);
		if (r == -ERANGE)
			c->pos = undo; /* the same entry again, with a bigger buffer */
		break;
	}
	pthread_mutex_unlock(&c->lock);
	return r;
}

/* ---- the edges ---- */

bool nss_name_ok(const char *name)
{
	size_t n = name ? strnlen(name, ROSTER_NAME_MAX + 1) : 0;

	return n >= 1 && n <= ROSTER_NAME_MAX;
}

bool nss_enter(void)
{
	if (busy)
		return false;
	busy = true;
	pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, &cancel_state);
	return true;
}

void nss_leave(void)
{
	pthread_setcancelstate(cancel_state, NULL);
	busy = false;
}

enum nss_status nss_status_of(int r, int saved_errno, int *errnop)
{
	errno = saved_errno;
	switch (r) {
	case 0:
		return NSS_STATUS_SUCCESS;
	case NSS_ROSTER_ABSENT:
		return NSS_STATUS_NOTFOUND;
	case -ERANGE:
		*errnop = ERANGE;
		return NSS_STATUS_TRYAGAIN;
	case -ENOMEM:
		*errnop = ENOMEM;
		return NSS_STATUS_TRYAGAIN;
	case -ENOENT:
	case -ENOTDIR:
		*errnop = ENOENT;
		return NSS_STATUS_UNAVAIL;
	case -EACCES:
	case -EPERM:
	case -EMFILE:
	case -ENFILE:
	case -EDEADLK:
	case -ENAMETOOLONG:
		*errnop = -r;
		return NSS_STATUS_UNAVAIL;
	default: /* -EBADMSG and anything else: the view cannot be read */
		*errnop = EIO;
		return NSS_STATUS_UNAVAIL;
	}
}
