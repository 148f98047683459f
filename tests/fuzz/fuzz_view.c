/* fuzz_view.c - libFuzzer target: the NSS view reader (lib/view_read.c)
 * and the module that packs what it reads into struct passwd and struct
 * group (nss_module/: common.c, passwd.c, group.c, initgroups.c, linked in
 * whole, with their own shard cache).
 *
 * The input is one shard file.  It replaces view/shard.NNNN (NNNN from its
 * header) in a scratch database directory that ROSTER_NSS_DIR names, by
 * rename(2), as roster replaces a shard; the module sees a new file and
 * maps it again.  Then every entry the file holds is walked
 * (view_map_next), found again by its key (view_map_find), decoded, and
 * asked of the module by name or id, with a buffer of exactly the size the
 * entry needs and with one a byte short; and the module enumerates passwd
 * and group.  Buffers are malloc'ed to size, so ASan sees a byte written
 * past one.
 *
 * Besides crashes, the target aborts when the module disagrees with the
 * reader: an entry the reader decodes must be returned whole (the same
 * strings and ids) in a buffer of the size it needs, and refused with
 * ERANGE in one a byte shorter; one it cannot decode must never come back
 * as a success.
 */
#include "roster.h"
#include "view.h"

#include "../../nss_module/common.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char dbdir[4096 - 64];
static char tmp_path[4096];
static char stamp_path[4200];
static int last_shard = -1;

static void fail(const char *what, const unsigned char *key, uint32_t klen)
{
	fprintf(stderr, "fuzz_view: %s (key %.*s)\n", what, (int)klen, (const char *)key);
	abort();
}

static void cleanup(void)
{
	char path[4096];

	if (last_shard >= 0 && view_shard_path(path, sizeof(path), dbdir, (unsigned)last_shard) == 0)
		unlink(path);
	unlink(tmp_path);
	unlink(stamp_path);
	snprintf(path, sizeof(path), "%s/" VIEW_DIR, dbdir);
	rmdir(path);
	rmdir(dbdir);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *tmp = getenv("TMPDIR");
	char view[4096];

	(void)argc;
	(void)argv;
	snprintf(dbdir, sizeof(dbdir), "%s/roster-fuzz-view.XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(dbdir)) {
		perror("fuzz_view: mkdtemp");
		exit(1);
	}
	snprintf(view, sizeof(view), "%s/" VIEW_DIR, dbdir);
	snprintf(tmp_path, sizeof(tmp_path), "%s/shard.new", view);
	if (mkdir(view, 0755) < 0) {
		perror("fuzz_view: mkdir");
		exit(1);
	}
	atexit(cleanup);
	snprintf(stamp_path, sizeof(stamp_path), "%s/" VIEW_STAMP, view);
	/* Read once, at the module's first call. */
	setenv("ROSTER_NSS_DIR", dbdir, 1);
	return 0;
}

/* Writes view/generation as roster does after every view write: of this
 * view version (so the module takes every other, missing, shard for an
 * empty one and walks on), rewritten in place, with a new value each time
 * (so the module maps the replaced shard again). */
