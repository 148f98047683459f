/* view_write.c - derive the NSS view from accounts.tdb.
 *
 * The view holds only what getpwnam(3) and getgrnam(3) show: no hash, no
 * email, no history.  Each entry is computed by one function, entry_for(),
 * from the accounts database, and used by all three paths: the incremental
 * update at commit, the full rebuild, and the comparison in db check.
 */
#include "internal.h"
#include "view.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* ---- computing entries ---- */

/* Role name -> gid, for the passwd entries' group lists.  A full rebuild
 * loads every role; a commit (db set) looks up only the roles its users
 * hold, as it meets them: with a thousand roles, loading them all was most
 * of a single user add. */
struct role_gids {
	char **names; /* sorted, NULL-terminated */
	uint32_t *gids;
	size_t n, cap;
	struct roster_db *db; /* non-NULL: a name not here yet is looked up */
	/* A commit's role entries, kept for the role's second key: a role's
	 * entry goes in under its name and under its gid, most often in two
	 * shards, and a role of a million members takes some 35 ms to make. */
	struct made_entry {
		char *role;
		unsigned char *v;
		size_t len;
	} *made;
	size_t nmade, made_bytes;
};

/* What the kept role entries may hold; past it, an entry is made twice. */
#define MADE_BYTES_MAX (64u << 20)

static void role_gids_free(struct role_gids *rg)
{
	for (size_t i = 0; i < rg->nmade; i++) {
		free(rg->made[i].role);
		free(rg->made[i].v);
	}
	free(rg->made);
	roster_strv_free(rg->names);
	free(rg->gids);
	memset(rg, 0, sizeof(*rg));
}

static int role_gids_load(struct roster_db *db, struct role_gids *rg)
{
	int r = roster_role_names(db, &rg->names);

	rg->n = rg->cap = roster_strv_len(rg->names);
	rg->gids = calloc(rg->n + 1, sizeof(uint32_t));
	if (r == 0 && !rg->gids)
		r = -ENOMEM;
	for (size_t i = 0; r == 0 && i < rg->n; i++) {
		struct roster_role *ro = NULL;

		r = role_load(db, rg->names[i], &ro);
		if (r == 0)
			rg->gids[i] = ro->gid;
		roster_role_free(ro);
	}
	return r;
}

