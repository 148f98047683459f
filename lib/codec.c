/* codec.c - the versioned record encoding of accounts.tdb.
 *
 * A record is a 4-byte header {'R', type, version, 0} followed by fields,
 * each {u16 tag, u32 length, bytes}, little-endian.  Lists repeat a tag.
 * A decoder skips (and keeps verbatim) tags it does not know, so an older
 * roster can rewrite a record written by a newer one without losing data.
 * No stored length is trusted: each is checked against what is left.
 */
#include "internal.h"

#include <errno.h>
#include <limits.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#define REC_VERSION 1
#define FIELD_MAX (1u << 20) /* no single field is ever larger than 1 MiB */

enum ftype { F_STR, F_U32, F_I64, F_BOOL, F_STRV, F_STATUS, F_UUID, F_HASH };

struct field {
	uint16_t tag;
	enum ftype type;
	size_t off;
};

#define U(f) offsetof(struct roster_user, f)
static const struct field user_fields[] = {
	{ 1, F_STR, U(name) },          { 2, F_U32, U(uid) },
	{ 3, F_U32, U(gid) },           { 4, F_UUID, U(uuid) },
	{ 5, F_STR, U(email) },         { 6, F_STR, U(first) },
	{ 7, F_STR, U(last) },          { 8, F_STR, U(supervisor) },
	{ 9, F_STR, U(shell) },         { 10, F_STR, U(home) },
	{ 11, F_STATUS, U(status) },    { 12, F_STRV, U(roles) },
	{ 13, F_BOOL, U(must_change) }, { 14, F_I64, U(expires) },
	{ 15, F_I64, U(created) },      { 16, F_I64, U(updated) },
	{ 17, F_STR, U(created_by) },   { 18, F_STR, U(updated_by) },
	{ 19, F_STR, U(pwhash) },       { 20, F_U32, U(fail_count) },
	{ 21, F_I64, U(fail_first) },   { 22, F_I64, U(locked_until) },
	{ 23, F_I64, U(last_login) },   { 24, F_STR, U(last_service) },
	{ 25, F_STR, U(last_host) },     { 26, F_STR, U(invite_hash) },
	{ 27, F_I64, U(invite_sent) },   { 28, F_I64, U(invite_expires) },
	{ 29, F_STR, U(invited_by) },    { 30, F_BOOL, U(api_enabled) },
	{ 31, F_STRV, U(api_labels) },
};
#undef U

#define R(f) offsetof(struct roster_role, f)
static const struct field role_fields[] = {
	{ 1, F_STR, R(name) },        { 2, F_U32, R(gid) },
	{ 3, F_STR, R(description) }, { 4, F_STRV, R(services) },
	{ 5, F_I64, R(created) },     { 6, F_I64, R(updated) },
	{ 7, F_STR, R(created_by) },  { 8, F_STR, R(updated_by) },
};
#undef R

#define A(f) offsetof(struct roster_api, f)
static const struct field api_fields[] = {
	{ 1, F_STR, A(label) },   { 2, F_STR, A(hash) },        { 3, F_STRV, A(services) },
	{ 4, F_I64, A(created) }, { 5, F_I64, A(expires) },     { 6, F_I64, A(last_used) },
	{ 7, F_STR, A(last_service) }, { 8, F_STR, A(created_by) },
};
#undef A

#define E(f) offsetof(struct roster_event, f)
enum { EV_CHANGE = 100 };
static const struct field event_fields[] = {
	{ 1, F_I64, E(seq) },   { 2, F_I64, E(time) },    { 3, F_STR, E(actor) },
	{ 4, F_STR, E(action) }, { 5, F_STR, E(subject) }, { 6, F_HASH, E(prev_hash) },
};
#undef E

static void put_le(struct buf *b, uint64_t v, unsigned n)
{
	unsigned char x[8];

	for (unsigned i = 0; i < n; i++)
		x[i] = (unsigned char)(v >> (8 * i));
	buf_put(b, x, n);
}

static uint64_t get_le(const unsigned char *p, unsigned n)
{
	uint64_t v = 0;

	for (unsigned i = 0; i < n; i++)
		v |= (uint64_t)p[i] << (8 * i);
	return v;
}

static void put_field(struct buf *b, uint16_t tag, const void *p, size_t n)
{
	if (n > FIELD_MAX) {
		b->err = b->err ? b->err : -E2BIG;
		return;
	}
	put_le(b, tag, 2);
	put_le(b, n, 4);
	buf_put(b, p, n);
}