static int stamp(void)
{
	static unsigned long long writes;
	char text[VIEW_STAMP_LEN + 1];
	int fd = open(stamp_path, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
	ssize_t w;

	if (fd < 0)
		return -errno;
	snprintf(text, sizeof(text), VIEW_STAMP_FORMAT, VIEW_VERSION, 1ULL, ++writes);
	w = pwrite(fd, text, VIEW_STAMP_LEN, 0);
	close(fd);
	return w == VIEW_STAMP_LEN ? 0 : -EIO;
}

/* Puts the input in place as shard no, and returns that shard's path. */
static int install(const uint8_t *data, size_t size, unsigned no, char path[4096])
{
	int fd = open(tmp_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	ssize_t w = 0;

	if (fd < 0)
		return -errno;
	if (size)
		w = write(fd, data, size);
	close(fd);
	if (w < 0 || (size_t)w != size)
		return -EIO;
	if (view_shard_path(path, 4096, dbdir, no) < 0 || rename(tmp_path, path) < 0)
		return -EIO;
	/* The shard of the last input, if another, goes: only this one is
	 * ever there. */
	if (last_shard >= 0 && (unsigned)last_shard != no) {
		char old[4096];

		if (view_shard_path(old, sizeof(old), dbdir, (unsigned)last_shard) == 0)
			unlink(old);
	}
	last_shard = (int)no;
	return stamp();
}

/* The body of key as a C string: a name of 1..ROSTER_NAME_MAX bytes
 * without NUL, or for an id key the canonical decimal of a uint32_t (what
 * the module would build the key from).  false when no lookup through the
 * module can produce this key. */
static bool key_body(const unsigned char *key, uint32_t klen, char out[VIEW_KEY_MAX], uint32_t *id)
{
	char canon[VIEW_KEY_MAX];
	unsigned long long v;
	char *end;

	if (klen < 2 || klen - 1 > ROSTER_NAME_MAX || memchr(key + 1, '\0', klen - 1))
		return false;
	memcpy(out, key + 1, klen - 1);
	out[klen - 1] = '\0';
	if (key[0] == VIEW_PW_NAME || key[0] == VIEW_GR_NAME)
		return true;
	errno = 0;
	v = strtoull(out, &end, 10);
	if (errno || *end || v > UINT32_MAX)
		return false;
	*id = (uint32_t)v;
	snprintf(canon, sizeof(canon), "%u", (unsigned)*id);
	return strcmp(canon, out) == 0;
}

static bool same_pw(const struct passwd *pw, const struct view_pw *v)
{
	return strcmp(pw->pw_name, v->name) == 0 && strcmp(pw->pw_passwd, "x") == 0 &&
	       strcmp(pw->pw_gecos, v->gecos) == 0 && strcmp(pw->pw_dir, v->home) == 0 &&
	       strcmp(pw->pw_shell, v->shell) == 0 && pw->pw_uid == v->uid && pw->pw_gid == v->gid;
}

static bool same_gr(const struct group *gr, const struct view_gr *v)
{
	const char *m = v->members;
	uint32_t i;

	if (strcmp(gr->gr_name, v->name) != 0 || strcmp(gr->gr_passwd, "x") != 0 || gr->gr_gid != v->gid)
		return false;
	for (i = 0; i < v->nmem; i++, m += strlen(m) + 1)
		if (!gr->gr_mem[i] || strcmp(gr->gr_mem[i], m) != 0)
			return false;
	return gr->gr_mem[i] == NULL;
}

/* The entry under key, asked of the module by name or id as glibc would,
 * against what the reader decodes from val. */
static void check_entry(const unsigned char *key, uint32_t klen, const char *body, uint32_t id,
			const unsigned char *val, uint32_t vlen)
{
	bool is_pw = key[0] == VIEW_PW_NAME || key[0] == VIEW_PW_UID;
	bool by_id = key[0] == VIEW_PW_UID || key[0] == VIEW_GR_GID;
	struct view_pw vp;
	struct view_gr vg;
	struct passwd pw;
	struct group gr;
	size_t need = 4096;
	bool good;

	if (is_pw) {
		good = view_decode_pw(val, vlen, &vp) == 0 && (by_id ? vp.uid == id : strcmp(vp.name, body) == 0);
		if (good)
			need = strlen(vp.name) + 1 + sizeof("x") + strlen(vp.gecos) + 1 + strlen(vp.home) + 1 +
			       strlen(vp.shell) + 1;
	} else {
		good = view_decode_gr(val, vlen, &vg) == 0 && (by_id ? vg.gid == id : strcmp(vg.name, body) == 0);
		/* malloc'ed, so aligned: no padding before the member array */
		if (good)
			need = ((size_t)vg.nmem + 1) * sizeof(char *) + strlen(vg.name) + 1 + sizeof("x") +
			       vg.members_len;
	}
	/* Exactly the size needed, then a byte short. */
	for (int shorter = 0; shorter <= (good ? 1 : 0); shorter++) {
		size_t len = need - (size_t)shorter;
		char *buf = malloc(len);
		enum nss_status st;
		int err = 0;

		if (!buf)
			abort();
		switch (key[0]) {
		case VIEW_PW_NAME: st = _nss_roster_getpwnam_r(body, &pw, buf, len, &err); break;
		case VIEW_PW_UID: st = _nss_roster_getpwuid_r(id, &pw, buf, len, &err); break;
		case VIEW_GR_NAME: st = _nss_roster_getgrnam_r(body, &gr, buf, len, &err); break;
		default: st = _nss_roster_getgrgid_r(id, &gr, buf, len, &err); break;
		}
		if (!good && st == NSS_STATUS_SUCCESS)
			fail("an entry the reader refuses was returned", key, klen);
		if (good && !shorter &&
		    (st != NSS_STATUS_SUCCESS || !(is_pw ? same_pw(&pw, &vp) : same_gr(&gr, &vg))))
			fail("not the entry the reader decodes", key, klen);
		if (good && shorter && (st != NSS_STATUS_TRYAGAIN || err != ERANGE))
			fail("a buffer a byte short is not ERANGE", key, klen);
		free(buf);
	}
}

/* A user's supplementary groups: what the value lists, minus the primary
 * group, each once. */
static void check_initgroups(const unsigned char *key, uint32_t klen, const char *name)
{
	long start = 1, size = 1;
	gid_t *groups = malloc(sizeof(gid_t));
	int err = 0;

	if (!groups)
		abort();
	groups[0] = 4242;
	_nss_roster_initgroups_dyn(name, 4242, &start, &size, &groups, 0, &err);
	if (start < 1 || start > size)
		fail("initgroups: the count is outside the array", key, klen);
	for (long i = 1; i < start; i++)
		if (groups[i] == 4242)
			fail("initgroups: the primary group was added", key, klen);
	free(groups);
}

/* Walks everything glibc's getpwent/getgrent would: on, with a bigger
 * buffer after ERANGE, until anything but a success (glibc then moves on
 * to the next module). */
static void enumerate(void)
{
	size_t len = 256;
	char *buf = malloc(len);
	struct passwd pw;
	struct group gr;
	enum nss_status st;
	int err, calls = 0;

	if (!buf)
		abort();
	for (int db = 0; db < 2; db++) {
		if (db == 0)
			_nss_roster_setpwent(0);
		else
			_nss_roster_setgrent(0);
		for (;;) {
			err = 0;
			st = db == 0 ? _nss_roster_getpwent_r(&pw, buf, len, &err)
				     : _nss_roster_getgrent_r(&gr, buf, len, &err);
			if (st == NSS_STATUS_TRYAGAIN && err == ERANGE) {
				if (len >= (1u << 24))
					fail("getent: ERANGE however large the buffer", (const unsigned char *)"", 0);
				free(buf);
				len *= 4;
				if (!(buf = malloc(len)))
					abort();
				continue;
			}
			if (st != NSS_STATUS_SUCCESS)
				break;
			if (++calls > 1000000)
				fail("getent: no end to the entries", (const unsigned char *)"", 0);
		}
		if (db == 0)
			_nss_roster_endpwent();
		else
			_nss_roster_endgrent();
	}
	free(buf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct view_header h = { 0 };
	struct view_map m;
	char path[4096], body[VIEW_KEY_MAX];
	const unsigned char *key, *val, *fval;
	unsigned char *value;
	uint32_t pos = 0, klen, vlen, fvlen, id = 0;
	unsigned no = 0;

	if (size >= sizeof(h)) {
		memcpy(&h, data, sizeof(h));
		no = h.shard < VIEW_SHARDS ? h.shard : 0;
	}
	if (install(data, size, no, path) < 0) {
		perror("fuzz_view: writing the shard");
		abort();
	}
	if (view_map_open(path, &m) == 0) {
		/* The reader walks a copy on the heap, of exactly the file's
		 * size: a mapping ends at a page boundary, so ASan would not
		 * see a read a few bytes past its end. */
		struct view_map heap = m;
		unsigned char *copy = malloc(size);

		if (!copy)
			abort();
		heap.base = memcpy(copy, data, size);
		while (view_map_next(&heap, &pos, &key, &klen, &val, &vlen) == 0) {
			if (view_map_find(&heap, key, klen, &fval, &fvlen) != 0)
				continue; /* a slot whose hash is not the key's */
			if (!key_body(key, klen, body, &id) ||
			    view_shard_of(view_hash(key + 1, klen - 1)) != no)
				continue; /* no lookup of the module's would come here */
			/* and the value is decoded from a copy of its exact
			 * size, for the same reason */
			if (!(value = malloc(fvlen ? fvlen : 1)))
				abort();
			memcpy(value, fval, fvlen);
			switch (key[0]) {
			case VIEW_PW_NAME:
				check_initgroups(key, klen, body);
				/* fall through */
			case VIEW_PW_UID:
			case VIEW_GR_NAME:
			case VIEW_GR_GID:
				check_entry(key, klen, body, id, value, fvlen);
				break;
			}
			free(value);
		}
		free(copy);
		view_map_close(&m);
	}
	enumerate();
	return 0;
}
