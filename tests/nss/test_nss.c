/* test_nss.c - libnss_roster.so.2 against a view built by libroster.
 *
 * The module is loaded with dlopen() and called directly, the way glibc
 * calls it, so each case can look at status, *errnop, errno and every byte
 * of the buffer.  tests/nss/test_glibc.sh goes through glibc itself.
 */
#include "fixture.h"
#include "view.h"

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdalign.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <setjmp.h>
#include <cmocka.h>

#define CANARY 0xA5
#define MAX_USERS 128

static struct fixture fx;
static struct nss_fns nss;
static uint32_t gid_admin, gid_devs, gid_ops;
static uint32_t uid_alice, uid_bob, uid_carol;

/* Every user the view should hold, for the enumeration cases. */
static const char *users[MAX_USERS];
static unsigned nusers;

static alignas(16) char area[16384];
static char big[16384];

/* ---- helpers ---- */

static void fill_canary(void)
{
	memset(area, CANARY, sizeof(area));
}

static bool canary_from(size_t from)
{
	for (size_t i = from; i < sizeof(area); i++)
		if ((unsigned char)area[i] != CANARY)
			return false;
	return true;
}

static bool canary_intact(size_t from, size_t to)
{
	for (size_t i = from; i < to; i++)
		if ((unsigned char)area[i] != CANARY)
			return false;
	return true;
}

static int begin(void)
{
	int r = roster_txn_begin(fx.db, "test");

	if (r < 0)
		fprintf(stderr, "begin: %s\n", roster_db_error(fx.db));
	return r;
}

static int commit(void)
{
	int r = roster_txn_commit(fx.db);

	if (r < 0)
		fprintf(stderr, "commit: %s\n", roster_db_error(fx.db));
	return r;
}

static void add_user(const char *name, const char *const *roles, uint32_t *uid)
{
	assert_int_equal(begin(), 0);
	assert_int_equal(fx_add_user(&fx, name, "New", "User", roles, uid), 0);
	assert_int_equal(commit(), 0);
	assert_true(nusers < MAX_USERS);
	users[nusers++] = name;
}

static char shard_file[256];

static const char *shard_of(const char *body)
{
	unsigned no = view_shard_of(view_hash(body, strlen(body)));

	assert_int_equal(view_shard_path(shard_file, sizeof(shard_file), fx.dbdir, no), 0);
	return shard_file;
}

/* What roster does after every view write: a new value in view/generation,
 * rewritten in place.  Files swapped without it are seen within a second. */
static void bump_stamp(void)
{
	static unsigned bumps;
	char path[300], digits[4];
	int fd;

	snprintf(path, sizeof(path), "%s/view/generation", fx.dbdir);
	fd = open(path, O_RDWR | O_CLOEXEC);
	assert_true(fd >= 0);
	/* The last three hex digits of the nonce, from a counter: a value
	 * seen before would let a lookup trust a shard it mapped then. */
	snprintf(digits, sizeof(digits), "%03x", ++bumps & 0xfff);
	assert_int_equal(pwrite(fd, digits, 3, VIEW_STAMP_LEN - 4), 3);
	close(fd);
}

/* ---- set-up: three users, two roles ---- */

static int setup(void **state)
{
	static const char *const devs[] = { "devs", NULL };
	int r;

	(void)state;
	r = fx_create(&fx, 70000, 79999);
	r = r ?: begin();
	r = r ?: fx_add_role(&fx, "devs", &gid_devs);
	r = r ?: fx_add_role(&fx, "ops", &gid_ops);
	r = r ?: fx_add_user(&fx, "alice", "Alice", "Liddell", devs, &uid_alice);
	r = r ?: fx_add_user(&fx, "bob", "Bob", NULL, devs, &uid_bob);
	r = r ?: fx_add_user(&fx, "carol", NULL, NULL, NULL, &uid_carol);
	r = r ?: roster_role_assign(fx.db, "ops", "alice");
	r = r ?: commit();
	if (r < 0)
		return -1;
	users[nusers++] = "alice";
	users[nusers++] = "bob";
	users[nusers++] = "carol";
	/* roster-admin, the role every new database gets */
	{
		struct roster_role *ro = NULL;

		if (roster_role_get(fx.db, fx.cfg->admin_role, &ro) < 0)
			return -1;
		gid_admin = ro->gid;
		roster_role_free(ro);
	}
	if (fx_load_module(&nss, fx.dbdir) < 0) {
		fprintf(stderr, "%s\n", dlerror());
		return -1;
	}
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	fx_destroy(&fx);
	return 0;
}

/* ---- passwd ---- */

static void test_getpwnam(void **state)
{
	struct passwd pw;
	int err = 0;

	(void)state;
	assert_int_equal(nss.getpwnam_r("alice", &pw, big, sizeof(big), &err), NSS_STATUS_SUCCESS);
	assert_string_equal(pw.pw_name, "alice");
	assert_string_equal(pw.pw_passwd, "x");
	assert_int_equal(pw.pw_uid, uid_alice);
	assert_int_equal(pw.pw_gid, uid_alice); /* private group */
	assert_string_equal(pw.pw_gecos, "Alice Liddell");
	assert_string_equal(pw.pw_dir, "/home/alice");
	assert_string_equal(pw.pw_shell, "/bin/bash");

	assert_int_equal(nss.getpwnam_r("bob", &pw, big, sizeof(big), &err), NSS_STATUS_SUCCESS);
	assert_string_equal(pw.pw_gecos, "Bob");
	assert_int_equal(nss.getpwnam_r("carol", &pw, big, sizeof(big), &err), NSS_STATUS_SUCCESS);
	assert_string_equal(pw.pw_gecos, "");
	assert_int_equal(pw.pw_uid, uid_carol);
}

static void test_getpwuid(void **state)
{
	struct passwd pw;
	int err = 0;

	(void)state;
	assert_int_equal(nss.getpwuid_r(uid_bob, &pw, big, sizeof(big), &err), NSS_STATUS_SUCCESS);
	assert_string_equal(pw.pw_name, "bob");
	assert_string_equal(pw.pw_passwd, "x");
	assert_int_equal(pw.pw_uid, uid_bob);
	assert_int_equal(pw.pw_gid, uid_bob);
	assert_string_equal(pw.pw_dir, "/home/bob");
	/* a role's gid is not a uid */
	assert_int_equal(nss.getpwuid_r(gid_devs, &pw, big, sizeof(big), &err), NSS_STATUS_NOTFOUND);
}

/* ---- ERANGE: every size below the one needed, nothing written ---- */

typedef enum nss_status (*call_fn)(void *res, char *buf, size_t len, int *err);

static enum nss_status pwnam_alice(void *res, char *buf, size_t len, int *err)
{
	return nss.getpwnam_r("alice", res, buf, len, err);
}