/* 0, -ENOENT (no such role: a vanished one is left out) or -errno. */
static int role_gid(struct role_gids *rg, const char *name, uint32_t *gid)
{
	struct roster_role *ro = NULL;
	size_t lo = 0, hi = rg->n;
	int r;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int d = strcmp(rg->names[mid], name);

		if (d == 0) {
			*gid = rg->gids[mid];
			return 0;
		}
		if (d < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (!rg->db)
		return -ENOENT;
	if ((r = role_load(rg->db, name, &ro)) < 0)
		return r;
	*gid = ro->gid;
	roster_role_free(ro);
	if (rg->n == rg->cap) { /* names keeps room for its NULL */
		size_t cap = rg->cap ? rg->cap * 2 : 16;
		char **nv = realloc(rg->names, (cap + 1) * sizeof(char *));
		uint32_t *gv = nv ? realloc(rg->gids, cap * sizeof(uint32_t)) : NULL;

		if (nv)
			rg->names = nv;
		if (!gv)
			return -ENOMEM;
		rg->gids = gv;
		rg->cap = cap;
	}
	memmove(rg->names + lo + 1, rg->names + lo, (rg->n - lo) * sizeof(char *));
	memmove(rg->gids + lo + 1, rg->gids + lo, (rg->n - lo) * sizeof(uint32_t));
	if (!(rg->names[lo] = strdup(name))) {
		memmove(rg->names + lo, rg->names + lo + 1, (rg->n - lo) * sizeof(char *));
		memmove(rg->gids + lo, rg->gids + lo + 1, (rg->n - lo) * sizeof(uint32_t));
		return -ENOMEM;
	}
	rg->gids[lo] = *gid;
	rg->names[++rg->n] = NULL;
	return 0;
}

static void put_str(struct buf *b, const char *s)
{
	buf_put(b, s ? s : "", s ? strlen(s) + 1 : 1);
}

static int pw_value(const struct roster_user *u, struct role_gids *rg, struct buf *v)
{
	size_t n = roster_strv_len(u->roles);
	uint32_t k = 0;
	char gecos[2 * ROSTER_GECOS_PART_MAX + 2];

	buf_u32(v, u->uid);
	buf_u32(v, u->gid);
	buf_u32(v, (uint32_t)n); /* patched below if a role has vanished */
	for (size_t i = 0; i < n; i++) {
		uint32_t g;
		int r = role_gid(rg, u->roles[i], &g);

		if (r == 0) {
			buf_u32(v, g);
			k++;
		} else if (r != -ENOENT)
			return r;
	}
	if (!v->err && k != n)
		memcpy(v->p + 8, &k, 4);
	snprintf(gecos, sizeof(gecos), "%s%s%s", u->first ? u->first : "",
		 u->first && u->last ? " " : "", u->last ? u->last : "");
	put_str(v, u->name);
	put_str(v, gecos);
	put_str(v, u->home);
	put_str(v, u->shell);
	return v->err;
}

static int gr_value(const char *name, uint32_t gid, char *const *members, struct buf *v)
{
	buf_u32(v, gid);
	buf_u32(v, (uint32_t)roster_strv_len(members));
	put_str(v, name);
	for (size_t i = 0; members && members[i]; i++)
		put_str(v, members[i]);
	return v->err;
}

static bool live(const struct roster_user *u)
{
	return u->status != ROSTER_DELETED;
}

static int id_owner(struct roster_db *db, bool gid, uint32_t id, char *out, size_t outlen)
{
	char key[KEY_MAX];
	TDB_DATA d;
	int r;

	gid ? key_gid(key, id) : key_uid(key, id);
	r = db_fetch(db, key, &d);
	if (r < 0)
		return r;
	if (d.dsize >= outlen)
		r = -EBADMSG;
	else {
		memcpy(out, d.dptr, d.dsize);
		out[d.dsize] = '\0';
	}
	free(d.dptr);
	return r;
}

static int put_member(const char *s, size_t len, void *priv)
{
	struct buf *v = priv;

	buf_put(v, s, len);
	buf_put(v, "", 1);
	return v->err;
}

/* Keeps a copy of role's entry in rg; not keeping it is no error. */
static void made_keep(struct role_gids *rg, const char *role, const void *p, size_t len)
{
	struct made_entry *m;

	if (len > MADE_BYTES_MAX - rg->made_bytes)
		return;
	m = realloc(rg->made, (rg->nmade + 1) * sizeof(*m));
	if (!m)
		return;
	rg->made = m;
	m = &rg->made[rg->nmade];
	m->len = len;
	m->v = malloc(len ? len : 1); /* its size exactly: the cap counts what is held */
	m->role = m->v ? strdup(role) : NULL;
	if (!m->role) {
		free(m->v);
		return;
	}
	memcpy(m->v, p, len);
	rg->nmade++;
	rg->made_bytes += len;
}

/* gr_value() with the members straight from the stored list; with rg,
 * made once per role and commit. */
static int role_entry(struct roster_db *db, struct role_gids *rg, const char *name, struct buf *v)
{
	struct roster_role *ro = NULL;
	char key[KEY_MAX];
	size_t at, count, from = v->len;
	int r;

	for (size_t i = 0; rg && i < rg->nmade; i++)
		if (strcmp(rg->made[i].role, name) == 0) {
			buf_put(v, rg->made[i].v, rg->made[i].len);
			return v->err;
		}
	if ((r = role_load(db, name, &ro)) < 0)
		return r;
	key_members(key, name);
	buf_u32(v, ro->gid);
	at = v->len;
	buf_u32(v, 0); /* the count, patched below */
	put_str(v, ro->name);
	r = db_list_each(db, key, &count, put_member, v);
	if (r == 0 && count > UINT32_MAX)
		r = -E2BIG;
	if (r == 0 && !v->err) {
		uint32_t c = (uint32_t)count;

		memcpy(v->p + at, &c, sizeof(c));
		if (rg)
			made_keep(rg, name, v->p + from, v->len - from);
	}
	roster_role_free(ro);
	return r ?: v->err;
}

static int user_entry(struct roster_db *db, const char *name, struct role_gids *rg, bool group,
		      uint32_t want_id, struct buf *v)
{
	struct roster_user *u = NULL;
	int r = user_load(db, name, &u);

	if (r == 0 && (!live(u) || (group && u->gid != u->uid) ||
		       (want_id != UINT32_MAX && (group ? u->gid : u->uid) != want_id)))
		r = -ENOENT;
	if (r == 0)
		r = group ? gr_value(u->name, u->gid, NULL, v) : pw_value(u, rg, v);
	roster_user_free(u);
	return r;
}

/* The value of view key kind+body, or -ENOENT when it has none. */
static int entry_for(struct roster_db *db, struct role_gids *rg, char kind, const char *body,
		     struct buf *v)
{
	char owner[KEY_MAX];
	unsigned long id;
	int r;

	switch (kind) {
	case VIEW_PW_NAME:
		return user_entry(db, body, rg, false, UINT32_MAX, v);
	case VIEW_GR_NAME:
		r = role_entry(db, rg, body, v);
		return r == -ENOENT ? user_entry(db, body, rg, true, UINT32_MAX, v) : r;
	case VIEW_PW_UID:
	case VIEW_GR_GID:
		id = strtoul(body, NULL, 10);
		r = id_owner(db, kind == VIEW_GR_GID, (uint32_t)id, owner, sizeof(owner));
		if (r < 0)
			return r;
		if (kind == VIEW_PW_UID)
			return user_entry(db, owner, rg, false, (uint32_t)id, v);
		if (strncmp(owner, "r:", 2) == 0)
			return role_entry(db, rg, owner + 2, v);
		if (strncmp(owner, "u:", 2) == 0)
			return user_entry(db, owner + 2, rg, true, (uint32_t)id, v);
		return -EBADMSG;
	}
	return -EINVAL;
}

/* ---- building shard files ---- */

/* A run of records that go into a new shard as they are. */
struct seg {
	const unsigned char *p;
	size_t len;
};

struct shard {
	struct buf rec; /* records: u32 klen, u32 vlen, key, value, pad */
	uint32_t n;     /* records in kept and rec */
	struct seg *kept; /* runs of the old shard's records (inside its map),
			   * written as they are, before rec */
	size_t nkept;
};

static void shard_free(struct shard *s)
{
	buf_free(&s->rec);
	free(s->kept);
	s->kept = NULL;
	s->nkept = 0;
}

static void shard_add(struct shard *s, const void *k, uint32_t klen, const void *v, uint32_t vlen)
{
	static const unsigned char pad[4];
	size_t total = 8 + (size_t)klen + vlen;

	buf_u32(&s->rec, klen);
	buf_u32(&s->rec, vlen);
	buf_put(&s->rec, k, klen);
	buf_put(&s->rec, v, vlen);
	buf_put(&s->rec, pad, (4 - total % 4) % 4);
	s->n++;
}

static uint32_t slot_hash(const unsigned char *key, uint32_t klen)
{
	return (uint32_t)view_hash(key + 1, klen - 1) ^ key[0];
}

/* The header, bucket index and slots that go before the records (which
 * are written from s->rec as they are, not copied again). */
static int shard_serialize(struct shard *s, unsigned shard_no, uint64_t gen, struct buf *out)
{
	struct view_header h = { VIEW_MAGIC, VIEW_VERSION, shard_no, s->n ? s->n : 1, s->n, gen, 0 };
	size_t head = sizeof(h) + ((size_t)h.nbuckets + 1) * 4 + (size_t)s->n * sizeof(struct view_slot);
	size_t body = s->rec.len;
	uint32_t *start = calloc((size_t)h.nbuckets + 1, 4), *fill = NULL;
	struct view_slot *slots = calloc(s->n ? s->n : 1, sizeof(*slots));
	uint32_t *hashes = calloc(s->n ? s->n : 1, 4), *offs = calloc(s->n ? s->n : 1, 4);
	size_t base = 0;
	uint32_t i = 0;
	int r = 0;

	for (size_t g = 0; g < s->nkept; g++)
		body += s->kept[g].len;
	if (!start || !slots || !hashes || !offs || s->rec.err) {
		r = s->rec.err ? s->rec.err : -ENOMEM;
		goto out;
	}
	if (head + body > UINT32_MAX) {
		r = -EFBIG;
		goto out;
	}
	/* The kept runs, then rec: every record's hash and file offset. */
	for (size_t g = 0; g <= s->nkept; g++) {
		const unsigned char *p = g < s->nkept ? s->kept[g].p : s->rec.p;
		size_t len = g < s->nkept ? s->kept[g].len : s->rec.len;

		for (size_t off = 0; off < len && i < s->n; i++) {
			uint32_t klen, vlen;

			memcpy(&klen, p + off, 4);
			memcpy(&vlen, p + off + 4, 4);
			hashes[i] = slot_hash(p + off + 8, klen);
			offs[i] = (uint32_t)(head + base + off);
			start[hashes[i] % h.nbuckets + 1]++;
			off += (8 + klen + vlen + 3) & ~(size_t)3;
		}
		base += len;
	}
	if (i != s->n) {
		r = -EBADMSG;
		goto out;
	}
	for (uint32_t b = 0; b < h.nbuckets; b++)
		start[b + 1] += start[b];
	fill = calloc(h.nbuckets, 4);
	if (!fill) {
		r = -ENOMEM;
		goto out;
	}
	for (uint32_t k = 0; k < s->n; k++) {
		uint32_t b = hashes[k] % h.nbuckets;

		slots[start[b] + fill[b]++] = (struct view_slot){ hashes[k], offs[k] };
	}
	h.file_size = head + body;
	buf_put(out, &h, sizeof(h));
	buf_put(out, start, ((size_t)h.nbuckets + 1) * 4);
	buf_put(out, slots, (size_t)s->n * sizeof(*slots));
	r = out->err;
out:
	free(start);
	free(fill);
	free(slots);
	free(hashes);
	free(offs);
	return r;
}

static int write_all(int fd, const void *p, size_t n)
{
	const char *c = p;

	while (n) {
		ssize_t w = write(fd, c, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -errno;
		c += w;
		n -= (size_t)w;
	}
	return 0;
}

/* Writes <dir>/view/shard.NNNN.tmp, mode 0644, and fsyncs it if sync
 * (else the caller syncs the file system before renaming it). */
static int shard_write_tmp(struct roster_db *db, struct shard *s, unsigned no, uint64_t gen,
			   bool sync)
{
	char path[4096], tmp[4200];
	struct buf file = { 0 };
	int fd = -1, r;

	r = view_shard_path(path, sizeof(path), db->cfg->dbdir, no);
	if (r < 0)
		return r;
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	r = shard_serialize(s, no, gen, &file);
	if (r < 0)
		goto out;
	unlink(tmp);
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (fd < 0 || fchmod(fd, 0644) < 0) {
		r = -errno;
		goto out;
	}
	r = write_all(fd, file.p, file.len);
	for (size_t g = 0; r == 0 && g < s->nkept; g++)
		r = write_all(fd, s->kept[g].p, s->kept[g].len);
	r = r ?: write_all(fd, s->rec.p, s->rec.len);
	if (r == 0 && sync && fsync(fd) < 0)
		r = -errno;
out:
	if (fd >= 0 && close(fd) < 0 && r == 0)
		r = -errno;
	if (r < 0) {
		unlink(tmp);
		if (r == -ENOSPC || r == -EDQUOT)
			db_fail(db, r, "cannot write the NSS view %s: %s (the file system holding %s is full); "
				"nothing was changed", tmp, strerror(-r), db->cfg->dbdir);
		else
			db_fail(db, r, "cannot write the NSS view %s: %s", tmp, strerror(-r));
	}
	buf_free(&file);
	return r;
}

/* Removes a shard's temporary file, written or half-written. */
static void shard_discard_tmp(struct roster_db *db, unsigned no)
{
	char path[4096], tmp[4200];

	if (view_shard_path(path, sizeof(path), db->cfg->dbdir, no) == 0) {
		snprintf(tmp, sizeof(tmp), "%s.tmp", path);
		unlink(tmp);
	}
}

/* Puts the written shard.NNNN.tmp in place; or, for a shard left without
 * entries, removes its file: a missing shard is an empty one. */
static int shard_install(struct roster_db *db, unsigned no, bool empty)
{
	char path[4096], tmp[4200];
	int r = view_shard_path(path, sizeof(path), db->cfg->dbdir, no);

	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	if (r == 0 && !empty && rename(tmp, path) < 0)
		r = db_fail(db, -errno, "cannot install %s: %s", path, strerror(errno));
	if (r == 0 && empty && unlink(path) < 0 && errno != ENOENT)
		r = db_fail(db, -errno, "cannot remove the emptied %s: %s", path, strerror(errno));
	return r;
}

/* syncfs(2) on dirfd, opened BEFORE the files it is to make durable
 * were written: syncfs reports a write-back error that happened since
 * that open (Linux 5.8 and later), even if another process saw it first. */
static int sync_fs(struct roster_db *db, int dirfd, const char *dir)
{
	int r = syncfs(dirfd) < 0 ? -errno : 0;

	if (r == -ENOSPC || r == -EDQUOT)
		return db_fail(db, r, "cannot write the NSS view in %s: %s (the file system holding %s is full)",
			       dir, strerror(-r), db->cfg->dbdir);
	return r < 0 ? db_fail(db, r, "cannot write the NSS view in %s: %s", dir, strerror(-r)) : 0;
}

static int sync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC), r = 0;

	if (fd < 0)
		return -errno;
	if (fsync(fd) < 0)
		r = -errno;
	close(fd);
	return r;
}

