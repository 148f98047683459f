/* passwd.c - the passwd database: by name, by uid, and enumeration.
 *
 * Packing follows nss-systemd: the size needed is computed first, and a
 * buffer that is too small gets ERANGE before a single byte is written.
 * The view holds no password hash, so pw_passwd is always "x".
 */
#include "common.h"

#include <errno.h>
#include <string.h>

struct pw_req {
	struct passwd *pw;
	char *buf;
	size_t buflen;
	const char *name; /* the name asked for, or NULL */
	bool by_uid;
	uid_t uid;        /* the uid asked for, when by_uid */
};

static int pw_fill(const unsigned char *val, uint32_t vlen, void *priv)
{
	struct pw_req *q = priv;
	struct view_pw v;
	size_t l_name, l_gecos, l_home, l_shell;
	uint64_t need;
	char *p;
	int r = view_decode_pw(val, vlen, &v);

	if (r < 0)
		return r;
	/* The key matched; a value about someone else is a damaged view. */
	if ((q->name && strcmp(v.name, q->name) != 0) || (q->by_uid && v.uid != q->uid))
		return -EBADMSG;
	l_name = strlen(v.name) + 1;
	l_gecos = strlen(v.gecos) + 1;
	l_home = strlen(v.home) + 1;
	l_shell = strlen(v.shell) + 1;
	need = (uint64_t)l_name + sizeof("x") + l_gecos + l_home + l_shell;
	if (need > q->buflen)
		return -ERANGE;

	p = q->buf;
	q->pw->pw_name = memcpy(p, v.name, l_name);
	p += l_name;
	q->pw->pw_passwd = memcpy(p, "x", sizeof("x"));
	p += sizeof("x");
	q->pw->pw_gecos = memcpy(p, v.gecos, l_gecos);
	p += l_gecos;
	q->pw->pw_dir = memcpy(p, v.home, l_home);
	p += l_home;
	q->pw->pw_shell = memcpy(p, v.shell, l_shell);
	q->pw->pw_uid = v.uid;
	q->pw->pw_gid = v.gid;
	return 0;
}

static enum nss_status pw_lookup(const char *key, size_t klen, struct pw_req *q, int *errnop)
{
	int saved = errno, r;

	if (!nss_enter())
		return nss_status_of(-EDEADLK, saved, errnop);
	r = nss_view_lookup(key, klen, pw_fill, q);
	nss_leave();
	return nss_status_of(r, saved, errnop);
}

enum nss_status _nss_roster_getpwnam_r(const char *name, struct passwd *pw, char *buf,
				       size_t buflen, int *errnop)
{
	struct pw_req q = { .pw = pw, .buf = buf, .buflen = buflen, .name = name };
	char key[VIEW_KEY_MAX];

	if (!nss_name_ok(name))
		return NSS_STATUS_NOTFOUND;
	return pw_lookup(key, view_make_key(key, VIEW_PW_NAME, name), &q, errnop);
}

enum nss_status _nss_roster_getpwuid_r(uid_t uid, struct passwd *pw, char *buf, size_t buflen,
				       int *errnop)
{
	struct pw_req q = { .pw = pw, .buf = buf, .buflen = buflen, .by_uid = true, .uid = uid };
	char key[VIEW_KEY_MAX];

	return pw_lookup(key, view_make_idkey(key, VIEW_PW_UID, uid), &q, errnop);
}

enum nss_status _nss_roster_setpwent(int stayopen)
{
	(void)stayopen;
	nss_enum_rewind(NSS_DB_PASSWD);
	return NSS_STATUS_SUCCESS;
}

enum nss_status _nss_roster_endpwent(void)
{
	nss_enum_rewind(NSS_DB_PASSWD); /* and unmaps the shard being walked */
	return NSS_STATUS_SUCCESS;
}

/* Each user once: the uid entries, not the name entries. */
enum nss_status _nss_roster_getpwent_r(struct passwd *pw, char *buf, size_t buflen, int *errnop)
{
	struct pw_req q = { .pw = pw, .buf = buf, .buflen = buflen };
	int saved = errno, r;

	if (!nss_enter())
		return nss_status_of(-EDEADLK, saved, errnop);
	r = nss_enum_next(NSS_DB_PASSWD, VIEW_PW_UID, pw_fill, &q);
	nss_leave();
	return nss_status_of(r, saved, errnop);
}