static enum nss_status pwuid_bob(void *res, char *buf, size_t len, int *err)
{
	return nss.getpwuid_r(uid_bob, res, buf, len, err);
}

static enum nss_status grnam_devs(void *res, char *buf, size_t len, int *err)
{
	return nss.getgrnam_r("devs", res, buf, len, err);
}

static enum nss_status grgid_devs(void *res, char *buf, size_t len, int *err)
{
	return nss.getgrgid_r(gid_devs, res, buf, len, err);
}

/* Calls fn with buffers of 0, 1, 2, ... bytes at area + off until one is
 * big enough; checks each smaller one got ERANGE and was left untouched,
 * and the result struct too.  Returns the size that worked. */
static size_t smallest_buffer(call_fn fn, void *res, size_t res_size, size_t off)
{
	unsigned char res_canary[256];

	assert_true(res_size <= sizeof(res_canary));
	for (size_t len = 0; len < 4096; len++) {
		enum nss_status st;
		int err = 0;

		fill_canary();
		memset(res, CANARY, res_size);
		errno = 0;
		st = fn(res, area + off, len, &err);
		if (st == NSS_STATUS_SUCCESS) {
			assert_true(canary_intact(0, off));
			assert_true(canary_from(off + len));
			return len;
		}
		assert_int_equal(st, NSS_STATUS_TRYAGAIN);
		assert_int_equal(err, ERANGE);
		assert_true(canary_from(0));
		memset(res_canary, CANARY, res_size);
		assert_memory_equal(res, res_canary, res_size);
	}
	fail_msg("no buffer size up to 4096 was enough");
	return 0;
}

static size_t pw_size(const struct passwd *pw)
{
	return strlen(pw->pw_name) + strlen(pw->pw_passwd) + strlen(pw->pw_gecos) + strlen(pw->pw_dir) +
	       strlen(pw->pw_shell) + 5;
}

static size_t gr_size(const struct group *gr, size_t pad)
{
	size_t n = 0, s = pad + strlen(gr->gr_name) + strlen(gr->gr_passwd) + 2;

	for (; gr->gr_mem[n]; n++)
		s += strlen(gr->gr_mem[n]) + 1;
	return s + (n + 1) * sizeof(char *);
}

static void test_erange_passwd(void **state)
{
	struct passwd pw;
	size_t need;

	(void)state;
	need = smallest_buffer(pwnam_alice, &pw, sizeof(pw), 64);
	assert_string_equal(pw.pw_name, "alice");
	assert_int_equal(need, pw_size(&pw)); /* packed tight */
	assert_int_equal(need, 44);

	need = smallest_buffer(pwuid_bob, &pw, sizeof(pw), 64);
	assert_string_equal(pw.pw_name, "bob");
	assert_int_equal(need, pw_size(&pw));
}

static void test_erange_group(void **state)
{
	struct group gr;
	size_t need;

	(void)state;
	/* aligned buffer: no padding */
	need = smallest_buffer(grnam_devs, &gr, sizeof(gr), 64);
	assert_string_equal(gr.gr_name, "devs");
	assert_int_equal(need, gr_size(&gr, 0));
	need = smallest_buffer(grgid_devs, &gr, sizeof(gr), 64);
	assert_int_equal(gr.gr_gid, gid_devs);
	assert_int_equal(need, gr_size(&gr, 0));

	/* misaligned by 1: seven bytes of padding before gr_mem */
	need = smallest_buffer(grnam_devs, &gr, sizeof(gr), 65);
	assert_int_equal(need, gr_size(&gr, sizeof(char *) - 1));
	assert_int_equal((uintptr_t)gr.gr_mem % alignof(char *), 0);
	assert_string_equal(gr.gr_mem[0], "alice");
	assert_string_equal(gr.gr_mem[1], "bob");
	assert_null(gr.gr_mem[2]);
}

/* ---- errno: untouched on success and on not-found ---- */

