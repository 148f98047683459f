/* group.c - the group database: roles and private user groups, by name,
 * by gid, and enumeration.
 *
 * The buffer holds, in this order: padding up to pointer alignment, the
 * NULL-terminated gr_mem array, the name, "x", and the member names.  Its
 * size is computed first; a buffer that is too small gets ERANGE before a
 * byte is written.
 */
#include "common.h"

#include <errno.h>
#include <stdalign.h>
#include <string.h>

struct gr_req {
	struct group *gr;
	char *buf;
	size_t buflen;
	const char *name; /* the name asked for, or NULL */
	bool by_gid;
	gid_t gid;        /* the gid asked for, when by_gid */
};

static int gr_fill(const unsigned char *val, uint32_t vlen, void *priv)
{
	struct gr_req *q = priv;
	struct view_gr v;
	size_t pad, l_name;
	uint64_t need;
	char **mem, *p;
	int r = view_decode_gr(val, vlen, &v);

	if (r < 0)
		return r;
	if ((q->name && strcmp(v.name, q->name) != 0) || (q->by_gid && v.gid != q->gid))
		return -EBADMSG;
	/* Every member takes at least its NUL inside the value, so nmem is
	 * bounded by vlen and none of this can overflow 64 bits. */
	pad = (size_t)(-(uintptr_t)q->buf & (alignof(char *) - 1));
	l_name = strlen(v.name) + 1;
	need = (uint64_t)pad + ((uint64_t)v.nmem + 1) * sizeof(char *) + l_name + sizeof("x") +
	       v.members_len;
	if (need > q->buflen)
		return -ERANGE;

	mem = (char **)(void *)(q->buf + pad);
	p = (char *)(mem + v.nmem + 1);
	q->gr->gr_name = memcpy(p, v.name, l_name);
	p += l_name;
	q->gr->gr_passwd = memcpy(p, "x", sizeof("x"));
	p += sizeof("x");
	memcpy(p, v.members, v.members_len);
	for (uint32_t i = 0; i < v.nmem; i++) {
		mem[i] = p;
		p += strlen(p) + 1;
	}
	mem[v.nmem] = NULL;
	q->gr->gr_mem = mem;
	q->gr->gr_gid = v.gid;
	return 0;
}

static enum nss_status gr_lookup(const char *key, size_t klen, struct gr_req *q, int *errnop)
{
	int saved = errno, r;

	if (!nss_enter())
		return nss_status_of(-EDEADLK, saved, errnop);
	r = nss_view_lookup(key, klen, gr_fill, q);
	nss_leave();
	return nss_status_of(r, saved, errnop);
}

enum nss_status _nss_roster_getgrnam_r(const char *name, struct group *gr, char *buf, size_t buflen,
				       int *errnop)
{
	struct gr_req q = { .gr = gr, .buf = buf, .buflen = buflen, .name = name };
	char key[VIEW_KEY_MAX];

	if (!nss_name_ok(name))
		return NSS_STATUS_NOTFOUND;
	return gr_lookup(key, view_make_key(key, VIEW_GR_NAME, name), &q, errnop);
}

enum nss_status _nss_roster_getgrgid_r(gid_t gid, struct group *gr, char *buf, size_t buflen,
				       int *errnop)
{
	struct gr_req q = { .gr = gr, .buf = buf, .buflen = buflen, .by_gid = true, .gid = gid };
	char key[VIEW_KEY_MAX];

	return gr_lookup(key, view_make_idkey(key, VIEW_GR_GID, gid), &q, errnop);
}

enum nss_status _nss_roster_setgrent(int stayopen)
{
	(void)stayopen;
	nss_enum_rewind(NSS_DB_GROUP);
	return NSS_STATUS_SUCCESS;
}

enum nss_status _nss_roster_endgrent(void)
{
	nss_enum_rewind(NSS_DB_GROUP);
	return NSS_STATUS_SUCCESS;
}

/* Each group once: the gid entries, not the name entries. */
enum nss_status _nss_roster_getgrent_r(struct group *gr, char *buf, size_t buflen, int *errnop)
{
	struct gr_req q = { .gr = gr, .buf = buf, .buflen = buflen };
	int saved = errno, r;

	if (!nss_enter())
		return nss_status_of(-EDEADLK, saved, errnop);
	r = nss_enum_next(NSS_DB_GROUP, VIEW_GR_GID, gr_fill, &q);
	nss_leave();
	return nss_status_of(r, saved, errnop);
}
