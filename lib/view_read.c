/* view_read.c - map and search view shards.  Linked into libnss_roster.
 *
 * MUST rules (this code runs inside every process on the machine):
 *  1. libc only: no allocation beyond mmap, no output, no NSS calls.
 *  2. Never trust the file: every offset and length is checked against the
 *     mapped size before it is dereferenced.
 *  3. Hold no file descriptor: open, map, close.  An application that closes
 *     or reuses fds cannot hurt us, and fds 0-2 are never kept.
 */
#include "view.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

size_t view_make_key(char *out, enum view_kind kind, const char *name)
{
	size_t n = strnlen(name, VIEW_KEY_MAX - 1);

	if (n == 0 || n > VIEW_KEY_MAX - 2)
		return 0;
	out[0] = (char)kind;
	memcpy(out + 1, name, n);
	return n + 1;
}

size_t view_make_idkey(char *out, enum view_kind kind, uint32_t id)
{
	int n;

	out[0] = (char)kind;
	n = snprintf(out + 1, VIEW_KEY_MAX - 1, "%u", (unsigned)id);
	return (size_t)n + 1;
}

/* A shard's file name: written by view_shard_path, read back by
 * view_shard_of_name, which must agree on it. */
#define SHARD_PREFIX "shard."
#define SHARD_DIGITS 4

int view_shard_path(char *out, size_t outlen, const char *dbdir, unsigned shard)
{
	int n = snprintf(out, outlen, "%s/" VIEW_DIR "/" SHARD_PREFIX "%0*u", dbdir, SHARD_DIGITS, shard);

	return n < 0 || (size_t)n >= outlen ? -ENAMETOOLONG : 0;
}

unsigned view_shard_of_name(const char *name)
{
	const size_t plen = sizeof(SHARD_PREFIX) - 1;
	unsigned no = 0;

	if (strncmp(name, SHARD_PREFIX, plen) != 0)
		return VIEW_SHARDS;
	for (size_t i = plen; i < plen + SHARD_DIGITS; i++) {
		if (name[i] < '0' || name[i] > '9')
			return VIEW_SHARDS;
		no = no * 10 + (unsigned)(name[i] - '0');
	}
	return name[plen + SHARD_DIGITS] == '\0' && no < VIEW_SHARDS ? no : VIEW_SHARDS;
}

int view_stamp_version_ok(const unsigned char *text)
{
	static const char prefix[] = "roster-view ";
	unsigned long v = 0;
	size_t i = sizeof(prefix) - 1;

	if (memcmp(text, prefix, i) != 0)
		return 0;
	for (; i < 20 && text[i] >= '0' && text[i] <= '9'; i++)
		v = v * 10 + (unsigned long)(text[i] - '0');
	return i > sizeof(prefix) - 1 && i < 20 && text[i] == ' ' && v == VIEW_VERSION;
}

static int64_t stat_mtime_ns(const struct stat *st)
{
	return (int64_t)st->st_mtim.tv_sec * 1000000000 + st->st_mtim.tv_nsec;
}

static int header_ok(const unsigned char *base, size_t size)
{
	struct view_header h;
	uint64_t need;

	if (size < sizeof(h))
		return 0;
	memcpy(&h, base, sizeof(h));
	if (h.magic != VIEW_MAGIC || h.version != VIEW_VERSION || h.file_size != size)
		return 0;
	if (h.nbuckets == 0 || h.shard >= VIEW_SHARDS)
		return 0;
	need = sizeof(h) + ((uint64_t)h.nbuckets + 1) * 4 + (uint64_t)h.nentries * sizeof(struct view_slot);
	return need <= size;
}

int view_map_open(const char *path, struct view_map *m)
{
	struct stat st;
	void *p;
	int fd, r;

	memset(m, 0, sizeof(*m));
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0) {
		r = -errno;
		close(fd);
		return r;
	}
	if (!S_ISREG(st.st_mode) || st.st_size < (off_t)sizeof(struct view_header) ||
	    (uint64_t)st.st_size > UINT32_MAX) {
		close(fd);
		return -EBADMSG;
	}
	p = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_SHARED, fd, 0);
	r = p == MAP_FAILED ? -errno : 0;
	close(fd);
	if (r < 0)
		return r;
	if (!header_ok(p, (size_t)st.st_size)) {
		munmap(p, (size_t)st.st_size);
		return -EBADMSG;
	}
	m->base = p;
	m->size = (size_t)st.st_size;
	m->dev = st.st_dev;
	m->ino = st.st_ino;
	m->mtime_ns = stat_mtime_ns(&st);
	return 0;
}

void view_map_close(struct view_map *m)
{
	if (m->base)
		munmap((void *)m->base, m->size);
	memset(m, 0, sizeof(*m));
}