static void test_errno_untouched(void **state)
{
	struct passwd pw;
	struct group gr;
	char longname[64];
	int err = 4242;

	(void)state;
	memset(longname, 'a', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';

#define NOTFOUND(call)                                       \
	do {                                                 \
		errno = EDOM;                                \
		err = 4242;                                  \
		assert_int_equal(call, NSS_STATUS_NOTFOUND); \
		assert_int_equal(errno, EDOM);               \
		assert_int_equal(err, 4242);                 \
	} while (0)
	NOTFOUND(nss.getpwnam_r("nosuch", &pw, big, sizeof(big), &err));
	NOTFOUND(nss.getpwnam_r("", &pw, big, sizeof(big), &err));
	NOTFOUND(nss.getpwnam_r(longname, &pw, big, sizeof(big), &err));
	NOTFOUND(nss.getpwnam_r("devs", &pw, big, sizeof(big), &err)); /* a role is no user */
	NOTFOUND(nss.getpwuid_r(4000000, &pw, big, sizeof(big), &err));
	NOTFOUND(nss.getgrnam_r("nosuch", &gr, big, sizeof(big), &err));
	NOTFOUND(nss.getgrgid_r(4000000, &gr, big, sizeof(big), &err));
	{
		long start = 0, size = 0;
		gid_t *groups = NULL;

		NOTFOUND(nss.initgroups_dyn("nosuch", 0, &start, &size, &groups, 0, &err));
		assert_int_equal(start, 0);
		free(groups);
	}
#undef NOTFOUND

	/* and when errnop is &errno, as glibc passes it */
	errno = EDOM;
	assert_int_equal(nss.getpwnam_r("nosuch", &pw, big, sizeof(big), &errno), NSS_STATUS_NOTFOUND);
	assert_int_equal(errno, EDOM);

	errno = EDOM;
	err = 4242;
	assert_int_equal(nss.getpwnam_r("alice", &pw, big, sizeof(big), &err), NSS_STATUS_SUCCESS);
	assert_int_equal(errno, EDOM);
	assert_int_equal(err, 4242);
	errno = EDOM;
	assert_int_equal(nss.getgrgid_r(gid_devs, &gr, big, sizeof(big), &err), NSS_STATUS_SUCCESS);
	assert_int_equal(errno, EDOM);
}

/* ---- group ---- */

static void test_getgrnam(void **state)
{
	struct group gr;
	int err = 0;

	(void)state;
	assert_int_equal(nss.getgrnam_r("devs", &gr, big, sizeof(big), &err), NSS_STATUS_SUCCESS);
	assert_string_equal(gr.gr_name, "devs");
	assert_string_equal(gr.gr_passwd, "x");
	assert_int_equal(gr.gr_gid, gid_devs);
	assert_string_equal(gr.gr_mem[0], "alice");
	assert_string_equal(gr.gr_mem[1], "bob");
	assert_null(gr.gr_mem[2]);

	assert_int_equal(nss.getgrnam_r("ops", &gr, big, sizeof(big), &err), NSS_STATUS_SUCCESS);
	assert_int_equal(gr.gr_gid, gid_ops);
	assert_string_equal(gr.gr_mem[0], "alice");
	assert_null(gr.gr_mem[1]);

	/* a private user group: gid == uid, no members */
	assert_int_equal(nss.getgrnam_r("carol", &gr, big, sizeof(big), &err), NSS_STATUS_SUCCESS);
	assert_int_equal(gr.gr_gid, uid_carol);
	assert_null(gr.gr_mem[0]);

	assert_int_equal(nss.getgrgid_r(gid_ops, &gr, big, sizeof(big), &err), NSS_STATUS_SUCCESS);
	assert_string_equal(gr.gr_name, "ops");
	assert_string_equal(gr.gr_mem[0], "alice");
	assert_int_equal(nss.getgrgid_r(uid_alice, &gr, big, sizeof(big), &err), NSS_STATUS_SUCCESS);
	assert_string_equal(gr.gr_name, "alice");
	assert_int_equal(nss.getgrgid_r(gid_admin, &gr, big, sizeof(big), &err), NSS_STATUS_SUCCESS);
	assert_string_equal(gr.gr_name, "roster-admin");
}

/* ---- enumeration ---- */

#define MAX_SEEN 160

/* Walks the whole database; with squeeze, every entry is first asked for
 * with a 1-byte buffer, which must give ERANGE and not move the cursor. */
static unsigned walk(bool group, bool squeeze, char seen[MAX_SEEN][40])
{
	unsigned n = 0;

	assert_int_equal(group ? nss.setgrent(0) : nss.setpwent(0), NSS_STATUS_SUCCESS);
	for (;;) {
		struct passwd pw;
		struct group gr;
		enum nss_status st;
		int err = 0;

		if (squeeze) {
			st = group ? nss.getgrent_r(&gr, big, 1, &err) : nss.getpwent_r(&pw, big, 1, &err);
			if (st == NSS_STATUS_NOTFOUND)
				break;
			assert_int_equal(st, NSS_STATUS_TRYAGAIN);
			assert_int_equal(err, ERANGE);
		}
		st = group ? nss.getgrent_r(&gr, big, sizeof(big), &err)
			   : nss.getpwent_r(&pw, big, sizeof(big), &err);
		if (st == NSS_STATUS_NOTFOUND)
			break;
		assert_int_equal(st, NSS_STATUS_SUCCESS);
		assert_true(n < MAX_SEEN);
		snprintf(seen[n++], 40, "%s", group ? gr.gr_name : pw.pw_name);
	}
	assert_int_equal(group ? nss.endgrent() : nss.endpwent(), NSS_STATUS_SUCCESS);
	return n;
}

static unsigned count_of(char seen[MAX_SEEN][40], unsigned n, const char *name)
{
	unsigned c = 0;

	for (unsigned i = 0; i < n; i++)
		c += strcmp(seen[i], name) == 0;
	return c;
}

static void test_enumerate_passwd(void **state)
{
	static char plain[MAX_SEEN][40], squeezed[MAX_SEEN][40];
	unsigned n, m;

	(void)state;
	n = walk(false, false, plain);
	assert_int_equal(n, nusers);
	for (unsigned i = 0; i < nusers; i++)
		assert_int_equal(count_of(plain, n, users[i]), 1);
	/* After ERANGE the same entry comes again: the same sequence. */
	m = walk(false, true, squeezed);
	assert_int_equal(m, n);
	for (unsigned i = 0; i < n; i++)
		assert_string_equal(squeezed[i], plain[i]);
}

static void test_enumerate_group(void **state)
{
	static char plain[MAX_SEEN][40], squeezed[MAX_SEEN][40];
	unsigned n, m;

	(void)state;
	n = walk(true, false, plain);
	assert_int_equal(n, nusers + 3); /* a private group each, and three roles */
	for (unsigned i = 0; i < nusers; i++)
		assert_int_equal(count_of(plain, n, users[i]), 1);
	assert_int_equal(count_of(plain, n, "devs"), 1);
	assert_int_equal(count_of(plain, n, "ops"), 1);
	assert_int_equal(count_of(plain, n, "roster-admin"), 1);
	m = walk(true, true, squeezed);
	assert_int_equal(m, n);
	for (unsigned i = 0; i < n; i++)
		assert_string_equal(squeezed[i], plain[i]);
}

/* A deterministic name of 8 letters whose view shard is no. */
static void name_in_shard(char out[16], unsigned no)
{
	uint32_t x = 12345;

	for (unsigned tries = 0; tries < 1000000; tries++) {
		for (unsigned i = 0; i < 8; i++) {
			x = x * 1103515245u + 12345u;
			out[i] = (char)('a' + (x >> 16) % 26);
		}
		out[8] = '\0';
		if (view_shard_of(view_hash(out, 8)) == no)
			return;
	}
	fail_msg("no name found for shard %u", no);
}

/* A shard replaced in the middle of a walk: the walk finishes on the
 * mapping it has.  The change adds an entry to the shard being walked,
 * which reorders all of it (entries are walked in bucket order, and the
 * bucket count follows the entry count), so a cursor that followed the new
 * file from the old position would skip some users and repeat others. */
static void test_enumerate_during_change(void **state)
{
	static char seen[MAX_SEEN][40];
	unsigned per_shard[VIEW_SHARDS] = { 0 }, walked[VIEW_SHARDS] = { 0 }, n = 0, before;
	char name[40], uid_text[16], newcomer[16] = "", *old_first = NULL;
	struct passwd pw;
	int err = 0;

	(void)state;
	/* enough users that some shard holds two uid entries */
	assert_int_equal(begin(), 0);
	for (unsigned i = 0; i < 60; i++) {
		snprintf(name, sizeof(name), "extra%02u", i);
		assert_int_equal(fx_add_user(&fx, name, NULL, NULL, NULL, NULL), 0);
		assert_true(nusers < MAX_USERS);
		users[nusers++] = strdup(name);
	}
	assert_int_equal(commit(), 0);
	for (unsigned i = 0; i < nusers; i++) {
		assert_int_equal(nss.getpwnam_r(users[i], &pw, big, sizeof(big), &err), NSS_STATUS_SUCCESS);
		snprintf(uid_text, sizeof(uid_text), "%u", (unsigned)pw.pw_uid);
		per_shard[view_shard_of(view_hash(uid_text, strlen(uid_text)))]++;
	}
	before = nusers;

	assert_int_equal(nss.setpwent(0), NSS_STATUS_SUCCESS);
	while (nss.getpwent_r(&pw, big, sizeof(big), &err) == NSS_STATUS_SUCCESS) {
		struct roster_user *u = NULL;
		unsigned no;

		assert_true(n < MAX_SEEN);
		snprintf(seen[n++], 40, "%s", pw.pw_name);
		snprintf(uid_text, sizeof(uid_text), "%u", (unsigned)pw.pw_uid);
		no = view_shard_of(view_hash(uid_text, strlen(uid_text)));
		if (newcomer[0] || ++walked[no] != 1 || per_shard[no] < 2)
			continue;
		/* the first of two or more users in this shard: change the shard
		 * under the cursor, and this user with it */
		snprintf(name, sizeof(name), "%s", pw.pw_name);
		assert_int_equal(roster_user_get(fx.db, name, &u), 0);
		old_first = u->first ? strdup(u->first) : NULL;
		roster_user_free(u);
		name_in_shard(newcomer, no);
		assert_int_equal(begin(), 0);
		assert_int_equal(fx_set_first(&fx, name, "Changed"), 0);
		assert_int_equal(fx_add_user(&fx, newcomer, NULL, NULL, NULL, NULL), 0);
		assert_int_equal(commit(), 0);
		assert_true(nusers < MAX_USERS);
		users[nusers++] = strdup(newcomer);
	}
	nss.endpwent();
	assert_true(newcomer[0]); /* else: no shard held two users; add more */
	/* every user of the walk's start once; the newcomer at most once */
	for (unsigned i = 0; i < before; i++)
		assert_int_equal(count_of(seen, n, users[i]), 1);
	assert_true(count_of(seen, n, newcomer) <= 1);
	assert_true(n == before || n == before + 1);
	/* a lookup sees the change at once */
	assert_int_equal(nss.getpwnam_r(name, &pw, big, sizeof(big), &err), NSS_STATUS_SUCCESS);
	assert_true(strncmp(pw.pw_gecos, "Changed", 7) == 0);
	assert_int_equal(begin(), 0);
	assert_int_equal(fx_set_first(&fx, name, old_first), 0);
	assert_int_equal(commit(), 0);
	free(old_first);
}

/* A shard without entries has no file.  A lookup that falls in one is
 * NOTFOUND, not UNAVAIL, and the next one is answered without an open(2)
 * while the stamp is unchanged; the walk goes past it; errno, which the
 * failed open set inside, is as the caller left it; and once a user lands
 * there (a new stamp), the lookup finds it. */
static void test_missing_shard(void **state)
{
	char name[32];
	struct passwd pw;
	unsigned i, n = 0;
	int err = 4242;
	enum nss_status st;

	(void)state;
	for (i = 0; i < 1000; i++) {
		snprintf(name, sizeof(name), "empty%u", i);
		if (access(shard_of(name), F_OK) < 0 && errno == ENOENT)
			break;
	}
	assert_true(i < 1000);

	for (int k = 0; k < 2; k++) {
		errno = EDOM;
		assert_int_equal(nss.getpwnam_r(name, &pw, big, sizeof(big), &err), NSS_STATUS_NOTFOUND);
		assert_int_equal(errno, EDOM);
		assert_int_equal(err, 4242);
	}

	assert_int_equal(nss.setpwent(0), NSS_STATUS_SUCCESS);
	for (;;) {
		errno = EDOM;
		st = nss.getpwent_r(&pw, big, sizeof(big), &err);
		assert_int_equal(errno, EDOM);
		assert_int_equal(err, 4242);
		if (st != NSS_STATUS_SUCCESS)
			break;
		n++;
	}
	nss.endpwent();
	assert_int_equal(st, NSS_STATUS_NOTFOUND);
	assert_int_equal(n, nusers);

	add_user(strdup(name), NULL, NULL);
	assert_int_equal(access(shard_of(name), F_OK), 0);
	assert_int_equal(nss.getpwnam_r(name, &pw, big, sizeof(big), &err), NSS_STATUS_SUCCESS);
	assert_string_equal(pw.pw_name, name);
}

static unsigned uid_shard(uint32_t uid)
{
	char text[16];

	snprintf(text, sizeof(text), "%u", (unsigned)uid);
	return view_shard_of(view_hash(text, strlen(text)));
}

/* Adds a user during a walk (its uid entry in a shard with no file yet,
 * after the walk's first shard), with the view directory's mtime set to
 * mtime first; whether that walk returned the user.  The next walk always
 * does. */
static bool walk_sees_newcomer(time_t mtime)
{
	static unsigned round;
	char name[32], dir[300];
	struct passwd pw;
	uint32_t uid = 0, want;
	unsigned lowest = VIEW_SHARDS;
	struct timespec times[2] = { { 0, UTIME_OMIT }, { mtime, 0 } };
	bool seen = false, later = false;
	int err = 0;
	enum nss_status st;

	/* fillers until the next uid's shard has no file and comes after
	 * the lowest shard holding a uid entry (where the walk starts) */
	for (unsigned i = 0;; i++) {
		if (i == 40) /* add_user stops at MAX_USERS users in all */
			fail_msg("40 fillers and no uid in a shard without a file after shard %u", lowest);
		snprintf(name, sizeof(name), "filler%u-%u", round, i);
		add_user(strdup(name), NULL, &uid);
		lowest = VIEW_SHARDS;
		assert_int_equal(nss.setpwent(0), NSS_STATUS_SUCCESS);
		while (nss.getpwent_r(&pw, big, sizeof(big), &err) == NSS_STATUS_SUCCESS)
			if (uid_shard(pw.pw_uid) < lowest)
				lowest = uid_shard(pw.pw_uid);
		nss.endpwent();
		want = uid + 1;
		assert_int_equal(view_shard_path(shard_file, sizeof(shard_file), fx.dbdir, uid_shard(want)), 0);
		if (uid_shard(want) > lowest && access(shard_file, F_OK) < 0 && errno == ENOENT)
			break;
	}
	snprintf(dir, sizeof(dir), "%s/view", fx.dbdir);
	assert_int_equal(utimensat(AT_FDCWD, dir, times, 0), 0);

	assert_int_equal(nss.setpwent(0), NSS_STATUS_SUCCESS);
	assert_int_equal(nss.getpwent_r(&pw, big, sizeof(big), &err), NSS_STATUS_SUCCESS);
	assert_int_equal(uid_shard(pw.pw_uid), lowest);
	snprintf(name, sizeof(name), "newcomer%u", round++);
	add_user(strdup(name), NULL, &uid);
	assert_int_equal(uid, want);
	assert_int_equal(access(shard_file, F_OK), 0);
	while ((st = nss.getpwent_r(&pw, big, sizeof(big), &err)) == NSS_STATUS_SUCCESS)
		seen |= strcmp(pw.pw_name, name) == 0;
	assert_int_equal(st, NSS_STATUS_NOTFOUND);

	assert_int_equal(nss.setpwent(0), NSS_STATUS_SUCCESS);
	while ((st = nss.getpwent_r(&pw, big, sizeof(big), &err)) == NSS_STATUS_SUCCESS)
		later |= strcmp(pw.pw_name, name) == 0;
	nss.endpwent();
	assert_int_equal(st, NSS_STATUS_NOTFOUND);
	assert_true(later);
	return seen;
}

/* A walk lists the view directory once instead of trying all 1,024 shard
 * names, so a shard that appears during the walk is left to the next one;
 * trying every name, the walk would find it.  The listing is trusted only
 * when the directory has not changed for two seconds (a listing is not
 * atomic against renames): with its mtime an hour ahead (as after a change
 * just now, or a clock set back), every name is tried, and the newcomer is
 * found in the same walk.  (Not shown here: a change during the listing,
 * which the mtime compared before and after it catches.) */
static void test_walk_lists_shards_once(void **state)
{
	(void)state;
	assert_false(walk_sees_newcomer(time(NULL) - 3600));
	assert_true(walk_sees_newcomer(time(NULL) + 3600));
}

/* Writes digit as the view version in view/generation, in place: what a
 * view left by a roster of another version looks like to this module. */
static void stamp_version(char digit)
{
	char path[300];
	int fd;

	snprintf(path, sizeof(path), "%s/view/generation", fx.dbdir);
	fd = open(path, O_RDWR | O_CLOEXEC);
	assert_true(fd >= 0);
	assert_int_equal(pwrite(fd, &digit, 1, sizeof("roster-view ") - 1), 1);
	close(fd);
}

/* A missing shard is an empty one only under a stamp of this version:
 * under another (a view an older roster wrote, whose files this module
 * does not look for) a lookup there and a walk are unavailable, not
 * "not found", and the entries whose shards exist are still answered. */
static void test_stamp_of_another_version(void **state)
{
	char name[32];
	struct passwd pw;
	unsigned i;
	int err = 0;

	(void)state;
	_Static_assert(VIEW_VERSION >= 1 && VIEW_VERSION <= 8, "one digit, and another one above it");
	for (i = 0; i < 1000; i++) {
		snprintf(name, sizeof(name), "nobody%u", i);
		if (access(shard_of(name), F_OK) < 0 && errno == ENOENT)
			break;
	}
	assert_true(i < 1000);
	assert_int_equal(nss.getpwnam_r(name, &pw, big, sizeof(big), &err), NSS_STATUS_NOTFOUND);

	stamp_version((char)('0' + VIEW_VERSION + 1));
	err = 0;
	assert_int_equal(nss.getpwnam_r(name, &pw, big, sizeof(big), &err), NSS_STATUS_UNAVAIL);
	assert_int_equal(err, ENOENT);
	assert_int_equal(nss.setpwent(0), NSS_STATUS_SUCCESS);
	for (i = 0; i < nusers; i++) {
		err = 0;
		if (nss.getpwent_r(&pw, big, sizeof(big), &err) != NSS_STATUS_SUCCESS)
			break;
	}
	assert_true(i < nusers); /* the walk stops at the first missing shard */
	assert_int_equal(err, ENOENT);
	nss.endpwent();
	assert_int_equal(nss.getpwnam_r("alice", &pw, big, sizeof(big), &err), NSS_STATUS_SUCCESS);

	stamp_version((char)('0' + VIEW_VERSION));
	assert_int_equal(nss.getpwnam_r(name, &pw, big, sizeof(big), &err), NSS_STATUS_NOTFOUND);
}

/* ---- the recursion guard ---- */

/* The module calls lstat(2) on every lookup, with its shard lock held.  This
 * lstat, exported from the test program (-rdynamic), comes first in glibc's
 * symbol search, so it can call the module again from the inside, the way
 * a signal handler could. */
static bool reenter;
static enum nss_status inner_status;
static int inner_errno;

__attribute__((visibility("default"))) int lstat(const char *restrict path, struct stat *restrict st)
{
	static int (*real_stat)(const char *restrict, struct stat *restrict);

	if (!real_stat)
		*(void **)&real_stat = dlsym(RTLD_NEXT, "lstat");
	if (reenter) {
		char buf[1024];
		struct passwd pw;

		reenter = false;
		inner_errno = 0;
		inner_status = nss.getpwnam_r("bob", &pw, buf, sizeof(buf), &inner_errno);
	}
	return real_stat(path, st);
}

static void test_no_reentry(void **state)
{
	struct passwd pw;
	int err = 0;

	(void)state;
	/* alice's shard mapped, so the next lookup asks lstat() whether it is
	 * still current */
	assert_int_equal(nss.getpwnam_r("alice", &pw, big, sizeof(big), &err), NSS_STATUS_SUCCESS);
	inner_status = NSS_STATUS_RETURN;
	reenter = true;
	bump_stamp(); /* so the next lookup does lstat the shard */
	assert_int_equal(nss.getpwnam_r("alice", &pw, big, sizeof(big), &err), NSS_STATUS_SUCCESS);
	assert_false(reenter); /* the inner call happened */
	assert_int_equal(inner_status, NSS_STATUS_UNAVAIL);
	assert_int_equal(inner_errno, EDEADLK);
	/* and the guard is down again afterwards */
	assert_int_equal(nss.getpwnam_r("bob", &pw, big, sizeof(big), &err), NSS_STATUS_SUCCESS);
}

/* ---- initgroups ---- */

static bool contains(const gid_t *g, long n, gid_t x)
{
	for (long i = 0; i < n; i++)
		if (g[i] == x)
			return true;
	return false;
}

static void test_initgroups(void **state)
{
	long start = 1, size = 1;
	gid_t *groups = malloc(sizeof(gid_t));
	int err = 0;

	(void)state;
	assert_non_null(groups);
	groups[0] = uid_alice; /* glibc puts the primary group first */
	assert_int_equal(nss.initgroups_dyn("alice", uid_alice, &start, &size, &groups, 0, &err),
			 NSS_STATUS_SUCCESS);
	assert_int_equal(start, 3);
	assert_true(size >= 3);
	assert_int_equal(groups[0], uid_alice);
	assert_true(contains(groups, start, gid_devs));
	assert_true(contains(groups, start, gid_ops));

	/* again: nothing twice */
	assert_int_equal(nss.initgroups_dyn("alice", uid_alice, &start, &size, &groups, 0, &err),
			 NSS_STATUS_SUCCESS);
	assert_int_equal(start, 3);

	/* group, the primary group, is skipped */
	start = 0;
	assert_int_equal(nss.initgroups_dyn("alice", gid_devs, &start, &size, &groups, 0, &err),
			 NSS_STATUS_SUCCESS);
	assert_int_equal(start, 1);
	assert_int_equal(groups[0], gid_ops);

	/* limit: at most two in all */
	free(groups);
	groups = malloc(sizeof(gid_t));
	assert_non_null(groups);
	groups[0] = uid_alice;
	start = 1;
	size = 1;
	assert_int_equal(nss.initgroups_dyn("alice", uid_alice, &start, &size, &groups, 2, &err),
			 NSS_STATUS_SUCCESS);
	assert_int_equal(start, 2);
	assert_int_equal(size, 2);

	/* a user without roles exists all the same */
	start = 0;
	assert_int_equal(nss.initgroups_dyn("carol", uid_carol, &start, &size, &groups, 0, &err),
			 NSS_STATUS_SUCCESS);
	assert_int_equal(start, 0);
	free(groups);
}

/* ---- a committed change is seen at once ---- */

static void test_sees_commit(void **state)
{
	static const char *const roles[] = { "devs", NULL };
	struct passwd pw;
	struct group gr;
	uint32_t uid = 0;
	long start = 0, size = 0;
	gid_t *groups = NULL;
	int err = 0;

	(void)state;
	assert_int_equal(nss.getpwnam_r("dave", &pw, big, sizeof(big), &err), NSS_STATUS_NOTFOUND);
	add_user("dave", roles, &uid);
	assert_int_equal(nss.getpwnam_r("dave", &pw, big, sizeof(big), &err), NSS_STATUS_SUCCESS);
	assert_int_equal(pw.pw_uid, uid);
	assert_int_equal(nss.getpwuid_r(uid, &pw, big, sizeof(big), &err), NSS_STATUS_SUCCESS);
	assert_string_equal(pw.pw_name, "dave");
	assert_int_equal(nss.getgrnam_r("devs", &gr, big, sizeof(big), &err), NSS_STATUS_SUCCESS);
	assert_string_equal(gr.gr_mem[2], "dave");
	assert_int_equal(nss.initgroups_dyn("dave", uid, &start, &size, &groups, 0, &err),
			 NSS_STATUS_SUCCESS);
	assert_int_equal(start, 1);
	assert_int_equal(groups[0], gid_devs);

	/* a role granted later: every view of it changes */
	assert_int_equal(begin(), 0);
	assert_int_equal(roster_role_assign(fx.db, "ops", "dave"), 0);
	assert_int_equal(commit(), 0);
	start = 0;
	assert_int_equal(nss.initgroups_dyn("dave", uid, &start, &size, &groups, 0, &err),
			 NSS_STATUS_SUCCESS);
	assert_int_equal(start, 2);
	assert_int_equal(nss.getgrnam_r("ops", &gr, big, sizeof(big), &err), NSS_STATUS_SUCCESS);
	assert_string_equal(gr.gr_mem[1], "dave");
	assert_int_equal(nss.getgrgid_r(gid_ops, &gr, big, sizeof(big), &err), NSS_STATUS_SUCCESS);
	assert_non_null(gr.gr_mem[1]);
	assert_string_equal(gr.gr_mem[1], "dave");
	free(groups);
}

/* ---- a view that cannot be read ---- */

static void test_missing_view(void **state)
{
	char view[200], away[200];
	struct passwd pw;
	struct group gr;
	int err = 0;

	(void)state;
	snprintf(view, sizeof(view), "%s/view", fx.dbdir);
	snprintf(away, sizeof(away), "%s/view.away", fx.dbdir);
	assert_int_equal(rename(view, away), 0);

	errno = 0;
	assert_int_equal(nss.getpwnam_r("alice", &pw, big, sizeof(big), &err), NSS_STATUS_UNAVAIL);
	assert_int_equal(err, ENOENT);
	err = 0;
	assert_int_equal(nss.getpwuid_r(uid_bob, &pw, big, sizeof(big), &err), NSS_STATUS_UNAVAIL);
	assert_int_equal(err, ENOENT);
	err = 0;
	assert_int_equal(nss.getgrnam_r("devs", &gr, big, sizeof(big), &err), NSS_STATUS_UNAVAIL);
	assert_int_equal(err, ENOENT);
	err = 0;
	assert_int_equal(nss.setpwent(0), NSS_STATUS_SUCCESS);
	assert_int_equal(nss.getpwent_r(&pw, big, sizeof(big), &err), NSS_STATUS_UNAVAIL);
	assert_int_equal(err, ENOENT);
	nss.endpwent();

	assert_int_equal(rename(away, view), 0);
	assert_int_equal(nss.getpwnam_r("alice", &pw, big, sizeof(big), &err), NSS_STATUS_SUCCESS);
	assert_string_equal(pw.pw_name, "alice");
}

static void replace_file(const char *path, const void *data, size_t n)
{
	char tmp[300];
	int fd;

	snprintf(tmp, sizeof(tmp), "%s.test", path);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, data, n), (ssize_t)n);
	close(fd);
	assert_int_equal(rename(tmp, path), 0);
	bump_stamp();
}

