/* view.h - the world-readable NSS view: format, writer and reader.
 *
 * The view is up to VIEW_SHARDS immutable files, view/shard.NNNN, each a
 * hash table of passwd and group entries.  A file is never changed in
 * place: the writer builds a new one, fsyncs it and rename(2)s it over the
 * old, so a reader that has mapped a shard sees either the old or the new
 * file whole.  A shard with no entries has no file: the writer unlinks it
 * when its last entry goes, and a reader takes a missing shard for an empty
 * one as long as view/generation is there and of this VIEW_VERSION (else
 * the view as a whole is missing or from another roster, and unavailable).
 * A database of ten users therefore writes a handful of files, and one of
 * a million users about 280 KB per shard and change.
 *
 * A key is a kind byte plus the name or the id.  The shard is chosen from
 * the name or id alone, so a user and its private group (same name, gid ==
 * uid) live in the same two shards: adding a user rewrites two files.
 *
 * File layout (native byte order; the magic encodes it):
 *   struct view_header
 *   u32 bucket_start[nbuckets + 1]   entries of bucket b are
 *                                    [bucket_start[b], bucket_start[b+1])
 *   struct view_slot slots[nentries] hash and offset of each record
 *   records: u32 klen, u32 vlen, key, value, padded to 4 bytes
 *
 * A passwd value:  u32 uid, u32 gid, u32 ngroups, u32 gids[ngroups],
 *                  then name\0 gecos\0 home\0 shell\0
 * A group value:   u32 gid, u32 nmem, name\0 member\0 ... (nmem of them)
 *
 * This file MUST stay free of anything the NSS module cannot link: the
 * reader (view_read.c) uses only libc.
 */
#ifndef ROSTER_VIEW_H
#define ROSTER_VIEW_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* 1,024 shards: version 2 had 256, and at a million users each of the two
 * files a single change rewrites was 1.1 MB, written and fsynced.  The top
 * 10 bits of the hash choose the shard. */
#define VIEW_SHARD_BITS 10
#define VIEW_SHARDS (1u << VIEW_SHARD_BITS)
#define VIEW_MAGIC 0x31575652534f52ULL /* "ROSVRW1\0" read natively */
#define VIEW_VERSION 3
#define VIEW_DIR "view"
#define VIEW_STAMP "generation"
/* view/generation: the accounts generation the view reflects, and a value
 * that changes on every write of the view (even a rebuild at the same
 * generation).  Fixed length, rewritten in place, never replaced: readers
 * map it and skip the lstat(2) of a shard while it is unchanged. */
#define VIEW_STAMP_FORMAT "roster-view %u %020llu %016llx\n"
#define VIEW_STAMP_LEN 52

enum view_kind {
	VIEW_PW_NAME = 'p',
	VIEW_PW_UID = 'u',
	VIEW_GR_NAME = 'g',
	VIEW_GR_GID = 'i',
};

struct view_header {
	uint64_t magic;
	uint32_t version;
	uint32_t shard;
	uint32_t nbuckets;
	uint32_t nentries;
	uint64_t generation;
	uint64_t file_size;
};

struct view_slot {
	uint32_t hash;
	uint32_t offset;
};

/* FNV-1a over the key body, then murmur3's finalizer: FNV alone leaves the
 * top bits nearly equal for short, similar keys ("user01".."user59" fell
 * into one shard).  The shard uses the top bits, the bucket the low word. */
static inline uint64_t view_hash(const void *p, size_t n)
{
	const unsigned char *s = p;
	uint64_t h = 0xcbf29ce484222325ULL;

	for (size_t i = 0; i < n; i++) {
		h ^= s[i];
		h *= 0x100000001b3ULL;
	}
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ULL;
	h ^= h >> 33;
	return h;
}

static inline unsigned view_shard_of(uint64_t h)
{
	return (unsigned)(h >> (64 - VIEW_SHARD_BITS));
}

/* A key is kind + body; for ids the body is the decimal number.  Both
 * return the key's length, or 0 when the name is too long to be one. */
#define VIEW_KEY_MAX (1 + 32 + 1)
size_t view_make_key(char *out, enum view_kind kind, const char *name);
size_t view_make_idkey(char *out, enum view_kind kind, uint32_t id);

/* ---- reader (view_read.c) ---- */

/* One mapped shard.  Immutable once mapped. */
struct view_map {
	const unsigned char *base;
	size_t size;
	dev_t dev;
	ino_t ino;
	int64_t mtime_ns;
};

/* Maps path with O_CLOEXEC|O_NOFOLLOW and closes the fd again; checks the
 * header and that every table lies inside the file.  0 or -errno. */
int view_map_open(const char *path, struct view_map *m);
void view_map_close(struct view_map *m);
/* Whether path still names the file m maps: 1 yes, 0 replaced, -errno. */
int view_map_current(const char *path, const struct view_map *m);
/* Finds key; sets *val and *vlen to the value inside the map.  Every
 * offset and length is checked against the file.  0, -ENOENT or -EBADMSG. */
int view_map_find(const struct view_map *m, const void *key, size_t klen,
		  const unsigned char **val, uint32_t *vlen);
/* Walks entries in file order: *pos starts at 0.  0, -ENOENT at the end. */
int view_map_next(const struct view_map *m, uint32_t *pos, const unsigned char **key,
		  uint32_t *klen, const unsigned char **val, uint32_t *vlen);

/* Decoded views into a value; the strings point into the map. */
struct view_pw {
	uint32_t uid, gid, ngroups;
	const unsigned char *gids; /* ngroups u32, possibly unaligned */
	const char *name, *gecos, *home, *shell;
};
struct view_gr {
	uint32_t gid, nmem;
	const char *name;
	const char *members; /* nmem NUL-terminated strings, back to back */
	size_t members_len;
};
int view_decode_pw(const unsigned char *v, uint32_t n, struct view_pw *pw);
int view_decode_gr(const unsigned char *v, uint32_t n, struct view_gr *gr);

/* "<dir>/view/shard.NNNN" */
int view_shard_path(char *out, size_t outlen, const char *dbdir, unsigned shard);
/* The shard whose file a directory entry is ("shard.NNNN"), else
 * VIEW_SHARDS (a temporary file, an older version's, anything else). */
unsigned view_shard_of_name(const char *name);
/* Whether a view/generation text (VIEW_STAMP_LEN bytes) is of this
 * VIEW_VERSION: then a missing shard is an empty one. */
int view_stamp_version_ok(const unsigned char *text);

#endif