/* The renames of the shards must be durable before the stamp says the
 * view is current: a stamp that leads them would hide a lost rename from
 * every later writer. */
static int sync_view_dir(struct roster_db *db, const char *dir)
{
	int r = sync_dir(dir);

	return r < 0 ? db_fail(db, r, "cannot sync %s: %s; what was committed stays, and the next "
				      "write rebuilds the view", dir, strerror(-r))
		     : 0;
}

static int write_stamp(struct roster_db *db, uint64_t gen)
{
	char path[4096], text[64];
	struct timespec ts;
	unsigned long long nonce;
	int fd, r = 0, n;

	clock_gettime(CLOCK_REALTIME, &ts);
	nonce = ((unsigned long long)ts.tv_sec * 1000000000ULL + (unsigned long long)ts.tv_nsec) ^
		((unsigned long long)getpid() << 48);
	snprintf(path, sizeof(path), "%s/" VIEW_DIR "/" VIEW_STAMP, db->cfg->dbdir);
	n = snprintf(text, sizeof(text), VIEW_STAMP_FORMAT, VIEW_VERSION, (unsigned long long)gen, nonce);
	/* Rewritten in place: no new block is needed, so a full disk cannot
	 * stop a committed change from being stamped. */
	fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (fd < 0 || fchmod(fd, 0644) < 0 || pwrite(fd, text, (size_t)n, 0) != n || fdatasync(fd) < 0)
		r = -errno;
	if (fd >= 0)
		close(fd);
	return r < 0 ? db_fail(db, r, "cannot write %s: %s", path, strerror(-r)) : 0;
}