/* path replaced, under a new inode and with a new stamp, by a copy of the
 * bytes of from (which may be path itself: the next lookup in that shard
 * then maps it again, so it calls open(2)). */
static void replace_with_copy(const char *path, const char *from)
{
	struct stat st;
	char *copy;
	int fd = open(from, O_RDONLY | O_CLOEXEC);

	assert_true(fd >= 0);
	assert_int_equal(fstat(fd, &st), 0);
	copy = malloc((size_t)st.st_size);
	assert_non_null(copy);
	assert_int_equal(read(fd, copy, (size_t)st.st_size), st.st_size);
	close(fd);
	replace_file(path, copy, (size_t)st.st_size);
	free(copy);
}

static void test_damaged_shard(void **state)
{
	char path[256], saved[300], other[256];
	struct passwd pw;
	int err = 0;

	(void)state;
	snprintf(path, sizeof(path), "%s", shard_of("alice"));
	snprintf(saved, sizeof(saved), "%s.saved", path);
	assert_int_equal(nss.getpwnam_r("alice", &pw, big, sizeof(big), &err), NSS_STATUS_SUCCESS);
	assert_int_equal(link(path, saved), 0);

	/* garbage */
	replace_file(path, "this is not a view shard, not at all, no", 40);
	assert_int_equal(nss.getpwnam_r("alice", &pw, big, sizeof(big), &err), NSS_STATUS_UNAVAIL);
	assert_int_equal(err, EIO);

	/* a sound shard, but another one: a lookup must not trust it */
	other[0] = '\0';
	for (unsigned i = 0; i < nusers && !other[0]; i++)
		if (strcmp(shard_of(users[i]), path) != 0)
			snprintf(other, sizeof(other), "%s", shard_file);
	assert_true(other[0] && access(other, F_OK) == 0);
	replace_with_copy(path, other);
	err = 0;
	assert_int_equal(nss.getpwnam_r("alice", &pw, big, sizeof(big), &err), NSS_STATUS_UNAVAIL);
	assert_int_equal(err, EIO);

	/* truncated */
	replace_file(path, "", 0);
	err = 0;
	assert_int_equal(nss.getpwnam_r("alice", &pw, big, sizeof(big), &err), NSS_STATUS_UNAVAIL);
	assert_int_equal(err, EIO);

	assert_int_equal(rename(saved, path), 0);
	bump_stamp();
	assert_int_equal(nss.getpwnam_r("alice", &pw, big, sizeof(big), &err), NSS_STATUS_SUCCESS);
	assert_int_equal(pw.pw_uid, uid_alice);
}

