/* mkview.c - builds a roster database and its NSS view for the shell
 * tests, and prints where it is and what it holds:
 *   dir DIR            the temp dir; the view's dbdir is DIR/db
 *   user NAME UID      each user
 *   group NAME GID     each role
 * The caller removes DIR.  Users: alice (devs, ops), bob (devs), carol,
 * and 60 members of role "big", whose entry is larger than the buffer
 * glibc starts with. */
#include "fixture.h"

#include <stdio.h>
#include <string.h>

int main(void)
{
	static const char *const devs_ops[] = { "devs", "ops", NULL };
	static const char *const devs[] = { "devs", NULL };
	static const char *const bigr[] = { "big", NULL };
	struct fixture fx;
	uint32_t id;
	char name[40];
	int r;

	r = fx_create(&fx, 70000, 79999);
	if (r < 0)
		return 1;
	printf("dir %s\n", fx.dir);
	r = roster_txn_begin(fx.db, "test");
	for (const char *const *p = (const char *const[]){ "devs", "ops", "big", NULL }; r == 0 && *p; p++)
		if ((r = fx_add_role(&fx, *p, &id)) == 0)
			printf("group %s %u\n", *p, (unsigned)id);
	if (r == 0 && (r = fx_add_user(&fx, "alice", "Alice", "Liddell", devs_ops, &id)) == 0)
		printf("user alice %u\n", (unsigned)id);
	if (r == 0 && (r = fx_add_user(&fx, "bob", "Bob", "Builder", devs, &id)) == 0)
		printf("user bob %u\n", (unsigned)id);
	if (r == 0 && (r = fx_add_user(&fx, "carol", NULL, NULL, NULL, &id)) == 0)
		printf("user carol %u\n", (unsigned)id);
	for (int i = 1; r == 0 && i <= 60; i++) {
		snprintf(name, sizeof(name), "member-with-a-long-name-%02d", i);
		if ((r = fx_add_user(&fx, name, "Member", NULL, bigr, &id)) == 0)
			printf("user %s %u\n", name, (unsigned)id);
	}
	if (r == 0 && (r = roster_txn_commit(fx.db)) < 0)
		fprintf(stderr, "commit: %s\n", roster_db_error(fx.db));
	fx_close_db(&fx);
	roster_config_free(fx.cfg);
	return r < 0 ? 1 : 0;
}