int view_read_stamp(const char *dbdir, uint64_t *gen)
{
	char path[4096], text[64] = "";
	unsigned version;
	unsigned long long g, nonce;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "%s/" VIEW_DIR "/" VIEW_STAMP, dbdir);
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return -errno;
	n = read(fd, text, sizeof(text) - 1);
	close(fd);
	if (n != VIEW_STAMP_LEN || sscanf(text, VIEW_STAMP_FORMAT, &version, &g, &nonce) != 3)
		return -EBADMSG;
	/* A view in another format is rebuilt by the next writer. */
	if (version != VIEW_VERSION)
		return -ESTALE;
	*gen = g;
	return 0;
}

static unsigned shard_of_key(const char *key, size_t klen)
{
	return view_shard_of(view_hash(key + 1, klen - 1));
}

/* ---- the incremental update at commit ---- */

struct key_ref {
	const char *p;
	uint32_t len;
};

/* Whether k is among keys, which are in strcmp order (a subsequence of
 * db->touched): a binary search without copying k to terminate it. */
static bool key_in(const struct key_ref *keys, size_t n, const unsigned char *k, uint32_t klen)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		uint32_t ml = keys[mid].len;
		int c = memcmp(keys[mid].p, k, ml < klen ? ml : klen);

		if (c == 0)
			c = ml < klen ? -1 : ml > klen;
		if (c == 0)
			return true;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return false;
}

