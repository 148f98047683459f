/* common.h - what passwd.c, group.c and initgroups.c share: the shard
 * cache, the enumeration cursors, the recursion guard and the one
 * translation from our -errno values to an NSS status.
 *
 * The module reads the view (lib/view_read.c) and nothing else: no
 * libroster, no libtdb, no libsodium, no output.  See nss_roster.map for
 * what it exports.
 */
#ifndef ROSTER_NSS_COMMON_H
#define ROSTER_NSS_COMMON_H

#include "view.h"

#include <grp.h>
#include <nss.h>
#include <pwd.h>
#include <stdbool.h>
#include <stdint.h>

#define NSS_EXPORT __attribute__((visibility("default")))

/* The entry points, typed by glibc's own <nss.h> so that a wrong
 * signature does not compile. */
NSS_EXPORT nss_getpwnam_r _nss_roster_getpwnam_r;
NSS_EXPORT nss_getpwuid_r _nss_roster_getpwuid_r;
NSS_EXPORT nss_setpwent _nss_roster_setpwent;
NSS_EXPORT nss_getpwent_r _nss_roster_getpwent_r;
NSS_EXPORT nss_endpwent _nss_roster_endpwent;
NSS_EXPORT nss_getgrnam_r _nss_roster_getgrnam_r;
NSS_EXPORT nss_getgrgid_r _nss_roster_getgrgid_r;
NSS_EXPORT nss_setgrent _nss_roster_setgrent;
NSS_EXPORT nss_getgrent_r _nss_roster_getgrent_r;
NSS_EXPORT nss_endgrent _nss_roster_endgrent;
NSS_EXPORT nss_initgroups_dyn _nss_roster_initgroups_dyn;

/* A lookup result that is not an error: the view has no such entry.
 * (-ENOENT means the view is missing: no view/generation, or one of
 * another view version.  A missing shard is an empty one.) */
#define NSS_ROSTER_ABSENT 1

/* Called with a value while its shard is locked: the value lives in the
 * map only until the callback returns, so it copies what it needs.
 * Returns 0, -ERANGE (buffer too small: nothing written) or -errno. */
typedef int (*nss_value_fn)(const unsigned char *val, uint32_t vlen, void *priv);

/* Finds kind+body in its shard, remapping the shard if a writer has
 * replaced it, and hands the value to fn.  Returns fn's result,
 * NSS_ROSTER_ABSENT, or -errno when the view cannot be read. */
int nss_view_lookup(const char *key, size_t klen, nss_value_fn fn, void *priv);

/* Enumeration: one cursor per database, each with its own lock. */
enum nss_db { NSS_DB_PASSWD, NSS_DB_GROUP, NSS_DB_COUNT };
void nss_enum_rewind(enum nss_db db);
/* Hands the next entry of kind to fn.  When fn returns -ERANGE the cursor
 * stays where it was, so the caller gets the same entry again.  Returns
 * fn's result, NSS_ROSTER_ABSENT at the end, or -errno. */
int nss_enum_next(enum nss_db db, char kind, nss_value_fn fn, void *priv);

/* Whether name can be a key at all: 1..ROSTER_NAME_MAX bytes.  Anything
 * else is simply not in the view. */
bool nss_name_ok(const char *name);

/* The recursion guard: false when this thread is already inside the
 * module (a signal handler calling getpwnam mid-lookup, say), which
 * would otherwise deadlock on the shard lock. */
bool nss_enter(void);
void nss_leave(void);

/* The one translation to NSS: r is 0, NSS_ROSTER_ABSENT or -errno;
 * saved_errno is errno as the caller found it, restored on success and
 * not-found so that errno stays untouched. */
enum nss_status nss_status_of(int r, int saved_errno, int *errnop);

#endif
