/* test_view.c - the world-readable NSS view (lib/view.h, view_write.c,
 * view_read.c), read the way libnss_roster reads it: map the shard that
 * the key's body hashes to, find the key, decode the value.
 */
#include "common.h"

#include <dirent.h>
#include <sys/mman.h>

/* ---- helpers ---- */

/* One looked-up entry; the value points into the map. */
struct entry {
	struct view_map m;
	const unsigned char *v;
	uint32_t vlen;
};

static int shard_for_key(const char *key, size_t klen)
{
	/* the shard comes from the body alone, without the kind byte */
	return (int)view_shard_of(view_hash(key + 1, klen - 1));
}

static int find_key(struct fx *fx, const char *key, size_t klen, struct entry *e)
{
	char path[PATH_MAX];
	int r;

	memset(e, 0, sizeof(*e));
	assert_int_equal(view_shard_path(path, sizeof(path), fx->dbdir,
					 (unsigned)shard_for_key(key, klen)), 0);
	r = view_map_open(path, &e->m);
	if (r < 0)
		return r;
	r = view_map_find(&e->m, key, klen, &e->v, &e->vlen);
	if (r < 0)
		view_map_close(&e->m);
	return r;
}

static int find_name(struct fx *fx, enum view_kind kind, const char *name, struct entry *e)
{
	char key[VIEW_KEY_MAX];
	size_t klen = view_make_key(key, kind, name);

	return find_key(fx, key, klen, e);
}

static int find_id(struct fx *fx, enum view_kind kind, uint32_t id, struct entry *e)
{
	char key[VIEW_KEY_MAX];
	size_t klen = view_make_idkey(key, kind, id);

	return find_key(fx, key, klen, e);
}

static void entry_close(struct entry *e)
{
	view_map_close(&e->m);
}

static uint32_t gid_at(const struct view_pw *pw, uint32_t i)
{
	uint32_t g;

	memcpy(&g, pw->gids + 4 * (size_t)i, 4);
	return g;
}

/* The passwd entry of name, by name and by uid, which must agree. */
static void get_pw(struct fx *fx, const char *name, struct entry *e, struct view_pw *pw)
{
	struct entry byuid;
	int r = find_name(fx, VIEW_PW_NAME, name, e);

	if (r < 0)
		fail_msg("passwd entry %s: %s", name, strerror(-r));
	assert_int_equal(view_decode_pw(e->v, e->vlen, pw), 0);
	assert_string_equal(pw->name, name);
	assert_int_equal(find_id(fx, VIEW_PW_UID, pw->uid, &byuid), 0);
	assert_int_equal(byuid.vlen, e->vlen);
	assert_memory_equal(byuid.v, e->v, e->vlen);
	entry_close(&byuid);
}

static void get_gr(struct fx *fx, const char *name, struct entry *e, struct view_gr *gr)
{
	struct entry bygid;
	int r = find_name(fx, VIEW_GR_NAME, name, e);

	if (r < 0)
		fail_msg("group entry %s: %s", name, strerror(-r));
	assert_int_equal(view_decode_gr(e->v, e->vlen, gr), 0);
	assert_string_equal(gr->name, name);
	assert_int_equal(find_id(fx, VIEW_GR_GID, gr->gid, &bygid), 0);
	assert_int_equal(bygid.vlen, e->vlen);
	assert_memory_equal(bygid.v, e->v, e->vlen);
	entry_close(&bygid);
}

static void set_names(struct fx *fx, const char *user, const char *first, const char *last)
{
	struct roster_user *u = NULL;

	assert_int_equal(roster_user_get(fx->db, user, &u), 0);
	free(u->first);
	free(u->last);
	u->first = xstrdup_or_null(first);
	u->last = xstrdup_or_null(last);
	txn_begin(fx);
	assert_int_equal(roster_user_update(fx->db, u, "user.edit"), 0);
	txn_commit(fx);
	roster_user_free(u);
}

/* ---- entries ---- */