/* Appends to s.kept the run [from, to) of an old shard's records, unless
 * empty.  s.kept holds nkeys + 1 runs: a touched key ends a run, and one
 * seen twice means a shard we did not write. */
static int keep_run(struct shard *s, size_t nkeys, const unsigned char *from, const unsigned char *to)
{
	if (to == from)
		return 0;
	if (s->nkept > nkeys)
		return -EBADMSG;
	s->kept[s->nkept++] = (struct seg){ from, (size_t)(to - from) };
	return 0;
}

/* Keeps in s the records of the old shard m that none of its touched keys
 * names, in file order, as runs inside m (which must stay mapped until s is
 * written): nothing is copied.  A shard holds about 4 entries per 1,024
 * users, and walking it by slot, copying record by record, was most of a
 * single add's time at a million users.  On failure s is as it was:
 * -EBADMSG when the records do not tile the rest of the file as its header
 * says. */
static int shard_keep_untouched(const struct key_ref *keys, size_t nkeys, const struct view_map *m,
				struct shard *s)
{
	struct view_header h;
	const unsigned char *p, *end, *run;
	uint32_t seen = 0, kept = 0;
	int r = 0;

	memcpy(&h, m->base, sizeof(h));
	p = m->base + sizeof(h) + ((size_t)h.nbuckets + 1) * 4 + (size_t)h.nentries * sizeof(struct view_slot);
	end = m->base + m->size;
	s->kept = calloc(nkeys + 1, sizeof(*s->kept));
	if (!s->kept)
		return -ENOMEM;
	for (run = p; r == 0 && p < end; seen++) {
		uint32_t klen, vlen;
		uint64_t len = 0; /* 64 bits: no wrap where size_t is 32 */

		if (end - p >= 8) {
			memcpy(&klen, p, 4);
			memcpy(&vlen, p + 4, 4);
			len = ((uint64_t)8 + klen + vlen + 3) & ~(uint64_t)3;
		}
		if (len == 0 || klen < 2 || len > (uint64_t)(end - p)) {
			r = -EBADMSG;
			break;
		}
		if (key_in(keys, nkeys, p + 8, klen)) {
			r = keep_run(s, nkeys, run, p);
			run = p + len;
		} else {
			kept++;
		}
		p += len;
	}
	r = r ?: keep_run(s, nkeys, run, p);
	if (r == 0 && seen != h.nentries)
		r = -EBADMSG;
	if (r < 0)
		s->nkept = 0;
	else
		s->n += kept;
	return r;
}

