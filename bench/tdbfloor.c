/* tdbfloor - what libtdb alone takes to write the records of an import.
 *
 *   tdbfloor SOURCE.tdb DEST.tdb TRANSACTIONS
 *
 * Reads every record of SOURCE (an accounts.tdb that `roster db import`
 * just wrote) into memory, then times storing them all into a new DEST
 * with the flags and hash size roster opens accounts.tdb with (SOURCE's),
 * fsync on whatever TDB_NO_FSYNC says, TDB_INSERT,
 * in a fixed shuffled order, in TRANSACTIONS transactions of equal size, each committed (and so
 * fsynced) by tdb.  No parsing, no checks, no encoding, no history hashing,
 * no view: the floor under an import that keeps its records in tdb.  It
 * prints one line: records, bytes of keys and data, seconds.  DEST is
 * removed at the end.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#include <tdb.h>

struct rec {
	uint32_t klen, dlen;
	unsigned char *p; /* key, then data */
};

struct recs {
	struct rec *v;
	size_t n, cap, bytes;
	bool failed; /* out of memory: a traversal stopped early counts what it saw */
};

static int collect(struct tdb_context *tdb, TDB_DATA k, TDB_DATA d, void *priv)
{
	struct recs *rs = priv;
	struct rec *r;

	(void)tdb;
	if (rs->n == rs->cap) {
		size_t cap = rs->cap ? rs->cap * 2 : 1 << 16;
		struct rec *v = realloc(rs->v, cap * sizeof(*v));

		if (!v) {
			rs->failed = true;
			return -1;
		}
		rs->v = v;
		rs->cap = cap;
	}
	r = &rs->v[rs->n];
	r->p = malloc(k.dsize + d.dsize + 1);
	if (!r->p) {
		rs->failed = true;
		return -1;
	}
	memcpy(r->p, k.dptr, k.dsize);
	if (d.dsize)
		memcpy(r->p + k.dsize, d.dptr, d.dsize);
	r->klen = (uint32_t)k.dsize;
	r->dlen = (uint32_t)d.dsize;
	rs->bytes += k.dsize + d.dsize;
	rs->n++;
	return 0;
}

/* xorshift64*, fixed seed: the same order every run */
static uint64_t next_random(void)
{
	static uint64_t x = 0x9e3779b97f4a7c15ULL;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	return x * 0x2545f4914f6cdd1dULL;
}

static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	struct recs rs = { 0 };
	struct tdb_context *src, *dst;
	unsigned long hash_size, txns;
	size_t per, i = 0;
	bool ok = true;
	double t0, t1;

	if (argc != 4 || (txns = strtoul(argv[3], NULL, 10)) == 0) {
		fprintf(stderr, "usage: tdbfloor SOURCE.tdb DEST.tdb TRANSACTIONS\n");
		return 2;
	}
	src = tdb_open(argv[1], 0, TDB_DEFAULT, O_RDONLY | O_CLOEXEC, 0);
	if (!src) {
		fprintf(stderr, "tdbfloor: cannot open %s: %s\n", argv[1], strerror(errno));
		return 1;
	}
	hash_size = (unsigned long)tdb_hash_size(src);
	if (tdb_traverse_read(src, collect, &rs) < 0 || rs.failed || rs.n == 0) {
		fprintf(stderr, "tdbfloor: cannot read %s\n", argv[1]);
		return 1;
	}
	tdb_close(src);
	if (unlink(argv[2]) < 0 && errno != ENOENT) {
		fprintf(stderr, "tdbfloor: cannot remove %s: %s\n", argv[2], strerror(errno));
		return 1;
	}
	/* A traversal hands the records out chain by chain, and storing them
	 * in that order would walk each chain while it is in the cache.  An
	 * import stores each user's records into unrelated chains: a fixed
	 * shuffle gives the floor that access pattern. */
	for (size_t j = rs.n - 1; j > 0; j--) {
		size_t o = (size_t)(next_random() % (j + 1));
		struct rec t = rs.v[j];

		rs.v[j] = rs.v[o];
		rs.v[o] = t;
	}
	per = (rs.n + txns - 1) / txns;
	t0 = now();
	dst = tdb_open(argv[2], (int)hash_size, TDB_DISALLOW_NESTING | TDB_INCOMPATIBLE_HASH,
		       O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (!dst) {
		fprintf(stderr, "tdbfloor: cannot create %s: %s\n", argv[2], strerror(errno));
		return 1;
	}
	tdb_remove_flags(dst, TDB_NOSYNC); /* as roster does: its commits always fsync */
	while (ok && i < rs.n) {
		ok = tdb_transaction_start(dst) == 0;
		for (size_t end = i + per; ok && i < rs.n && i < end; i++) {
			TDB_DATA k = { rs.v[i].p, rs.v[i].klen }, d = { rs.v[i].p + rs.v[i].klen, rs.v[i].dlen };

			ok = tdb_store(dst, k, d, TDB_INSERT) == 0;
		}
		ok = ok && tdb_transaction_commit(dst) == 0;
	}
	t1 = now();
	if (!ok) {
		fprintf(stderr, "tdbfloor: writing %s: %s\n", argv[2], tdb_errorstr(dst));
		return 1;
	}
	tdb_close(dst);
	unlink(argv[2]);
	printf("%zu %zu %.2f\n", rs.n, rs.bytes, t1 - t0);
	for (i = 0; i < rs.n; i++)
		free(rs.v[i].p);
	free(rs.v);
	return 0;
}