static void test_passwd_entry(void **state)
{
	struct fx *fx = *state;
	uint32_t devs, ops, uid;
	struct view_pw pw;
	struct entry e;

	devs = add_role(fx, "devs", "Developers");
	ops = add_role(fx, "ops", NULL);
	uid = add_user(fx, "alice", "alice@example.org", "Alice", "Liddell");
	assign(fx, "ops", "alice");
	assign(fx, "devs", "alice");

	get_pw(fx, "alice", &e, &pw);
	assert_int_equal(pw.uid, uid);
	assert_int_equal(pw.gid, uid);
	assert_string_equal(pw.gecos, "Alice Liddell");
	assert_string_equal(pw.home, "/home/alice");
	assert_string_equal(pw.shell, "/bin/bash");
	assert_int_equal(pw.ngroups, 2);
	assert_int_equal(gid_at(&pw, 0), devs); /* in role-name order */
	assert_int_equal(gid_at(&pw, 1), ops);
	entry_close(&e);

	/* the GECOS field with one name, and with none */
	set_names(fx, "alice", "Alice", NULL);
	get_pw(fx, "alice", &e, &pw);
	assert_string_equal(pw.gecos, "Alice");
	entry_close(&e);
	set_names(fx, "alice", NULL, "Liddell");
	get_pw(fx, "alice", &e, &pw);
	assert_string_equal(pw.gecos, "Liddell");
	entry_close(&e);
	set_names(fx, "alice", NULL, NULL);
	get_pw(fx, "alice", &e, &pw);
	assert_string_equal(pw.gecos, "");
	entry_close(&e);

	/* unknown names and ids are not found */
	assert_int_equal(find_name(fx, VIEW_PW_NAME, "nobody", &e), -ENOENT);
	assert_int_equal(find_id(fx, VIEW_PW_UID, uid + 100, &e), -ENOENT);
	/* a role is a group, not a user */
	assert_int_equal(find_name(fx, VIEW_PW_NAME, "devs", &e), -ENOENT);
	assert_int_equal(find_id(fx, VIEW_PW_UID, devs, &e), -ENOENT);
}

static void test_private_group_entry(void **state)
{
	struct fx *fx = *state;
	uint32_t uid = add_user(fx, "alice", "alice@example.org", NULL, NULL);
	struct view_gr gr;
	struct entry e;

	get_gr(fx, "alice", &e, &gr);
	assert_int_equal(gr.gid, uid);
	assert_int_equal(gr.nmem, 0);
	entry_close(&e);
}

static void test_role_group_lists_members(void **state)
{
	struct fx *fx = *state;
	uint32_t devs = add_role(fx, "devs", NULL);
	struct view_gr gr;
	struct entry e;

	add_user(fx, "bob", "bob@example.org", NULL, NULL);
	add_user(fx, "alice", "alice@example.org", NULL, NULL);
	get_gr(fx, "devs", &e, &gr);
	assert_int_equal(gr.gid, devs);
	assert_int_equal(gr.nmem, 0);
	entry_close(&e);

	assign(fx, "devs", "bob");
	assign(fx, "devs", "alice");
	get_gr(fx, "devs", &e, &gr);
	assert_int_equal(gr.gid, devs);
	assert_int_equal(gr.nmem, 2);
	assert_int_equal(gr.members_len, sizeof("alice\0bob"));
	assert_memory_equal(gr.members, "alice\0bob", sizeof("alice\0bob"));
	entry_close(&e);

	txn_begin(fx);
	assert_int_equal(roster_role_revoke(fx->db, "devs", "alice"), 0);
	txn_commit(fx);
	get_gr(fx, "devs", &e, &gr);
	assert_int_equal(gr.nmem, 1);
	assert_string_equal(gr.members, "bob");
	entry_close(&e);

	/* roles given when a user is added show at once */
	{
		struct roster_user *u = user_new("carol", "carol@example.org", NULL, NULL);

		assert_int_equal(strv_add(&u->roles, "devs"), 0);
		txn_begin(fx);
		assert_int_equal(roster_user_add(fx->db, u), 0);
		txn_commit(fx);
		roster_user_free(u);
	}
	get_gr(fx, "devs", &e, &gr);
	assert_int_equal(gr.nmem, 2);
	assert_memory_equal(gr.members, "bob\0carol", sizeof("bob\0carol"));
	entry_close(&e);

	/* two roles changed by one commit: each role's entry, made once for
	 * its name and its gid, is its own */
	{
		uint32_t ops = add_role(fx, "ops", NULL);
		struct roster_user *u = user_new("dave", "dave@example.org", NULL, NULL);

		assert_int_equal(strv_add(&u->roles, "devs"), 0);
		assert_int_equal(strv_add(&u->roles, "ops"), 0);
		txn_begin(fx);
		assert_int_equal(roster_user_add(fx->db, u), 0);
		txn_commit(fx);
		roster_user_free(u);
		get_gr(fx, "devs", &e, &gr);
		assert_int_equal(gr.gid, devs);
		assert_int_equal(gr.nmem, 3);
		assert_memory_equal(gr.members, "bob\0carol\0dave", sizeof("bob\0carol\0dave"));
		entry_close(&e);
		get_gr(fx, "ops", &e, &gr);
		assert_int_equal(gr.gid, ops);
		assert_int_equal(gr.nmem, 1);
		assert_string_equal(gr.members, "dave");
		entry_close(&e);
	}

	/* the admin role is a group like any other */
	get_gr(fx, "roster-admin", &e, &gr);
	assert_int_equal(gr.gid, 70000);
	entry_close(&e);
}

