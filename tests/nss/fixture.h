/* fixture.h - a throw-away roster database whose NSS view the tests read,
 * and the module loaded with dlopen(). */
#ifndef ROSTER_TEST_NSS_FIXTURE_H
#define ROSTER_TEST_NSS_FIXTURE_H

#include "roster.h"

#include <grp.h>
#include <nss.h>
#include <pwd.h>

#define NSS_SO_PATH "nss_module/libnss_roster.so.2"

struct fixture {
	char dir[64];   /* the temp dir: config, system files, db/ */
	char dbdir[96]; /* <dir>/db, what ROSTER_NSS_DIR points at */
	struct roster_config *cfg;
	struct roster_db *db;
};

/* Creates the temp dir, roster.conf with uid_min..uid_max, tiny system
 * files, and opens (creates) the database.  0 or -errno. */
int fx_create(struct fixture *fx, unsigned uid_min, unsigned uid_max);
/* Opens the database of an existing fixture again (after fork). */
int fx_reopen(struct fixture *fx);
void fx_close_db(struct fixture *fx);
/* Closes the database and removes the temp dir. */
void fx_destroy(struct fixture *fx);

/* Inside a transaction.  roles is NULL-terminated (or NULL); *uid gets the
 * new uid when uid is not NULL. */
int fx_add_role(struct fixture *fx, const char *name, uint32_t *gid);
int fx_add_user(struct fixture *fx, const char *name, const char *first, const char *last,
		const char *const *roles, uint32_t *uid);
/* first may be NULL: no first name. */
int fx_set_first(struct fixture *fx, const char *name, const char *first);

/* The module's entry points, from dlopen(NSS_SO_PATH). */
struct nss_fns {
	void *handle;
	nss_getpwnam_r *getpwnam_r;
	nss_getpwuid_r *getpwuid_r;
	nss_setpwent *setpwent;
	nss_getpwent_r *getpwent_r;
	nss_endpwent *endpwent;
	nss_getgrnam_r *getgrnam_r;
	nss_getgrgid_r *getgrgid_r;
	nss_setgrent *setgrent;
	nss_getgrent_r *getgrent_r;
	nss_endgrent *endgrent;
	nss_initgroups_dyn *initgroups_dyn;
};
/* Sets ROSTER_NSS_DIR to dbdir (read once, at the module's first call)
 * and loads the module.  0 or -1 (dlerror() says why). */
int fx_load_module(struct nss_fns *f, const char *dbdir);

#endif