int view_update_touched(struct roster_db *db, uint64_t gen)
{
	struct role_gids rg = { .db = db };
	bool dirty[VIEW_SHARDS] = { false }, empty[VIEW_SHARDS] = { false }, rebuild = false;
	uint16_t *tshard = NULL; /* the shard of each touched key */
	struct key_ref *keys = NULL; /* the touched keys of one shard */
	char *const *t;
	int r = 0;

	touched_seal(db);
	t = db->touched;
	tshard = calloc(db->ntouched + 1, sizeof(*tshard));
	keys = calloc(db->ntouched + 1, sizeof(*keys));
	if (!tshard || !keys)
		r = -ENOMEM;
	for (size_t i = 0; r == 0 && i < db->ntouched; i++) {
		tshard[i] = (uint16_t)shard_of_key(t[i], strlen(t[i]));
		dirty[tshard[i]] = true;
	}
	if (db->all_shards)
		memset(dirty, true, sizeof(dirty));
	for (unsigned no = 0; r == 0 && no < VIEW_SHARDS; no++) {
		struct shard s = { 0 };
		struct view_map m;
		char path[4096];
		size_t nkeys = 0;
		bool mapped;
		int rr;

		if (!dirty[no])
			continue;
		for (size_t i = 0; i < db->ntouched; i++)
			if (tshard[i] == no)
				keys[nkeys++] = (struct key_ref){ t[i], (uint32_t)strlen(t[i]) };
		r = view_shard_path(path, sizeof(path), db->cfg->dbdir, no);
		rr = r ?: view_map_open(path, &m);
		mapped = rr == 0;
		if (mapped)
			rr = shard_keep_untouched(keys, nkeys, &m, &s);
		/* A missing shard is an empty one.  A damaged one: what it
		 * held can only come from the accounts, so rebuild the whole
		 * view.  Out of memory is not damage: the commit is
		 * cancelled. */
		if (rr == -ENOMEM)
			r = rr;
		else if (rr < 0 && rr != -ENOENT)
			rebuild = true;
		for (size_t i = 0; r == 0 && i < db->ntouched; i++) {
			struct buf v = { 0 };

			if (tshard[i] != no)
				continue;
			r = entry_for(db, &rg, t[i][0], t[i] + 1, &v);
			if (r == 0)
				shard_add(&s, t[i], (uint32_t)strlen(t[i]), v.p, (uint32_t)v.len);
			else if (r == -ENOENT)
				r = 0;
			buf_free(&v);
		}
		empty[no] = s.n == 0;
		if (!empty[no])
			r = r ?: shard_write_tmp(db, &s, no, gen, true);
		if (mapped)
			view_map_close(&m); /* after the write: s->kept points into it */
		shard_free(&s);
	}
	role_gids_free(&rg);
	free(tshard);
	free(keys);
	/* Nothing is committed unless every shard was written: the caller
	 * cancels the transaction, and no temporary file is left to hold
	 * space on a disk that may just have filled up. */
	r = r ?: store_commit_tdb(db);
	for (unsigned no = 0; no < VIEW_SHARDS; no++) {
		if (!dirty[no])
			continue;
		if (r == 0)
			r = shard_install(db, no, empty[no]);
		else
			shard_discard_tmp(db, no);
	}
	if (r < 0)
		return r;
	if (rebuild)
		return roster_view_rebuild(db);
	{
		char dir[4096];

		snprintf(dir, sizeof(dir), "%s/" VIEW_DIR, db->cfg->dbdir);
		r = sync_view_dir(db, dir);
	}
	return r ?: write_stamp(db, gen);
}