static void put_int(struct buf *b, uint16_t tag, uint64_t v, unsigned n)
{
	put_le(b, tag, 2);
	put_le(b, n, 4);
	put_le(b, v, n);
}

static void encode_fields(struct buf *b, char type, const struct field *f, size_t nf,
			  const void *obj)
{
	const char *base = obj;
	unsigned char hdr[4] = { 'R', (unsigned char)type, REC_VERSION, 0 };

	buf_put(b, hdr, sizeof(hdr));
	for (size_t i = 0; i < nf; i++) {
		const void *p = base + f[i].off;

		switch (f[i].type) {
		case F_STR: {
			const char *s = *(char *const *)p;
			if (s)
				put_field(b, f[i].tag, s, strlen(s));
			break;
		}
		case F_U32:
			put_int(b, f[i].tag, *(const uint32_t *)p, 4);
			break;
		case F_STATUS:
			put_int(b, f[i].tag, (uint32_t)*(const enum roster_status *)p, 4);
			break;
		case F_I64:
			put_int(b, f[i].tag, (uint64_t)*(const int64_t *)p, 8);
			break;
		case F_BOOL:
			put_int(b, f[i].tag, *(const bool *)p, 1);
			break;
		case F_UUID:
			put_field(b, f[i].tag, p, strnlen(p, ROSTER_UUID_LEN));
			break;
		case F_HASH:
			put_field(b, f[i].tag, p, 32);
			break;
		case F_STRV:
			for (char *const *v = *(char **const *)p; v && *v; v++)
				put_field(b, f[i].tag, *v, strlen(*v));
			break;
		}
	}
}

static char *dup_str(const unsigned char *p, size_t n, int *r)
{
	char *s;

	if (memchr(p, '\0', n)) {
		*r = -EBADMSG;
		return NULL;
	}
	s = malloc(n + 1);
	if (!s) {
		*r = -ENOMEM;
		return NULL;
	}
	memcpy(s, p, n);
	s[n] = '\0';
	return s;
}

static int decode_field(const struct field *f, void *obj, const unsigned char *p, size_t n)
{
	char *base = obj;
	void *dst = base + f->off;
	int r = 0;

	switch (f->type) {
	case F_STR: {
		char **s = dst;
		if (*s)
			return -EBADMSG; /* a field given twice */
		*s = dup_str(p, n, &r);
		return r;
	}
	case F_U32:
	case F_STATUS:
		if (n != 4)
			return -EBADMSG;
		if (f->type == F_U32)
			*(uint32_t *)dst = (uint32_t)get_le(p, 4);
		else if (get_le(p, 4) > ROSTER_DELETED)
			return -EBADMSG;
		else
			*(enum roster_status *)dst = (enum roster_status)get_le(p, 4);
		return 0;
	case F_I64:
		if (n != 8)
			return -EBADMSG;
		*(int64_t *)dst = (int64_t)get_le(p, 8);
		return 0;
	case F_BOOL:
		if (n != 1 || p[0] > 1)
			return -EBADMSG;
		*(bool *)dst = p[0];
		return 0;
	case F_UUID:
		if (n != ROSTER_UUID_LEN || memchr(p, '\0', n))
			return -EBADMSG;
		memcpy(dst, p, n);
		((char *)dst)[n] = '\0';
		return 0;
	case F_HASH:
		if (n != 32)
			return -EBADMSG;
		memcpy(dst, p, 32);
		return 0;
	case F_STRV:
		/* decode_fields() fills lists itself, sized by a first pass. */
		return -EINVAL;
	}
	return -EBADMSG;
}

/* The per-field callback lets events decode their nested change lists. */
typedef int (*extra_fn)(void *obj, uint16_t tag, const unsigned char *p, size_t n);

/* Walks the fields of a record: the first pass (fill == NULL) counts the
 * elements of each list field, the second decodes. */