/* A damaged shard is passed over: the walk goes on to the other shards and
 * ends with NOTFOUND.  An error would end it for good, since glibc moves
 * on to the next service and never calls getpwent_r again. */
static void test_enumerate_damaged_shard(void **state)
{
	static char seen[MAX_SEEN][40];
	char uid_text[16], path[256], saved[300];
	unsigned damaged, expect = 0, n;
	struct passwd pw;
	int err = 0;

	(void)state;
	assert_int_equal(nss.getpwnam_r("alice", &pw, big, sizeof(big), &err), NSS_STATUS_SUCCESS);
	snprintf(uid_text, sizeof(uid_text), "%u", (unsigned)pw.pw_uid);
	damaged = view_shard_of(view_hash(uid_text, strlen(uid_text)));
	for (unsigned i = 0; i < nusers; i++) {
		char id[16];

		assert_int_equal(nss.getpwnam_r(users[i], &pw, big, sizeof(big), &err), NSS_STATUS_SUCCESS);
		snprintf(id, sizeof(id), "%u", (unsigned)pw.pw_uid);
		expect += view_shard_of(view_hash(id, strlen(id))) != damaged;
	}
	assert_true(expect > 0 && expect < nusers);

	snprintf(path, sizeof(path), "%s", shard_of(uid_text));
	snprintf(saved, sizeof(saved), "%s.saved", path);
	assert_int_equal(link(path, saved), 0);
	replace_file(path, "this is not a view shard, not at all, no", 40);
	n = walk(false, false, seen);
	assert_int_equal(rename(saved, path), 0);
	bump_stamp();
	assert_int_equal(n, expect);
	assert_int_equal(count_of(seen, n, "alice"), 0);
}

