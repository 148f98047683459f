/* bench_nss.c - single-thread lookup latency of libnss_roster.so.2.
 *
 *   ./tests/nss/bench_nss [users [calls]]     (default 10000 users, 1000000 calls)
 *
 * Builds a view of `users` users with libroster, loads the module with
 * dlopen() and times each getpwnam_r / getpwuid_r call of random existing
 * users with CLOCK_MONOTONIC (which adds ~20 ns of its own).  Not a test:
 * it prints figures and is not part of `make check`.
 */
#include "fixture.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void report(const char *what, uint32_t *ns, unsigned n, uint64_t total)
{
	qsort(ns, n, sizeof(*ns), cmp_u32);
	printf("%-10s %u calls: median %u ns, p90 %u ns, p99 %u ns, max %u ns; %.0f ns/call overall\n", what,
	       n, ns[n / 2], ns[n * 9 / 10], ns[n * 99 / 100], ns[n - 1], (double)total / n);
}

int main(int argc, char **argv)
{
	unsigned nusers = argc > 1 ? (unsigned)atoi(argv[1]) : 10000;
	unsigned calls = argc > 2 ? (unsigned)atoi(argv[2]) : 1000000;
	struct fixture fx;
	struct nss_fns nss;
	char (*names)[16] = calloc(nusers ? nusers : 1, 16);
	uint32_t *uids = calloc(nusers ? nusers : 1, sizeof(uint32_t));
	uint32_t *ns = calloc(calls ? calls : 1, sizeof(uint32_t));
	uint64_t t0, start, total;
	char buf[1024];
	struct passwd pw;
	unsigned x = 1, bad = 0;
	int r, err;

	if (!names || !uids || !ns || nusers == 0 || calls == 0)
		return 1;
	r = fx_create(&fx, 70000, 70000 + nusers + 1000);
	t0 = now_ns();
	for (unsigned i = 0; r == 0 && i < nusers; i += 500) {
		r = roster_txn_begin(fx.db, "bench");
		for (unsigned j = i; r == 0 && j < i + 500 && j < nusers; j++) {
			snprintf(names[j], 16, "u%06u", j);
			r = fx_add_user(&fx, names[j], "Bench", "User", NULL, &uids[j]);
		}
		r = r ?: roster_txn_commit(fx.db);
	}
	if (r < 0 || fx_load_module(&nss, fx.dbdir) < 0) {
		fprintf(stderr, "set-up failed: %s\n", r < 0 ? roster_db_error(fx.db) : "dlopen");
		fx_destroy(&fx);
		return 1;
	}
	printf("view of %u users built in %.1f s (%s)\n", nusers, (double)(now_ns() - t0) / 1e9, fx.dbdir);

	/* warm: every shard mapped once */
	for (unsigned i = 0; i < nusers; i++)
		nss.getpwnam_r(names[i], &pw, buf, sizeof(buf), &err);

	start = now_ns();
	for (unsigned i = 0; i < calls; i++) {
		unsigned k;

		x = x * 1103515245u + 12345u;
		k = (x >> 8) % nusers;
		t0 = now_ns();
		r = nss.getpwnam_r(names[k], &pw, buf, sizeof(buf), &err);
		ns[i] = (uint32_t)(now_ns() - t0);
		bad += r != NSS_STATUS_SUCCESS || pw.pw_uid != uids[k];
	}
	total = now_ns() - start;
	report("getpwnam_r", ns, calls, total);

	start = now_ns();
	for (unsigned i = 0; i < calls; i++) {
		unsigned k;

		x = x * 1103515245u + 12345u;
		k = (x >> 8) % nusers;
		t0 = now_ns();
		r = nss.getpwuid_r(uids[k], &pw, buf, sizeof(buf), &err);
		ns[i] = (uint32_t)(now_ns() - t0);
		bad += r != NSS_STATUS_SUCCESS || strcmp(pw.pw_name, names[k]) != 0;
	}
	total = now_ns() - start;
	report("getpwuid_r", ns, calls, total);
	if (bad)
		printf("%u lookups FAILED\n", bad);

	fx_destroy(&fx);
	free(names);
	free(uids);
	free(ns);
	return bad ? 1 : 0;
}