static int count_elem(const char *s, size_t len, void *priv)
{
	(void)s;
	(void)len;
	(*(unsigned *)priv)++;
	return 0;
}

static void no_reject(unsigned long line, const char *reason, void *priv)
{
	(void)priv;
	fail_msg("import rejected line %lu: %s", line, reason);
}

/* A member list stored in a form this roster does not write (unsorted, a
 * duplicate: an older or a hand-edited database) is decoded instead of
 * read in place, so the group still comes out sorted and whole, and the
 * next change stores it in the canonical form. */
static void test_role_members_not_canonical(void **state)
{
	struct fx *fx = *state;
	static const char *const stored[] = { "carol", "alice", "carol" };
	unsigned char rec[64] = { 'R', 'L', 1, 0 };
	size_t n = 4;
	TDB_DATA k = { (unsigned char *)"members/devs", 12 }, d;
	struct view_gr gr;
	struct entry e;
	size_t count;
	unsigned seen = 0;

	add_role(fx, "devs", NULL);
	add_user(fx, "alice", "alice@example.org", NULL, NULL);
	add_user(fx, "bob", "bob@example.org", NULL, NULL);
	add_user(fx, "carol", "carol@example.org", NULL, NULL);
	assign(fx, "devs", "alice");
	assign(fx, "devs", "carol");
	for (size_t i = 0; i < 3; i++) {
		uint32_t len = (uint32_t)strlen(stored[i]);

		rec[n] = 1, rec[n + 1] = 0;
		for (int b = 0; b < 4; b++)
			rec[n + 2 + b] = (unsigned char)(len >> (8 * b));
		memcpy(rec + n + 6, stored[i], len);
		n += 6 + len;
	}
	assert_int_equal(tdb_store(fx->db->tdb, k, (TDB_DATA){ rec, n }, TDB_REPLACE), 0);
	assert_int_equal(codec_strv_each(rec, n, &count, count_elem, &seen), -EAGAIN);

	assert_int_equal(roster_view_rebuild(fx->db), 0);
	get_gr(fx, "devs", &e, &gr);
	assert_int_equal(gr.nmem, 2);
	assert_memory_equal(gr.members, "alice\0carol", sizeof("alice\0carol"));
	entry_close(&e);

	assign(fx, "devs", "bob");
	get_gr(fx, "devs", &e, &gr);
	assert_int_equal(gr.nmem, 3);
	assert_memory_equal(gr.members, "alice\0bob\0carol", sizeof("alice\0bob\0carol"));
	entry_close(&e);
	d = tdb_fetch(fx->db->tdb, k);
	assert_non_null(d.dptr);
	assert_int_equal(codec_strv_each(d.dptr, d.dsize, &count, count_elem, &seen), 0);
	assert_int_equal(count, 3);
	free(d.dptr);
	assert_healthy(fx);

	/* db import merging into such a list decodes it too */
	assert_int_equal(tdb_store(fx->db->tdb, k, (TDB_DATA){ rec, n }, TDB_REPLACE), 0);
	{
		static const char json[] =
			"{\"type\":\"user\",\"name\":\"dave\",\"email\":\"dave@example.org\",\"roles\":[\"devs\"]}\n";
		struct roster_import_options o = { .format = ROSTER_FORMAT_JSON };
		struct roster_import_report rep;
		FILE *in = fmemopen((void *)json, sizeof(json) - 1, "r");

		assert_non_null(in);
		if (roster_import(fx->db, in, &o, no_reject, NULL, &rep) != 0)
			fail_msg("import: %s", roster_db_error(fx->db));
		fclose(in);
		assert_int_equal(rep.users, 1);
	}
	get_gr(fx, "devs", &e, &gr);
	assert_int_equal(gr.nmem, 3); /* the stored alice and carol (not bob: the list
				       * was put back without him), and dave */
	assert_memory_equal(gr.members, "alice\0carol\0dave", sizeof("alice\0carol\0dave"));
	entry_close(&e);
	d = tdb_fetch(fx->db->tdb, k);
	assert_non_null(d.dptr);
	assert_int_equal(codec_strv_each(d.dptr, d.dsize, &count, count_elem, &seen), 0);
	free(d.dptr);
}