/* ---- the full rebuild ---- */

struct full {
	struct roster_db *db;
	struct role_gids *rg;
	struct shard *shards;
	int r;
};

static void full_add(struct full *f, char kind, const char *body, struct buf *v)
{
	char key[VIEW_KEY_MAX + 1];
	size_t kl = (size_t)snprintf(key, sizeof(key), "%c%s", kind, body);

	shard_add(&f->shards[shard_of_key(key, kl)], key, (uint32_t)kl, v->p, (uint32_t)v->len);
}

static int full_user(struct tdb_context *tdb, TDB_DATA k, TDB_DATA d, void *priv)
{
	struct full *f = priv;
	struct roster_user *u = NULL;
	struct buf pw = { 0 }, gr = { 0 };
	char id[16];

	(void)tdb;
	if (k.dsize < 5 || memcmp(k.dptr, "user/", 5) != 0)
		return 0;
	/* A record that does not decode is left out (db check names it); it
	 * must not cost every other user their entry. */
	if (codec_user_decode(d.dptr, d.dsize, &u) < 0)
		return 0;
	if (live(u)) {
		f->r = pw_value(u, f->rg, &pw);
		snprintf(id, sizeof(id), "%u", (unsigned)u->uid);
		full_add(f, VIEW_PW_NAME, u->name, &pw);
		full_add(f, VIEW_PW_UID, id, &pw);
		if (u->gid == u->uid) {
			f->r = f->r ?: gr_value(u->name, u->gid, NULL, &gr);
			full_add(f, VIEW_GR_NAME, u->name, &gr);
			full_add(f, VIEW_GR_GID, id, &gr);
		}
	}
	buf_free(&pw);
	buf_free(&gr);
	roster_user_free(u);
	return f->r != 0;
}

/* Every entry the view should hold, sorted into shards. */
static int build_all(struct roster_db *db, struct shard *shards)
{
	struct role_gids rg = { 0 };
	struct full f = { db, &rg, shards, 0 };
	int r = role_gids_load(db, &rg);

	/* One read lock on the whole file instead of one per hash chain:
	 * at a million users the chain locks were 72% of a rebuild. */
	if (r == 0 && tdb_lockall_read(db->tdb) < 0)
		r = -ENOLCK;
	else if (r == 0) {
		r = db_walk(db, full_user, &f);
		tdb_unlockall_read(db->tdb);
	}
	r = r ?: f.r;
	for (size_t i = 0; r == 0 && i < rg.n; i++) {
		struct buf v = { 0 };
		char id[16];

		r = role_entry(db, NULL, rg.names[i], &v); /* once a role */
		snprintf(id, sizeof(id), "%u", (unsigned)rg.gids[i]);
		if (r == 0) {
			full_add(&f, VIEW_GR_NAME, rg.names[i], &v);
			full_add(&f, VIEW_GR_GID, id, &v);
		}
		buf_free(&v);
	}
	role_gids_free(&rg);
	return r;
}

static void shards_free(struct shard *shards)
{
	for (unsigned i = 0; shards && i < VIEW_SHARDS; i++)
		shard_free(&shards[i]);
	free(shards);
}

/* Version 2's 256 files, shard.000 to shard.255, and their temporary
 * files: a rebuild leaves only this version's. */
static void remove_v2_shards(const char *dir)
{
	char path[4200];

	for (unsigned no = 0; no < 256; no++) {
		snprintf(path, sizeof(path), "%s/shard.%03u", dir, no);
		unlink(path);
		snprintf(path, sizeof(path), "%s/shard.%03u.tmp", dir, no);
		unlink(path);
	}
}