static int walk_fields(const struct field *f, size_t nf, void *obj, const unsigned char *p,
		       const unsigned char *end, struct buf *unknown, extra_fn extra, size_t *count,
		       bool decode)
{
	char *base = obj;
	int r = 0;

	while (p < end) {
		uint16_t tag;
		size_t n, i;

		if ((size_t)(end - p) < 6)
			return -EBADMSG;
		tag = (uint16_t)get_le(p, 2);
		n = (size_t)get_le(p + 2, 4);
		if (n > (size_t)(end - p) - 6)
			return -EBADMSG;
		for (i = 0; i < nf && f[i].tag != tag; i++)
			;
		if (!decode) {
			if (i < nf && f[i].type == F_STRV)
				count[i]++;
		} else if (i < nf && f[i].type == F_STRV) {
			char **v = *(char ***)(base + f[i].off);

			v[count[i]] = dup_str(p + 6, n, &r);
			if (v[count[i]])
				count[i]++;
		} else if (i < nf)
			r = decode_field(&f[i], obj, p + 6, n);
		else if (extra && (r = extra(obj, tag, p + 6, n)) != -ENOENT)
			;
		else if (unknown) {
			buf_put(unknown, p, 6 + n);
			r = unknown->err;
		} else
			r = 0;
		if (r < 0)
			return r;
		p += 6 + n;
	}
	return 0;
}

static int decode_fields(char type, const struct field *f, size_t nf, void *obj,
			 const void *data, size_t len, struct buf *unknown, extra_fn extra)
{
	const unsigned char *p = data, *end = p + len;
	size_t count[32] = { 0 };
	char *base = obj;
	int r;

	if (len < 4 || p[0] != 'R' || p[1] != (unsigned char)type || p[2] == 0)
		return -EBADMSG;
	/* A newer major version may change meanings, not just add fields. */
	if (p[2] > REC_VERSION)
		return -EPROTONOSUPPORT;
	if (nf > sizeof(count) / sizeof(count[0]))
		return -EINVAL;
	r = walk_fields(f, nf, obj, p + 4, end, NULL, NULL, count, false);
	if (r < 0)
		return r;
	for (size_t i = 0; i < nf; i++) {
		if (f[i].type != F_STRV || count[i] == 0)
			continue;
		/* every element costs at least its 6-byte header: no overflow */
		*(char ***)(base + f[i].off) = calloc(count[i] + 1, sizeof(char *));
		if (!*(char ***)(base + f[i].off))
			return -ENOMEM;
		count[i] = 0;
	}
	r = walk_fields(f, nf, obj, p + 4, end, unknown, extra, count, true);
	for (size_t i = 0; i < nf; i++)
		if (f[i].type == F_STRV && count[i])
			strv_normalize(*(char ***)(base + f[i].off), count[i]);
	return r;
}

int codec_user_encode(const struct roster_user *u, struct buf *out)
{
	encode_fields(out, 'U', user_fields, sizeof(user_fields) / sizeof(user_fields[0]), u);
	buf_put(out, u->unknown, u->unknown_len);
	return out->err;
}

int codec_user_decode(const void *p, size_t n, struct roster_user **out)
{
	struct roster_user *u = calloc(1, sizeof(*u));
	struct buf unk = { 0 };
	int r;

	if (!u)
		return -ENOMEM;
	u->expires = ROSTER_NO_DATE;
	r = decode_fields('U', user_fields, sizeof(user_fields) / sizeof(user_fields[0]), u,
			  p, n, &unk, NULL);
	if (r == 0 && (!u->name || !u->uuid[0]))
		r = -EBADMSG;
	if (r < 0) {
		buf_free(&unk);
		roster_user_free(u);
		return r;
	}
	u->unknown = unk.p;
	u->unknown_len = unk.len;
	*out = u;
	return 0;
}

int codec_role_encode(const struct roster_role *r, struct buf *out)
{
	encode_fields(out, 'G', role_fields, sizeof(role_fields) / sizeof(role_fields[0]), r);
	buf_put(out, r->unknown, r->unknown_len);
	return out->err;
}

int codec_role_decode(const void *p, size_t n, struct roster_role **out)
{
	struct roster_role *role = calloc(1, sizeof(*role));
	struct buf unk = { 0 };
	int r;

	if (!role)
		return -ENOMEM;
	r = decode_fields('G', role_fields, sizeof(role_fields) / sizeof(role_fields[0]), role,
			  p, n, &unk, NULL);
	if (r == 0 && !role->name)
		r = -EBADMSG;
	if (r < 0) {
		buf_free(&unk);
		roster_role_free(role);
		return r;
	}
	role->unknown = unk.p;
	role->unknown_len = unk.len;
	*out = role;
	return 0;
}

int codec_api_encode(const struct roster_api *a, struct buf *out)
{
	encode_fields(out, 'A', api_fields, sizeof(api_fields) / sizeof(api_fields[0]), a);
	buf_put(out, a->unknown, a->unknown_len);
	return out->err;
}