static void test_deleted_role_disappears(void **state)
{
	struct fx *fx = *state;
	uint32_t devs = add_role(fx, "devs", NULL), ops = add_role(fx, "ops", NULL);
	struct view_pw pw;
	struct view_gr gr;
	struct entry e;

	add_user(fx, "alice", "alice@example.org", NULL, NULL);
	assign(fx, "devs", "alice");
	assign(fx, "ops", "alice");
	get_gr(fx, "devs", &e, &gr);
	entry_close(&e);

	txn_begin(fx);
	assert_int_equal(roster_role_delete(fx->db, "devs"), 0);
	txn_commit(fx);
	assert_int_equal(find_name(fx, VIEW_GR_NAME, "devs", &e), -ENOENT);
	assert_int_equal(find_id(fx, VIEW_GR_GID, devs, &e), -ENOENT);
	get_pw(fx, "alice", &e, &pw);
	assert_int_equal(pw.ngroups, 1);
	assert_int_equal(gid_at(&pw, 0), ops);
	entry_close(&e);
	get_gr(fx, "ops", &e, &gr);
	assert_int_equal(gr.nmem, 1);
	entry_close(&e);
	assert_healthy(fx);
}

static unsigned count_entries(struct fx *fx)
{
	unsigned n = 0;

	for (unsigned no = 0; no < VIEW_SHARDS; no++) {
		char path[PATH_MAX];
		struct view_map m;
		const unsigned char *k, *v;
		uint32_t pos = 0, kl, vl;

		assert_int_equal(view_shard_path(path, sizeof(path), fx->dbdir, no), 0);
		if (view_map_open(path, &m) < 0)
			continue;
		while (view_map_next(&m, &pos, &k, &kl, &v, &vl) == 0) {
			/* every entry sits in the shard its body hashes to */
			assert_int_equal(shard_for_key((const char *)k, kl), no);
			n++;
		}
		view_map_close(&m);
	}
	return n;
}

/* The shard files in the view directory; each must hold entries. */
static unsigned count_files(struct fx *fx)
{
	char dir[PATH_MAX], path[PATH_MAX + 300];
	struct dirent *d;
	unsigned n = 0;
	DIR *dp;

	snprintf(dir, sizeof(dir), "%s/view", fx->dbdir);
	dp = opendir(dir);
	assert_non_null(dp);
	while ((d = readdir(dp))) {
		struct view_header h;
		struct view_map m;

		if (strncmp(d->d_name, "shard.", 6) != 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, d->d_name);
		assert_int_equal(view_map_open(path, &m), 0);
		memcpy(&h, m.base, sizeof(h));
		assert_true(h.nentries > 0);
		view_map_close(&m);
		n++;
	}
	closedir(dp);
	return n;
}

/* A shard without entries has no file: a new database's view is the admin
 * role's one or two files, a shard that loses its last entry loses its
 * file, and a rebuild leaves no file of version 2's 256 behind. */
static void test_empty_shard_has_no_file(void **state)
{
	struct fx *fx = *state;
	unsigned before = count_files(fx), with;
	char path[PATH_MAX], old[PATH_MAX + 32];
	struct view_gr gr;
	uint32_t gid;
	struct entry e;

	assert_true(before >= 1 && before <= 2);
	gid = add_role(fx, "devs", NULL);
	with = count_files(fx);
	assert_true(with >= before && with <= before + 2);
	get_gr(fx, "devs", &e, &gr);
	assert_int_equal(gr.gid, gid);
	entry_close(&e);

	txn_begin(fx);
	assert_int_equal(roster_role_delete(fx->db, "devs"), 0);
	txn_commit(fx);
	assert_int_equal(count_files(fx), before);
	assert_int_equal(find_id(fx, VIEW_GR_GID, gid, &e), -ENOENT);
	assert_healthy(fx);

	snprintf(path, sizeof(path), "%s/view", fx->dbdir);
	for (unsigned no = 0; no < 256; no += 85) {
		snprintf(old, sizeof(old), "%s/shard.%03u", path, no);
		write_file(old, "a version 2 shard");
		snprintf(old, sizeof(old), "%s/shard.%03u.tmp", path, no);
		write_file(old, "a half-written version 2 shard");
	}
	assert_int_equal(roster_view_rebuild(fx->db), 0);
	assert_int_equal(count_files(fx), before);
	assert_healthy(fx);
}

/* A user is four entries (passwd by name and uid, group by name and gid),
 * a role two; nothing else is in the view. */
static void test_view_holds_exactly_the_entries(void **state)
{
	struct fx *fx = *state;

	assert_int_equal(count_entries(fx), 2); /* the admin role */
	add_role(fx, "devs", NULL);
	add_user(fx, "alice", "alice@example.org", NULL, NULL);
	add_user(fx, "bob", "bob@example.org", NULL, NULL);
	assign(fx, "devs", "bob");
	assert_int_equal(count_entries(fx), 2 * 2 + 2 * 4);
	txn_begin(fx);
	assert_int_equal(roster_role_delete(fx->db, "devs"), 0);
	txn_commit(fx);
	assert_int_equal(count_entries(fx), 2 + 2 * 4);
	/* a full rebuild gives the same */
	assert_int_equal(roster_view_rebuild(fx->db), 0);
	assert_int_equal(count_entries(fx), 2 + 2 * 4);
}