int view_map_current(const char *path, const struct view_map *m)
{
	struct stat st;

	if (lstat(path, &st) < 0)
		return -errno;
	return st.st_ino == m->ino && st.st_dev == m->dev &&
	       (size_t)st.st_size == m->size && stat_mtime_ns(&st) == m->mtime_ns;
}

static uint32_t rd32(const unsigned char *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return v;
}

/* Bounds-checks the record at off; sets key and value. */
static int record_at(const struct view_map *m, uint32_t off, const unsigned char **key,
		     uint32_t *klen, const unsigned char **val, uint32_t *vlen)
{
	uint64_t end;

	if ((uint64_t)off + 8 > m->size)
		return -EBADMSG;
	*klen = rd32(m->base + off);
	*vlen = rd32(m->base + off + 4);
	end = (uint64_t)off + 8 + *klen + *vlen;
	if (end > m->size)
		return -EBADMSG;
	*key = m->base + off + 8;
	*val = *key + *klen;
	return 0;
}

int view_map_find(const struct view_map *m, const void *key, size_t klen,
		  const unsigned char **val, uint32_t *vlen)
{
	struct view_header h;
	const unsigned char *buckets, *slots;
	uint32_t hash, b, lo, hi;

	if (klen < 2)
		return -ENOENT;
	memcpy(&h, m->base, sizeof(h));
	hash = (uint32_t)view_hash((const char *)key + 1, klen - 1) ^ (unsigned char)((const char *)key)[0];
	b = hash % h.nbuckets;
	buckets = m->base + sizeof(h);
	slots = buckets + ((size_t)h.nbuckets + 1) * 4;
	lo = rd32(buckets + (size_t)b * 4);
	hi = rd32(buckets + (size_t)b * 4 + 4);
	if (lo > hi || hi > h.nentries)
		return -EBADMSG;
	for (uint32_t i = lo; i < hi; i++) {
		const unsigned char *s = slots + (size_t)i * sizeof(struct view_slot);
		const unsigned char *k;
		uint32_t kl;
		int r;

		if (rd32(s) != hash)
			continue;
		r = record_at(m, rd32(s + 4), &k, &kl, val, vlen);
		if (r < 0)
			return r;
		if (kl == klen && memcmp(k, key, klen) == 0)
			return 0;
	}
	return -ENOENT;
}

int view_map_next(const struct view_map *m, uint32_t *pos, const unsigned char **key,
		  uint32_t *klen, const unsigned char **val, uint32_t *vlen)
{
	struct view_header h;
	const unsigned char *slots;

	memcpy(&h, m->base, sizeof(h));
	if (*pos >= h.nentries)
		return -ENOENT;
	slots = m->base + sizeof(h) + ((size_t)h.nbuckets + 1) * 4;
	return record_at(m, rd32(slots + (size_t)(*pos)++ * sizeof(struct view_slot) + 4),
			 key, klen, val, vlen);
}

/* The next NUL-terminated string in [*p, end), or NULL if unterminated. */
static const char *take_str(const unsigned char **p, const unsigned char *end)
{
	const unsigned char *s = *p, *z;

	if (s >= end)
		return NULL;
	z = memchr(s, '\0', (size_t)(end - s));
	if (!z)
		return NULL;
	*p = z + 1;
	return (const char *)s;
}

int view_decode_pw(const unsigned char *v, uint32_t n, struct view_pw *pw)
{
	const unsigned char *end = v + n, *p;

	if (n < 12)
		return -EBADMSG;
	pw->uid = rd32(v);
	pw->gid = rd32(v + 4);
	pw->ngroups = rd32(v + 8);
	if (pw->ngroups > (n - 12) / 4)
		return -EBADMSG;
	pw->gids = v + 12;
	p = pw->gids + (size_t)pw->ngroups * 4;
	pw->name = take_str(&p, end);
	pw->gecos = take_str(&p, end);
	pw->home = take_str(&p, end);
	pw->shell = take_str(&p, end);
	return pw->name && pw->gecos && pw->home && pw->shell ? 0 : -EBADMSG;
}

int view_decode_gr(const unsigned char *v, uint32_t n, struct view_gr *gr)
{
	const unsigned char *end = v + n, *p;

	if (n < 8)
		return -EBADMSG;
	gr->gid = rd32(v);
	gr->nmem = rd32(v + 4);
	p = v + 8;
	gr->name = take_str(&p, end);
	if (!gr->name)
		return -EBADMSG;
	gr->members = (const char *)p;
	for (uint32_t i = 0; i < gr->nmem; i++)
		if (!take_str(&p, end))
			return -EBADMSG;
	gr->members_len = (size_t)(p - (const unsigned char *)gr->members);
	return 0;
}
