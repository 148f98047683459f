/* initgroups.c - a user's supplementary groups in one lookup.
 *
 * The passwd value of a user carries the gids of the roles the user holds,
 * so initgroups(3) and getgrouplist(3) need neither a walk over every
 * group nor a second lookup.
 */
#include "common.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

struct ig_req {
	const char *user;
	gid_t skip;   /* the primary group, which the caller adds itself */
	long *start;  /* groups used in *groupsp */
	long *size;   /* groups allocated in *groupsp */
	gid_t **groupsp;
	long limit;   /* <= 0: none */
	long before;  /* groups in *groupsp before this module added any */
};

static bool have(const struct ig_req *q, gid_t g)
{
	/* The view's gids are distinct: only what was there before this
	 * module added any can repeat one (linear, not quadratic). */
	for (long i = 0; i < q->before; i++)
		if ((*q->groupsp)[i] == g)
			return true;
	return false;
}

/* Room for one more group: 1, 0 when limit is reached, or -ENOMEM. */
static int grow(struct ig_req *q)
{
	long n;
	gid_t *g;

	if (*q->start < *q->size)
		return 1;
	if (q->limit > 0 && *q->size >= q->limit)
		return 0;
	n = *q->size > 0 ? 2 * *q->size : 8;
	if (q->limit > 0 && n > q->limit)
		n = q->limit;
	if ((unsigned long)n > SIZE_MAX / sizeof(gid_t))
		return -ENOMEM;
	g = realloc(*q->groupsp, (size_t)n * sizeof(gid_t));
	if (!g)
		return -ENOMEM;
	*q->groupsp = g;
	*q->size = n;
	return 1;
}

static int ig_fill(const unsigned char *val, uint32_t vlen, void *priv)
{
	struct ig_req *q = priv;
	struct view_pw v;
	int r = view_decode_pw(val, vlen, &v);

	if (r < 0)
		return r;
	if (strcmp(v.name, q->user) != 0)
		return -EBADMSG;
	for (uint32_t i = 0; i < v.ngroups; i++) {
		uint32_t g;

		memcpy(&g, v.gids + (size_t)i * 4, 4);
		if (g == q->skip || have(q, g))
			continue;
		r = grow(q);
		if (r <= 0)
			return r; /* 0: limit reached, which is not an error */
		(*q->groupsp)[(*q->start)++] = g;
	}
	return 0;
}

enum nss_status _nss_roster_initgroups_dyn(const char *user, gid_t group, long *start, long *size,
					   gid_t **groupsp, long limit, int *errnop)
{
	struct ig_req q = { user, group, start, size, groupsp, limit, *start };
	char key[VIEW_KEY_MAX];
	int saved = errno, r;

	if (!nss_name_ok(user))
		return NSS_STATUS_NOTFOUND;
	if (!nss_enter())
		return nss_status_of(-EDEADLK, saved, errnop);
	r = nss_view_lookup(key, view_make_key(key, VIEW_PW_NAME, user), ig_fill, &q);
	nss_leave();
	return nss_status_of(r, saved, errnop);
}