/* ---- no allocation ---- */

/* The mallocs a thread makes while it counts.  glibc's dynamic TLS would
 * allocate the module's block with malloc on the first call in each
 * thread.  Under ASan its allocator's hook counts them; otherwise malloc,
 * exported from the test program (-rdynamic), does. */
static __thread bool counting;
static __thread unsigned mallocs;

#ifdef __SANITIZE_ADDRESS__
int __sanitizer_install_malloc_and_free_hooks(void (*)(const volatile void *, size_t),
					      void (*)(const volatile void *));

static void malloc_hook(const volatile void *p, size_t n)
{
	(void)p;
	(void)n;
	if (counting)
		mallocs++;
}

static void free_hook(const volatile void *p)
{
	(void)p;
}

static void count_mallocs(void)
{
	assert_int_not_equal(__sanitizer_install_malloc_and_free_hooks(malloc_hook, free_hook), 0);
}
#else
extern void *__libc_malloc(size_t n);

__attribute__((visibility("default"))) void *malloc(size_t n)
{
	if (counting)
		mallocs++;
	return __libc_malloc(n);
}

static void count_mallocs(void)
{
}
#endif

static void *first_lookups(void *arg)
{
	unsigned *seen = arg;
	char buf[1024];
	struct passwd pw;
	struct group gr;
	int err = 0;
	bool ok;

	counting = true;
	ok = nss.getpwnam_r("alice", &pw, buf, sizeof(buf), &err) == NSS_STATUS_SUCCESS &&
	     nss.getgrnam_r("devs", &gr, buf, sizeof(buf), &err) == NSS_STATUS_SUCCESS;
	counting = false;
	*seen = ok ? mallocs : UINT_MAX;
	return NULL;
}

