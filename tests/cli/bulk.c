/* bulk.c - a bulk update loop through libroster, for the crash test.
 *
 *   bulk CONFIG            round after round, until killed
 *   bulk CONFIG ROUNDS     that many rounds, then exit 0
 *
 * Round k is ONE transaction: it adds users bK-0 .. bK-9 (role "bulk",
 * last name RK), sets the last name of every seed user s0 .. s39 to RK, and
 * assigns the role "crew" to every seed when k is odd, revokes it when k is
 * even.  It prints "begin k" before the round and "k" after its commit,
 * flushing each, so the test knows which round a kill landed in and which
 * rounds were acknowledged.  A database whose last committed
 * round is m therefore holds rounds 1..m whole, seeds named Rm, and crew
 * held by all seeds or by none, whatever moment a SIGKILL lands at.
 *
 * The first run creates the roles and the seeds (round 0); a restarted run
 * goes on after the last round it finds in the database.  Exit status: 0,
 * or 1 with the library's reason on stderr.
 */
#include "roster.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NADD 10
#define NSEED 40

static int fail(struct roster_db *db, const char *what, int r)
{
	fprintf(stderr, "bulk: %s: %s (%s)\n", what, db ? roster_db_error(db) : "", strerror(-r));
	return 1;
}

static int add_user(struct roster_db *db, const char *name, const char *last, const char *role)
{
	struct roster_user u = { 0 };
	char email[64];
	int r;

	snprintf(email, sizeof(email), "%s@example.org", name);
	u.name = strdup(name);
	u.email = strdup(email);
	u.first = strdup("Bulk");
	u.last = strdup(last);
	u.expires = ROSTER_NO_DATE;
	if (!u.name || !u.email || !u.first || !u.last)
		r = -ENOMEM;
	else
		r = role ? roster_strv_add(&u.roles, role) : 0;
	r = r ?: roster_user_add(db, &u);
	free(u.name);
	free(u.email);
	free(u.first);
	free(u.last);
	free(u.shell);
	free(u.home);
	free(u.created_by);
	free(u.updated_by);
	roster_strv_free(u.roles);
	return r;
}

static int set_last(struct roster_db *db, const char *name, const char *last)
{
	struct roster_user *u = NULL;
	int r = roster_user_get(db, name, &u);

	if (r == 0) {
		free(u->last);
		u->last = strdup(last);
		r = u->last ? roster_user_update(db, u, "user.edit") : -ENOMEM;
	}
	roster_user_free(u);
	return r;
}

static int add_role(struct roster_db *db, const char *name)
{
	struct roster_role ro = { 0 };
	int r;

	ro.name = (char *)name;
	r = roster_role_add(db, &ro);
	free(ro.created_by);
	free(ro.updated_by);
	return r;
}

static int seed(struct roster_db *db)
{
	char name[16];
	int r = add_role(db, "bulk") ?: add_role(db, "crew");

	for (unsigned j = 0; r == 0 && j < NSEED; j++) {
		snprintf(name, sizeof(name), "s%u", j);
		r = add_user(db, name, "R0", NULL);
	}
	return r;
}

static int one_round(struct roster_db *db, unsigned long k)
{
	char name[32], last[32];
	int r = 0;

	snprintf(last, sizeof(last), "R%lu", k);
	for (unsigned i = 0; r == 0 && i < NADD; i++) {
		snprintf(name, sizeof(name), "b%lu-%u", k, i);
		r = add_user(db, name, last, "bulk");
	}
	for (unsigned j = 0; r == 0 && j < NSEED; j++) {
		snprintf(name, sizeof(name), "s%u", j);
		r = set_last(db, name, last) ?:
		    (k % 2 ? roster_role_assign(db, "crew", name) : roster_role_revoke(db, "crew", name));
	}
	return r;
}

/* The first round not in the database (rounds are committed whole). */
static unsigned long next_round(struct roster_db *db)
{
	struct roster_user *u = NULL;
	unsigned long k = 1;
	char name[32];

	for (;; k++) {
		snprintf(name, sizeof(name), "b%lu-0", k);
		if (roster_user_get(db, name, &u) < 0)
			return k;
		roster_user_free(u);
		u = NULL;
	}
}

int main(int argc, char **argv)
{
	struct roster_config *cfg = NULL;
	struct roster_db *db = NULL;
	unsigned long k, last = ~0UL;
	struct roster_user *s0 = NULL;
	int r;

	if (argc < 2 || argc > 3) {
		fprintf(stderr, "usage: %s CONFIG [ROUNDS]\n", argv[0]);
		return 2;
	}
	r = roster_config_load(argv[1], &cfg);
	if (r < 0) {
		fprintf(stderr, "bulk: %s\n", roster_config_error());
		return 1;
	}
	r = roster_db_open(cfg, ROSTER_OPEN_CREATE, &db);
	if (r < 0)
		return fail(db, "open", r);
	if (roster_user_get(db, "s0", &s0) < 0) {
		r = roster_txn_begin(db, "bulk") ?: seed(db) ?: roster_txn_commit(db);
		if (r < 0)
			return fail(db, "seed", r);
	}
	roster_user_free(s0);
	k = next_round(db);
	if (argc == 3)
		last = k + strtoul(argv[2], NULL, 10) - 1;
	for (; k <= last; k++) {
		printf("begin %lu\n", k);
		fflush(stdout);
		r = roster_txn_begin(db, "bulk");
		if (r < 0)
			return fail(db, "begin", r);
		r = one_round(db, k) ?: roster_txn_commit(db);
		if (r < 0)
			return fail(db, "round", r);
		printf("%lu\n", k);
		fflush(stdout);
	}
	roster_db_close(db);
	roster_config_free(cfg);
	return 0;
}