/* ---- what the view must never hold ---- */

static void test_no_email_or_hash_in_view(void **state)
{
	struct fx *fx = *state;
	struct roster_user *u = NULL;
	char hash[ROSTER_HASH_MAX];
	unsigned files = 0;

	add_user(fx, "alice", "alice@example.org", "Alice", "Liddell");
	add_user(fx, "bob", "Bob.Builder@corp.example.net", NULL, NULL);
	assert_int_equal(roster_user_get(fx->db, "alice", &u), 0);
	assert_int_equal(roster_password_hash(fx->cfg, "correct horse battery", hash), 0);
	u->pwhash = strdup(hash);
	txn_begin(fx);
	assert_int_equal(roster_user_update(fx->db, u, "user.password"), 0);
	txn_commit(fx);
	assert_int_equal(roster_view_rebuild(fx->db), 0); /* every shard written */

	for (unsigned no = 0; no < VIEW_SHARDS; no++) {
		char path[PATH_MAX];
		unsigned char *raw;
		size_t len;

		assert_int_equal(view_shard_path(path, sizeof(path), fx->dbdir, no), 0);
		if (access(path, F_OK) < 0 && errno == ENOENT)
			continue; /* an empty shard */
		raw = read_all(path, &len);
		files++;
		assert_null(memmem(raw, len, "alice@", 6));
		assert_null(memmem(raw, len, "example.org", 11));
		assert_null(memmem(raw, len, "Bob.Builder", 11));
		assert_null(memmem(raw, len, "corp.example", 12));
		assert_null(memmem(raw, len, "$argon2id", 9));
		assert_null(memmem(raw, len, hash + 30, 16)); /* part of salt and hash */
		assert_null(memmem(raw, len, u->uuid, ROSTER_UUID_LEN));
		free(raw);
	}
	/* alice, bob, their groups and ids, and the admin role: at least
	 * two shards, and surely not all */
	assert_true(files >= 2 && files < VIEW_SHARDS);
	roster_user_free(u);
}

/* ---- hostile files ---- */

static void copy_with(const unsigned char *p, size_t n, const char *path)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, p, n), (ssize_t)n);
	assert_int_equal(close(fd), 0);
}