/* Rule 1 of nss_module/common.c, in a thread's first calls. */
static void test_no_alloc_new_thread(void **state)
{
	unsigned seen = UINT_MAX;
	pthread_t t;

	(void)state;
	count_mallocs();
	assert_int_equal(pthread_create(&t, NULL, first_lookups, &seen), 0);
	assert_int_equal(pthread_join(t, NULL), 0);
	assert_int_equal(seen, 0);
}

/* ---- cancellation ---- */

static enum nss_status cancelled_status;

static void *cancelled_lookup(void *arg)
{
	char buf[1024];
	struct passwd pw;
	int err = 0;

	(void)arg;
	pthread_cancel(pthread_self()); /* pending: deferred cancellation */
	cancelled_status = nss.getpwnam_r("alice", &pw, buf, sizeof(buf), &err);
	/* Still pending: it never acts, since the thread ends normally (ASan
	 * reports a false stack overflow when a cancelled thread unwinds). */
	pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, NULL);
	return NULL;
}

/* A thread with a cancel pending calls a lookup that must open(2) its shard
 * again, a cancellation point.  The lookup finishes, since the module
 * defers the cancel to the caller: nothing stays locked, so a lookup in
 * the same shard and a fork (which takes every lock) still go through. */
static void test_cancel_inside_lookup(void **state)
{
	struct passwd pw;
	pthread_t t;
	void *ret = NULL;
	int err = 0, status;
	pid_t pid;

	(void)state;
	/* A lock left held hangs this test, or the ones after it if an
	 * assertion below fails: a failure instead, while the alarm runs. */
	alarm(30);
	replace_with_copy(shard_of("alice"), shard_of("alice"));
	cancelled_status = NSS_STATUS_TRYAGAIN;
	assert_int_equal(pthread_create(&t, NULL, cancelled_lookup, NULL), 0);
	assert_int_equal(pthread_join(t, &ret), 0);
	assert_ptr_equal(ret, NULL); /* not cancelled inside the lookup */
	assert_int_equal(cancelled_status, NSS_STATUS_SUCCESS);

	pid = fork();
	if (pid == 0) {
		char buf[1024];

		alarm(2);
		_exit(nss.getpwnam_r("alice", &pw, buf, sizeof(buf), &err) == NSS_STATUS_SUCCESS ? 0 : 1);
	}
	assert_true(pid > 0);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	assert_int_equal(nss.getpwnam_r("alice", &pw, big, sizeof(big), &err), NSS_STATUS_SUCCESS);
	alarm(0);
	assert_int_equal(pw.pw_uid, uid_alice);
}