int codec_api_decode(const void *p, size_t n, struct roster_api **out)
{
	struct roster_api *a = calloc(1, sizeof(*a));
	struct buf unk = { 0 };
	int r;

	if (!a)
		return -ENOMEM;
	a->expires = ROSTER_NO_DATE;
	r = decode_fields('A', api_fields, sizeof(api_fields) / sizeof(api_fields[0]), a, p, n, &unk, NULL);
	if (r == 0 && (!a->label || !a->hash))
		r = -EBADMSG;
	if (r < 0) {
		buf_free(&unk);
		roster_api_free(a);
		return r;
	}
	a->unknown = unk.p;
	a->unknown_len = unk.len;
	*out = a;
	return 0;
}

/* A change: u8 flags (1 secret, 2 has old, 4 has new), then three
 * length-prefixed strings: field, old, new. */
int codec_event_encode(const struct roster_event *e, struct buf *out)
{
	encode_fields(out, 'E', event_fields, sizeof(event_fields) / sizeof(event_fields[0]), e);
	for (size_t i = 0; i < e->nchanges; i++) {
		const struct roster_change *c = &e->changes[i];
		const char *s[3] = { c->field, c->old_value, c->new_value };
		struct buf cb = { 0 };
		unsigned char flags = (unsigned char)((c->secret ? 1 : 0) | (c->old_value ? 2 : 0) |
						      (c->new_value ? 4 : 0));

		buf_put(&cb, &flags, 1);
		for (int k = 0; k < 3; k++) {
			size_t n = s[k] ? strlen(s[k]) : 0;
			put_le(&cb, n, 4);
			buf_put(&cb, s[k], n);
		}
		if (cb.err)
			out->err = out->err ? out->err : cb.err;
		else
			put_field(out, EV_CHANGE, cb.p, cb.len);
		buf_free(&cb);
	}
	return out->err;
}

static int event_extra(void *obj, uint16_t tag, const unsigned char *p, size_t n)
{
	struct roster_event *e = obj;
	struct roster_change c = { 0 }, *v;
	char **s[3] = { &c.field, &c.old_value, &c.new_value };
	const unsigned char *end = p + n;
	unsigned char flags;
	int r = 0;

	if (tag != EV_CHANGE)
		return -ENOENT;
	if (n < 1)
		return -EBADMSG;
	flags = *p++;
	c.secret = flags & 1;
	for (int k = 0; k < 3 && r == 0; k++) {
		bool present = k == 0 || (flags & (k == 1 ? 2 : 4));
		size_t len;

		if (end - p < 4) {
			r = -EBADMSG;
			break;
		}
		len = (size_t)get_le(p, 4);
		p += 4;
		if (len > (size_t)(end - p)) {
			r = -EBADMSG;
			break;
		}
		if (present)
			*s[k] = dup_str(p, len, &r);
		p += len;
	}
	if (r == 0 && !c.field)
		r = -EBADMSG;
	if (r == 0) {
		v = realloc(e->changes, (e->nchanges + 1) * sizeof(*v));
		if (v) {
			e->changes = v;
			e->changes[e->nchanges++] = c;
			return 0;
		}
		r = -ENOMEM;
	}
	free(c.field);
	free(c.old_value);
	free(c.new_value);
	return r;
}

int codec_event_decode(const void *p, size_t n, struct roster_event **out)
{
	struct roster_event *e = calloc(1, sizeof(*e));
	int r;

	if (!e)
		return -ENOMEM;
	r = decode_fields('E', event_fields, sizeof(event_fields) / sizeof(event_fields[0]), e,
			  p, n, NULL, event_extra);
	if (r == 0 && (!e->actor || !e->action || !e->subject))
		r = -EBADMSG;
	if (r < 0) {
		roster_event_free(e);
		return r;
	}
	*out = e;
	return 0;
}

/* A bare list of strings (role members), tag 1 repeated. */
static const struct field strv_field[] = { { 1, F_STRV, 0 } };

int codec_strv_encode(char *const *v, struct buf *out)
{
	encode_fields(out, 'L', strv_field, 1, &v);
	return out->err;
}

int codec_strv_decode(const void *p, size_t n, char ***out)
{
	char **v = NULL;
	int r = decode_fields('L', strv_field, 1, &v, p, n, NULL, NULL);

	if (r < 0) {
		roster_strv_free(v);
		return r;
	}
	*out = v;
	return 0;
}