int roster_view_rebuild(struct roster_db *db)
{
	struct shard *shards = calloc(VIEW_SHARDS, sizeof(*shards));
	uint64_t gen = 0;
	char dir[4096];
	int dirfd = -1, r;

	if (!shards)
		return -ENOMEM;
	snprintf(dir, sizeof(dir), "%s/" VIEW_DIR, db->cfg->dbdir);
	if (mkdir(dir, 0755) == 0)
		chmod(dir, 0755);
	else if (errno != EEXIST) {
		r = db_fail(db, -errno, "cannot create %s: %s", dir, strerror(errno));
		goto out;
	}
	dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dirfd < 0) {
		r = db_fail(db, -errno, "cannot open %s: %s", dir, strerror(errno));
		goto out;
	}
	r = db_get_u64(db, "meta/generation", &gen);
	if (r == -ENOENT)
		r = 0;
	r = r ?: build_all(db, shards);
	if (r < 0) {
		db_fail(db, r, "cannot read the accounts to rebuild the view: %s", strerror(-r));
		goto out;
	}
	/* Up to 1,024 files: one syncfs(2) rather than an fsync each, which
	 * took 0.35-0.5 s for 1,024 small files on this disk (syncfs: 11-15
	 * ms).  It also flushes whatever else is dirty on that file system,
	 * which a rebuild - a crash, db check --repair, an import, a new view
	 * version - is rare enough to afford. */
	for (unsigned no = 0; r == 0 && no < VIEW_SHARDS; no++)
		if (shards[no].n)
			r = shard_write_tmp(db, &shards[no], no, gen, false);
	r = r ?: sync_fs(db, dirfd, dir);
	for (unsigned no = 0; no < VIEW_SHARDS; no++)
		if (r < 0 || !shards[no].n)
			shard_discard_tmp(db, no);
	for (unsigned no = 0; r == 0 && no < VIEW_SHARDS; no++)
		r = shard_install(db, no, shards[no].n == 0);
	if (r == 0)
		remove_v2_shards(dir);
	r = r ?: sync_view_dir(db, dir);
	r = r ?: write_stamp(db, gen);
out:
	if (dirfd >= 0)
		close(dirfd);
	shards_free(shards);
	return r;
}

/* ---- comparison, for db check ---- */

int view_compare(struct roster_db *db, roster_problem_fn fn, void *priv, unsigned *problems)
{
	struct shard *shards = calloc(VIEW_SHARDS, sizeof(*shards));
	unsigned reported = 0;
	char msg[256];
	int r;

	if (!shards)
		return -ENOMEM;
	r = build_all(db, shards);
	for (unsigned no = 0; r == 0 && no < VIEW_SHARDS; no++) {
		struct view_map m;
		char path[4096];
		uint32_t off = 0, have = 0, pos = 0, kl, vl, want_vl;
		const unsigned char *k, *v, *want_v;
		bool none;
		int rr;

		rr = view_shard_path(path, sizeof(path), db->cfg->dbdir, no) ?: view_map_open(path, &m);
		none = rr == -ENOENT; /* an empty shard */
		if (none)
			m = (struct view_map){ 0 };
		else if (rr < 0) {
			(*problems)++;
			if (reported++ < 20) {
				snprintf(msg, sizeof(msg), "view shard %s is unreadable: %s", path, strerror(-rr));
				fn(msg, priv);
			}
			continue;
		}
		while (!none && view_map_next(&m, &pos, &k, &kl, &v, &vl) == 0)
			have++;
		for (uint32_t i = 0; i < shards[no].n; i++) {
			const unsigned char *p = shards[no].rec.p + off;

			memcpy(&kl, p, 4);
			memcpy(&want_vl, p + 4, 4);
			want_v = p + 8 + kl;
			off += (8 + kl + want_vl + 3) & ~3u;
			rr = none ? -ENOENT : view_map_find(&m, p + 8, kl, &v, &vl);
			if (rr == 0 && vl == want_vl && memcmp(v, want_v, vl) == 0)
				continue;
			(*problems)++;
			if (reported++ < 20) {
				snprintf(msg, sizeof(msg), "view entry %c %.*s is %s", p[8], (int)kl - 1,
					 (const char *)p + 9, rr == 0 ? "out of date" : "missing");
				fn(msg, priv);
			}
		}
		if (have != shards[no].n) {
			(*problems)++;
			if (reported++ < 20) {
				snprintf(msg, sizeof(msg), "view shard %u holds %u entries; the accounts give %u",
					 no, have, shards[no].n);
				fn(msg, priv);
			}
		}
		view_map_close(&m);
	}
	shards_free(shards);
	return r;
}