/* A shard swapped behind roster's back, with no new stamp, is noticed by
 * the once-a-second re-check: within two seconds at most. */
static void test_swap_without_stamp(void **state)
{
	char path[256], saved[300], tmp[300];
	struct passwd pw;
	struct timespec t0, t1;
	enum nss_status st;
	double waited;
	int err = 0, fd;

	(void)state;
	snprintf(path, sizeof(path), "%s", shard_of("alice"));
	snprintf(saved, sizeof(saved), "%s.saved", path);
	snprintf(tmp, sizeof(tmp), "%s.test", path);
	assert_int_equal(nss.getpwnam_r("alice", &pw, big, sizeof(big), &err), NSS_STATUS_SUCCESS);
	assert_int_equal(link(path, saved), 0);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "garbage", 7), 7);
	close(fd);
	assert_int_equal(rename(tmp, path), 0); /* no bump_stamp() */
	clock_gettime(CLOCK_MONOTONIC, &t0);
	do {
		st = nss.getpwnam_r("alice", &pw, big, sizeof(big), &err);
		clock_gettime(CLOCK_MONOTONIC, &t1);
		waited = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
		if (st == NSS_STATUS_SUCCESS)
			usleep(10000);
	} while (st == NSS_STATUS_SUCCESS && waited < 3.0);
	assert_int_equal(st, NSS_STATUS_UNAVAIL);
	assert_true(waited < 2.1);
	assert_int_equal(rename(saved, path), 0);
	bump_stamp();
	assert_int_equal(nss.getpwnam_r("alice", &pw, big, sizeof(big), &err), NSS_STATUS_SUCCESS);
}

/* ---- fork ---- */

static atomic_bool hammer_stop;

static void *hammer(void *arg)
{
	char buf[1024];
	struct passwd pw;
	int err;

	(void)arg;
	while (!atomic_load(&hammer_stop)) {
		nss.getpwnam_r("alice", &pw, buf, sizeof(buf), &err);
		nss.getpwuid_r(uid_bob, &pw, buf, sizeof(buf), &err);
	}
	return NULL;
}

/* While another thread is inside the module, fork: the child must not
 * inherit a held lock. */
static void test_fork(void **state)
{
	int bad = 0, last = 0;
	pthread_t t;

	(void)state;
	atomic_store(&hammer_stop, false);
	assert_int_equal(pthread_create(&t, NULL, hammer, NULL), 0);
	for (int i = 0; i < 40 && !bad; i++) {
		int status;
		pid_t pid = fork();

		if (pid == 0) {
			char buf[1024];
			struct passwd pw;
			int err = 0;

			alarm(2); /* a deadlock becomes a failure */
			if (nss.getpwnam_r("alice", &pw, buf, sizeof(buf), &err) != NSS_STATUS_SUCCESS)
				_exit(1);
			if (nss.getpwuid_r(uid_bob, &pw, buf, sizeof(buf), &err) != NSS_STATUS_SUCCESS ||
			    strcmp(pw.pw_name, "bob") != 0)
				_exit(2);
			_exit(0);
		}
		if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status) ||
		    WEXITSTATUS(status) != 0) {
			bad++;
			last = pid < 0 ? -1 : status;
		}
	}
	atomic_store(&hammer_stop, true);
	pthread_join(t, NULL);
	if (bad)
		fail_msg("a child failed: wait status %#x", last);
}

/* ---- fds 0-2 closed, few fds allowed ---- */

static bool fd_open(int fd)
{
	return fcntl(fd, F_GETFD) >= 0;
}

static void test_closed_fds(void **state)
{
	static const char *const none[] = { NULL };
	uint32_t uid = 0;
	int status;
	pid_t pid;

	(void)state;
	/* erin's shards change after this process last mapped them, so the
	 * child has to open them afresh */
	add_user("erin", none, &uid);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct rlimit rl;
		char buf[1024];
		struct passwd pw;
		struct group gr;
		int err = 0;

		alarm(5);
		close(0);
		close(1);
		close(2);
		/* open(2) obeys the soft limit; the hard one stays as it is
		 * (valgrind, under make valgrind, refuses to change it) */
		if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
			_exit(10);
		rl.rlim_cur = 1;
		if (setrlimit(RLIMIT_NOFILE, &rl) < 0)
			_exit(10);
		if (nss.getpwnam_r("erin", &pw, buf, sizeof(buf), &err) != NSS_STATUS_SUCCESS ||
		    pw.pw_uid != uid)
			_exit(11);
		if (nss.getgrgid_r(uid, &gr, buf, sizeof(buf), &err) != NSS_STATUS_SUCCESS ||
		    strcmp(gr.gr_name, "erin") != 0)
			_exit(12);
		if (fd_open(0) || fd_open(1) || fd_open(2))
			_exit(13); /* an fd was kept, or landed on 0-2 and stayed */
		/* no fd at all: a shard not yet mapped is unavailable, not a crash */
		rl.rlim_cur = 0;
		if (setrlimit(RLIMIT_NOFILE, &rl) < 0)
			_exit(14);
		if (nss.getgrnam_r("no-such-group-anywhere", &gr, buf, sizeof(buf), &err) ==
		    NSS_STATUS_SUCCESS)
			_exit(15);
		/* and a mapped one still answers */
		if (nss.getpwnam_r("erin", &pw, buf, sizeof(buf), &err) != NSS_STATUS_SUCCESS)
			_exit(16);
		_exit(0);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_getpwnam),
		cmocka_unit_test(test_getpwuid),
		cmocka_unit_test(test_erange_passwd),
		cmocka_unit_test(test_erange_group),
		cmocka_unit_test(test_errno_untouched),
		cmocka_unit_test(test_getgrnam),
		cmocka_unit_test(test_enumerate_passwd),
		cmocka_unit_test(test_enumerate_group),
		cmocka_unit_test(test_enumerate_during_change),
		cmocka_unit_test(test_missing_shard),
		cmocka_unit_test(test_walk_lists_shards_once),
		cmocka_unit_test(test_stamp_of_another_version),
		cmocka_unit_test(test_no_reentry),
		cmocka_unit_test(test_initgroups),
		cmocka_unit_test(test_sees_commit),
		cmocka_unit_test(test_missing_view),
		cmocka_unit_test(test_damaged_shard),
		cmocka_unit_test(test_enumerate_damaged_shard),
		cmocka_unit_test(test_cancel_inside_lookup),
		cmocka_unit_test(test_no_alloc_new_thread),
		cmocka_unit_test(test_swap_without_stamp),
		cmocka_unit_test(test_fork),
		cmocka_unit_test(test_closed_fds),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