/* ---- lists in place ----
 * A member list of a big role is millions of bytes: adding one name must
 * not cost a string per member.  These read the encoding as it is, but
 * only the canonical one codec_strv_encode writes (its exact header, every
 * field tag 1, no NUL, strictly ascending): anything else is -EAGAIN, and
 * the caller decodes, which normalizes. */

/* Compares element a (alen bytes) with b as strcmp would. */
static int elem_cmp(const unsigned char *a, size_t alen, const char *b, size_t blen)
{
	int d = memcmp(a, b, alen < blen ? alen : blen);

	return d ? d : (alen > blen) - (alen < blen);
}

/* Checks the canonical form; sets *count. */
static int strv_canonical(const unsigned char *p, size_t n, size_t *count)
{
	const unsigned char *end = p + n, *prev = NULL;
	size_t prev_len = 0;

	*count = 0;
	if (n < 4 || p[0] != 'R' || p[1] != 'L' || p[2] == 0)
		return -EBADMSG;
	if (p[2] > REC_VERSION)
		return -EPROTONOSUPPORT;
	if (p[2] != REC_VERSION || p[3] != 0) /* not the header we write */
		return -EAGAIN;
	for (p += 4; p < end; p += 6 + (size_t)get_le(p + 2, 4)) {
		size_t len;

		if ((size_t)(end - p) < 6)
			return -EBADMSG;
		len = (size_t)get_le(p + 2, 4);
		if (len > (size_t)(end - p) - 6)
			return -EBADMSG;
		if (get_le(p, 2) != 1 || memchr(p + 6, '\0', len) ||
		    (prev && elem_cmp(prev, prev_len, (const char *)p + 6, len) >= 0))
			return -EAGAIN;
		prev = p + 6;
		prev_len = len;
		(*count)++;
	}
	return 0;
}

int codec_strv_each(const void *data, size_t n, size_t *count, strv_elem_fn fn, void *priv)
{
	const unsigned char *p = data, *end = p + n;
	int r = strv_canonical(p, n, count);

	if (r < 0)
		return r;
	for (p += 4; r == 0 && p < end; p += 6 + (size_t)get_le(p + 2, 4))
		r = fn((const char *)p + 6, (size_t)get_le(p + 2, 4), priv);
	return r;
}

int codec_strv_splice(const void *data, size_t n, const char *s, bool add, struct buf *out,
		      bool *changed)
{
	const unsigned char *p = data, *end = p + n, *at;
	size_t count, slen = strlen(s);
	int r = strv_canonical(p, n, &count), d = 1;

	*changed = false;
	if (r < 0)
		return r;
	/* the first element not below s: where s is, or goes */
	for (at = p + 4; at < end; at += 6 + (size_t)get_le(at + 2, 4))
		if ((d = elem_cmp(at + 6, (size_t)get_le(at + 2, 4), s, slen)) >= 0)
			break;
	if ((d == 0) == add) { /* already there, or already absent */
		buf_put(out, data, n);
		return out->err ? out->err : (int)(count > INT_MAX ? INT_MAX : count);
	}
	*changed = true;
	buf_put(out, data, (size_t)(at - p));
	if (add) {
		put_field(out, 1, s, slen);
		buf_put(out, at, (size_t)(end - at));
		count++;
	} else {
		const unsigned char *next = at + 6 + (size_t)get_le(at + 2, 4);

		buf_put(out, next, (size_t)(end - next));
		count--;
	}
	return out->err ? out->err : (int)(count > INT_MAX ? INT_MAX : count);
}

int codec_strv_merge(const void *data, size_t n, char *const *add, size_t nadd, struct buf *out)
{
	static const unsigned char empty[4] = { 'R', 'L', REC_VERSION, 0 };
	const unsigned char *p = n ? data : empty, *end = p + (n ? n : sizeof(empty));
	size_t count, i = 0;
	int r = strv_canonical(p, (size_t)(end - p), &count);

	if (r < 0)
		return r;
	for (size_t k = 1; k < nadd; k++)
		if (strcmp(add[k - 1], add[k]) >= 0)
			return -EINVAL;
	buf_put(out, p, 4);
	for (p += 4; p < end || i < nadd;) {
		size_t len = p < end ? (size_t)get_le(p + 2, 4) : 0;
		int d = p == end ? 1 : i == nadd ? -1 : elem_cmp(p + 6, len, add[i], strlen(add[i]));

		if (d <= 0) { /* the stored element, as it is */
			buf_put(out, p, 6 + len);
			p += 6 + len;
		} else
			put_field(out, 1, add[i], strlen(add[i]));
		i += d >= 0;
	}
	return out->err;
}