static void test_corrupt_shard_refused(void **state)
{
	struct fx *fx = *state;
	char path[PATH_MAX], bad[PATH_MAX];
	struct view_header h;
	struct view_map m;
	unsigned char *raw;
	size_t len;

	add_user(fx, "alice", "alice@example.org", NULL, NULL);
	assert_int_equal(view_shard_path(path, sizeof(path), fx->dbdir,
					 view_shard_of(view_hash("alice", 5))), 0);
	raw = read_all(path, &len);
	fx_path(fx, bad, sizeof(bad), "bad.shard");
	assert_true(len > sizeof(h) + 8);
	memcpy(&h, raw, sizeof(h));
	assert_true(h.nentries >= 2);

	/* the control: an exact copy maps and finds alice */
	copy_with(raw, len, bad);
	assert_int_equal(view_map_open(bad, &m), 0);
	{
		char key[VIEW_KEY_MAX];
		size_t kl = view_make_key(key, VIEW_PW_NAME, "alice");
		const unsigned char *v;
		uint32_t vl;

		assert_int_equal(view_map_find(&m, key, kl, &v, &vl), 0);
	}
	view_map_close(&m);

#define REFUSED(n, mutate)                                                   \
	do {                                                                 \
		struct view_header x = h;                                    \
		memcpy(raw, &h, sizeof(h));                                  \
		mutate;                                                      \
		memcpy(raw, &x, sizeof(x));                                  \
		copy_with(raw, n, bad);                                      \
		if (view_map_open(bad, &m) != -EBADMSG)                      \
			fail_msg("view_map_open accepted: %s", #mutate);     \
	} while (0)
	REFUSED(len - 1, (void)0);                    /* truncated by a byte */
	REFUSED(len / 2, (void)0);                    /* truncated by half */
	REFUSED(sizeof(h) - 1, (void)0);              /* shorter than a header */
	REFUSED(0, (void)0);                          /* empty */
	REFUSED(len, x.magic ^= 1);                   /* not our magic */
	REFUSED(len, x.magic = __builtin_bswap64(VIEW_MAGIC)); /* other byte order */
	REFUSED(len, x.version = VIEW_VERSION + 1);
	REFUSED(len, x.shard = VIEW_SHARDS);
	REFUSED(len, x.nbuckets = 0);
	REFUSED(len, x.nbuckets = UINT32_MAX);        /* the table would leave the file */
	REFUSED(len, x.nentries = UINT32_MAX);
	REFUSED(len, x.nentries = (uint32_t)len);
	REFUSED(len, x.file_size = len + 1);
	REFUSED(len, x.file_size = 0);
#undef REFUSED
	/* and a file larger than its header says */
	memcpy(raw, &h, sizeof(h));
	raw = realloc(raw, len + 4);
	assert_non_null(raw);
	memset(raw + len, 0, 4);
	copy_with(raw, len + 4, bad);
	assert_int_equal(view_map_open(bad, &m), -EBADMSG);
	free(raw);

	/* not a regular file, or a link to one */
	assert_int_equal(view_map_open(fx->dir, &m), -EBADMSG);
	assert_int_equal(unlink(bad), 0);
	assert_int_equal(symlink(path, bad), 0);
	assert_int_equal(view_map_open(bad, &m), -ELOOP);
	fx_path(fx, bad, sizeof(bad), "no-such-shard");
	assert_int_equal(view_map_open(bad, &m), -ENOENT);
}

/* A shard written by hand, exactly one page long: header, one bucket,
 * one slot, one record "pbob" -> "x". */
#define PAGE 4096
#define REC_OFF (sizeof(struct view_header) + 2 * 4 + sizeof(struct view_slot))

static void craft(unsigned char *f, uint32_t bucket_lo, uint32_t bucket_hi, uint32_t slot_off,
		  uint32_t klen, uint32_t vlen)
{
	struct view_header h = { VIEW_MAGIC, VIEW_VERSION, 0, 1, 1, 1, PAGE };
	struct view_slot s;
	uint32_t b[2] = { bucket_lo, bucket_hi };

	memset(f, 0, PAGE);
	s.hash = (uint32_t)view_hash("bob", 3) ^ (unsigned char)'p';
	s.offset = slot_off;
	memcpy(f, &h, sizeof(h));
	memcpy(f + sizeof(h), b, sizeof(b));
	memcpy(f + sizeof(h) + sizeof(b), &s, sizeof(s));
	memcpy(f + REC_OFF, &klen, 4);
	memcpy(f + REC_OFF + 4, &vlen, 4);
	memcpy(f + REC_OFF + 8, "pbobx", 5);
}

/* Maps the crafted file so that the byte after it is an inaccessible
 * page: a reader that strays past the end faults instead of reading
 * whatever happens to follow. */
static int crafted_find(struct fx *fx, const unsigned char *f, const unsigned char **v,
			uint32_t *vl, int *next_r)
{
	char path[PATH_MAX];
	struct view_map m, guarded;
	unsigned char *area;
	const unsigned char *k, *nv;
	uint32_t pos = 0, kl, nvl;
	int r;

	fx_path(fx, path, sizeof(path), "crafted.shard");
	copy_with(f, PAGE, path);
	r = view_map_open(path, &m);
	if (r < 0)
		return r;
	area = mmap(NULL, 2 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	assert_true(area != MAP_FAILED);
	memcpy(area, m.base, PAGE);
	assert_int_equal(mprotect(area + PAGE, PAGE, PROT_NONE), 0);
	guarded = m;
	guarded.base = area;
	r = view_map_find(&guarded, "pbob", 4, v, vl);
	if (r == 0) {
		assert_true(*v >= area && *v + *vl <= area + PAGE);
		*v = NULL; /* it pointed into the copy, which goes away */
	}
	*next_r = view_map_next(&guarded, &pos, &k, &kl, &nv, &nvl);
	if (*next_r == 0)
		assert_true(k >= area && nv + nvl <= area + PAGE);
	munmap(area, 2 * PAGE);
	view_map_close(&m);
	return r;
}

static void test_find_never_reads_past_the_file(void **state)
{
	struct fx *fx = *state;
	unsigned char f[PAGE];
	const unsigned char *v;
	uint32_t vl;
	int next;
	const struct {
		uint32_t lo, hi, off, klen, vlen;
		const char *what;
	} bad[] = {
		{ 0, 1, PAGE + 1000, 4, 1, "slot offset past the end" },
		{ 0, 1, PAGE, 4, 1, "slot offset at the end" },
		{ 0, 1, PAGE - 4, 4, 1, "record header across the end" },
		{ 0, 1, UINT32_MAX, 4, 1, "slot offset UINT32_MAX" },
		{ 0, 1, REC_OFF, UINT32_MAX, 1, "key length UINT32_MAX" },
		{ 0, 1, REC_OFF, 4, PAGE, "value past the end" },
		{ 0, 1, REC_OFF, 4, UINT32_MAX - 3, "key + value wrap 32 bits" },
		{ 0, 1, REC_OFF, 0x80000000u, 0x80000000u, "lengths summing to 2^32" },
	};

	(void)state;
	/* the control */
	craft(f, 0, 1, REC_OFF, 4, 1);
	assert_int_equal(crafted_find(fx, f, &v, &vl, &next), 0);
	assert_int_equal(vl, 1);
	assert_int_equal(next, 0);

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int r;

		craft(f, bad[i].lo, bad[i].hi, bad[i].off, bad[i].klen, bad[i].vlen);
		r = crafted_find(fx, f, &v, &vl, &next);
		if (r != -EBADMSG)
			fail_msg("%s: view_map_find gave %d, want -EBADMSG", bad[i].what, r);
		if (next != -EBADMSG)
			fail_msg("%s: view_map_next gave %d, want -EBADMSG", bad[i].what, next);
	}

	/* bucket bounds that disagree with the slot table */
	craft(f, 1, 0, REC_OFF, 4, 1);
	assert_int_equal(crafted_find(fx, f, &v, &vl, &next), -EBADMSG);
	craft(f, 0, 2, REC_OFF, 4, 1);
	assert_int_equal(crafted_find(fx, f, &v, &vl, &next), -EBADMSG);
	craft(f, 0, UINT32_MAX, REC_OFF, 4, 1);
	assert_int_equal(crafted_find(fx, f, &v, &vl, &next), -EBADMSG);
}

static void test_decode_checks_value_bounds(void **state)
{
	unsigned char v[64];
	struct view_pw pw;
	struct view_gr gr;
	uint32_t x;

	(void)state;
	/* passwd: uid, gid, ngroups, gids, then four strings */
	memset(v, 0, sizeof(v));
	x = 1000, memcpy(v, &x, 4);
	x = 1000, memcpy(v + 4, &x, 4);
	x = 1, memcpy(v + 8, &x, 4);
	x = 2000, memcpy(v + 12, &x, 4);
	memcpy(v + 16, "bob\0Bob\0/home/bob\0/bin/sh", 26);
	assert_int_equal(view_decode_pw(v, 42, &pw), 0);
	assert_string_equal(pw.shell, "/bin/sh");
	assert_int_equal(gid_at(&pw, 0), 2000);
	for (uint32_t n = 0; n < 42; n++)
		if (view_decode_pw(v, n, &pw) != -EBADMSG)
			fail_msg("passwd value cut at %u of 42 accepted", n);
	x = 0x40000000, memcpy(v + 8, &x, 4); /* ngroups beyond the value */
	assert_int_equal(view_decode_pw(v, 42, &pw), -EBADMSG);
	x = UINT32_MAX, memcpy(v + 8, &x, 4);
	assert_int_equal(view_decode_pw(v, 42, &pw), -EBADMSG);

	/* group: gid, nmem, name, members */
	memset(v, 0, sizeof(v));
	x = 3000, memcpy(v, &x, 4);
	x = 2, memcpy(v + 4, &x, 4);
	memcpy(v + 8, "devs\0alice\0bob", 15);
	assert_int_equal(view_decode_gr(v, 23, &gr), 0);
	assert_int_equal(gr.members_len, 10);
	for (uint32_t n = 0; n < 23; n++)
		if (view_decode_gr(v, n, &gr) != -EBADMSG)
			fail_msg("group value cut at %u of 23 accepted", n);
	x = 3, memcpy(v + 4, &x, 4); /* one member more than there is */
	assert_int_equal(view_decode_gr(v, 23, &gr), -EBADMSG);
	x = UINT32_MAX, memcpy(v + 4, &x, 4);
	assert_int_equal(view_decode_gr(v, 23, &gr), -EBADMSG);
}

/* ---- replacement ---- */

static void test_map_current_notices_replacement(void **state)
{
	struct fx *fx = *state;
	char path[PATH_MAX];
	struct entry old, now;
	struct view_pw pw;

	add_user(fx, "alice", "alice@example.org", "Alice", "Liddell");
	assert_int_equal(view_shard_path(path, sizeof(path), fx->dbdir,
					 view_shard_of(view_hash("alice", 5))), 0);
	get_pw(fx, "alice", &old, &pw);
	assert_int_equal(view_map_current(path, &old.m), 1);

	/* a commit that does not touch this shard leaves it in place */
	add_role(fx, view_shard_of(view_hash("ops", 3)) != view_shard_of(view_hash("alice", 5)) ?
			     "ops" : "qa",
		 NULL);
	assert_int_equal(view_map_current(path, &old.m), 1);

	set_names(fx, "alice", "Alice", "Hargreaves");
	assert_int_equal(view_map_current(path, &old.m), 0);
	/* the old map is still whole and still says what it said */
	assert_int_equal(view_decode_pw(old.v, old.vlen, &pw), 0);
	assert_string_equal(pw.gecos, "Alice Liddell");
	get_pw(fx, "alice", &now, &pw);
	assert_string_equal(pw.gecos, "Alice Hargreaves");
	assert_int_equal(view_map_current(path, &now.m), 1);

	assert_int_equal(unlink(path), 0);
	assert_int_equal(view_map_current(path, &now.m), -ENOENT);
	entry_close(&old);
	entry_close(&now);
}

/* ---- damage elsewhere ---- */

struct first_user {
	char key[64];
};

static int first_user_key(struct tdb_context *tdb, TDB_DATA k, TDB_DATA d, void *priv)
{
	struct first_user *f = priv;

	(void)tdb;
	(void)d;
	if (k.dsize < 5 || memcmp(k.dptr, "user/", 5) != 0 || k.dsize >= sizeof(f->key))
		return 0;
	memcpy(f->key, k.dptr, k.dsize);
	f->key[k.dsize] = '\0';
	return 1;
}

/* One damaged user record must not take other users out of the view: a
 * rebuild (or db check --repair) either fails and leaves the view alone,
 * or skips that one record. */
static void test_damaged_record_keeps_others_in_view(void **state)
{
	struct fx *fx = *state;
	static const char *const names[] = { "alice", "bob", "carol", "dave", "erin" };
	struct first_user first = { "" };
	struct roster_check_report rep;
	struct problems p;
	TDB_DATA k, d;
	struct entry e;
	int r;

	for (size_t i = 0; i < 5; i++) {
		char email[64];

		snprintf(email, sizeof(email), "%s@example.org", names[i]);
		add_user(fx, names[i], email, NULL, NULL);
	}
	/* damage the user the database walk meets first */
	assert_true(tdb_traverse_read(fx->db->tdb, first_user_key, &first) > 0);
	assert_true(first.key[0] != '\0');
	k = (TDB_DATA){ (unsigned char *)first.key, strlen(first.key) };
	d = tdb_fetch(fx->db->tdb, k);
	assert_non_null(d.dptr);
	d.dptr[2] = 2; /* a record version this roster does not know */
	assert_int_equal(tdb_store(fx->db->tdb, k, d, TDB_REPLACE), 0);
	free(d.dptr);

	r = roster_view_rebuild(fx->db);
	for (size_t i = 0; i < 5; i++) {
		if (strcmp(first.key + 5, names[i]) == 0)
			continue;
		if (find_name(fx, VIEW_PW_NAME, names[i], &e) != 0)
			fail_msg("after damaging %s, a rebuild (returning %d) lost %s from the view",
				 first.key, r, names[i]);
		entry_close(&e);
	}

	memset(&p, 0, sizeof(p));
	assert_int_equal(roster_db_check(fx->db, true, collect_problem, &p, &rep), 0);
	assert_true(rep.problems >= 1);
	assert_non_null(strstr(p.text, first.key));
	for (size_t i = 0; i < 5; i++) {
		if (strcmp(first.key + 5, names[i]) == 0)
			continue;
		if (find_name(fx, VIEW_PW_NAME, names[i], &e) != 0)
			fail_msg("after damaging %s, db check --repair lost %s from the view", first.key,
				 names[i]);
		entry_close(&e);
	}
}

/* Every name view_shard_path writes reads back as its shard, and nothing
 * else is taken for a shard: the NSS walk opens only the names it lists. */
static void test_shard_names_read_back(void **state)
{
	static const char *const not_shards[] = {
		"shard.1024", "shard.0001.tmp", "shard.001", "shard.00001", "shard.", "shard.00a1",
		"Shard.0001", "generation", ".", "..", "shard.-001",
	};
	char path[PATH_MAX];

	(void)state;
	for (unsigned no = 0; no < VIEW_SHARDS; no++) {
		assert_int_equal(view_shard_path(path, sizeof(path), "/db", no), 0);
		assert_int_equal(view_shard_of_name(strrchr(path, '/') + 1), no);
	}
	for (size_t i = 0; i < sizeof(not_shards) / sizeof(*not_shards); i++)
		assert_int_equal(view_shard_of_name(not_shards[i]), VIEW_SHARDS);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, fx_setup, fx_teardown)
	const struct CMUnitTest tests[] = {
		T(test_passwd_entry),
		T(test_role_members_not_canonical),
		T(test_private_group_entry),
		T(test_role_group_lists_members),
		T(test_deleted_role_disappears),
		T(test_view_holds_exactly_the_entries),
		T(test_no_email_or_hash_in_view),
		T(test_empty_shard_has_no_file),
		T(test_corrupt_shard_refused),
		T(test_find_never_reads_past_the_file),
		cmocka_unit_test(test_decode_checks_value_bounds),
		cmocka_unit_test(test_shard_names_read_back),
		T(test_map_current_notices_replacement),
		T(test_damaged_record_keeps_others_in_view),
	};
#undef T

	return cmocka_run_group_tests(tests, NULL, NULL);
}
