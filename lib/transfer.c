/* transfer.c - roster db export and import, and adoption of /etc/passwd users.
 *
 * The file formats (README "Import and export"):
 *  - JSON Lines: one object per line, {"type": "meta"|"role"|"user"|"api", ...},
 *    parsed with jansson; a line's fields are those of the tables below.
 *  - CSV (RFC 4180), parsed with libcsv: a header naming the columns, "type"
 *    among them, then one row per record; a list is one field, "a,b".
 * Export writes a meta record, the roles, the users (tombstones included, so
 * that no name or id is ever handed out again) and the API passwords, each
 * sorted by name, so exporting an imported export gives the same bytes.
 *
 * MUST rules:
 *  1. Nothing is written before every record has been parsed and checked:
 *     against the database, the system files and the other records.
 *  2. Every rejected record is reported with its line and the reason; with
 *     all_or_nothing one rejection writes nothing.
 *  3. Records are written in batches, each one roster transaction: a crash
 *     leaves whole batches.  The writers' lock is held from the checks to
 *     the last batch, so nothing checked can change underneath.
 *  4. A supervisor is written no later than the users reporting to them,
 *     and a user's API passwords in the user's batch.
 *  5. Hashes are copied, never computed: importing costs no argon2id.
 */
#include "internal.h"

#include <csv.h>
#include <errno.h>
#include <jansson.h>
#include <pthread.h>
#include <sodium.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uuid/uuid.h>

#define FORMAT_NAME "roster-export"
#define FORMAT_VERSION 1
#define VALUE_MAX 4096 /* one field, in bytes; a CSV list up to LINE_MAX_BYTES */
/* One JSON line or CSV record: room for a user in ROSTER_USER_ROLES_MAX
 * roles of 32 bytes, so that whatever export writes, import reads. */
#define LINE_MAX_BYTES (4 << 20)
#define LIST_MAX ROSTER_USER_ROLES_MAX /* names in one list */
#define DEFAULT_BATCH 50000

/* ---- the fields of each record type ---- */

enum ftype { T_STR, T_U32, T_U64, T_BOOL, T_STRV, T_DATE, T_TIME, T_STATUS, T_UUID };
enum kind { K_META, K_ROLE, K_USER, K_API, K_COUNT };

struct field {
	const char *name;
	enum ftype type;
	size_t off;
};

struct meta {
	char *format;
	uint64_t version, next_id;
};

struct api_rec {
	char *user;
	struct roster_api a;
};

#define F(st, n, t, m) { n, t, offsetof(st, m) }
static const struct field meta_fields[] = {
	F(struct meta, "format", T_STR, format),
	F(struct meta, "version", T_U64, version),
	F(struct meta, "next_id", T_U64, next_id),
	{ 0 },
};
static const struct field role_fields[] = {
	F(struct roster_role, "name", T_STR, name),
	F(struct roster_role, "gid", T_U32, gid),
	F(struct roster_role, "description", T_STR, description),
	F(struct roster_role, "services", T_STRV, services),
	F(struct roster_role, "created", T_TIME, created),
	F(struct roster_role, "created_by", T_STR, created_by),
	F(struct roster_role, "updated", T_TIME, updated),
	F(struct roster_role, "updated_by", T_STR, updated_by),
	{ 0 },
};
static const struct field user_fields[] = {
	F(struct roster_user, "name", T_STR, name),
	F(struct roster_user, "uid", T_U32, uid),
	F(struct roster_user, "gid", T_U32, gid),
	F(struct roster_user, "uuid", T_UUID, uuid),
	F(struct roster_user, "email", T_STR, email),
	F(struct roster_user, "first", T_STR, first),
	F(struct roster_user, "last", T_STR, last),
	F(struct roster_user, "supervisor", T_STR, supervisor),
	F(struct roster_user, "shell", T_STR, shell),
	F(struct roster_user, "home", T_STR, home),
	F(struct roster_user, "status", T_STATUS, status),
	F(struct roster_user, "roles", T_STRV, roles),
	F(struct roster_user, "must_change", T_BOOL, must_change),
	F(struct roster_user, "expires", T_DATE, expires),
	F(struct roster_user, "created", T_TIME, created),
	F(struct roster_user, "created_by", T_STR, created_by),
	F(struct roster_user, "updated", T_TIME, updated),
	F(struct roster_user, "updated_by", T_STR, updated_by),
	F(struct roster_user, "password_hash", T_STR, pwhash),
	F(struct roster_user, "api_enabled", T_BOOL, api_enabled),
	F(struct roster_user, "fail_count", T_U32, fail_count),
	F(struct roster_user, "fail_first", T_TIME, fail_first),
	F(struct roster_user, "locked_until", T_TIME, locked_until),
	F(struct roster_user, "last_login", T_TIME, last_login),
	F(struct roster_user, "last_service", T_STR, last_service),
	F(struct roster_user, "last_host", T_STR, last_host),
	F(struct roster_user, "invite_hash", T_STR, invite_hash),
	F(struct roster_user, "invite_sent", T_TIME, invite_sent),
	F(struct roster_user, "invite_expires", T_TIME, invite_expires),
	F(struct roster_user, "invited_by", T_STR, invited_by),
	{ 0 },
};
static const struct field api_fields[] = {
	F(struct api_rec, "user", T_STR, user),
	F(struct api_rec, "label", T_STR, a.label),
	F(struct api_rec, "password_hash", T_STR, a.hash),
	F(struct api_rec, "services", T_STRV, a.services),
	F(struct api_rec, "expires", T_DATE, a.expires),
	F(struct api_rec, "created", T_TIME, a.created),
	F(struct api_rec, "created_by", T_STR, a.created_by),
	F(struct api_rec, "last_used", T_TIME, a.last_used),
	F(struct api_rec, "last_service", T_STR, a.last_service),
	{ 0 },
};
#undef F

static const char *const kind_names[K_COUNT] = { "meta", "role", "user", "api" };
static const struct field *const kind_fields[K_COUNT] = { meta_fields, role_fields, user_fields, api_fields };

static int kind_parse(const char *s, enum kind *k)
{
	for (int i = 0; i < K_COUNT; i++)
		if (strcmp(s, kind_names[i]) == 0) {
			*k = (enum kind)i;
			return 0;
		}
	return -EINVAL;
}

static const struct field *field_find(enum kind k, const char *name, unsigned *index)
{
	for (unsigned i = 0; kind_fields[k][i].name; i++)
		if (strcmp(kind_fields[k][i].name, name) == 0) {
			*index = i;
			return &kind_fields[k][i];
		}
	return NULL;
}

/* ---- one parsed record ---- */

struct item {
	enum kind kind;
	bool bad, adopt, written;
	unsigned long line;
	uint64_t given; /* bit i: field i of the kind's table was present */
	char *why;      /* the first reason it is rejected */
	void *rec;      /* struct meta, roster_role, roster_user or api_rec */
};

static void *rec_new(enum kind k)
{
	struct roster_user *u;
	struct api_rec *a;

	switch (k) {
	case K_META:
		return calloc(1, sizeof(struct meta));
	case K_ROLE:
		return calloc(1, sizeof(struct roster_role));
	case K_USER:
		if ((u = calloc(1, sizeof(*u))))
			u->expires = ROSTER_NO_DATE;
		return u;
	default:
		if ((a = calloc(1, sizeof(*a))))
			a->a.expires = ROSTER_NO_DATE;
		return a;
	}
}

static void item_clear(struct item *it)
{
	struct api_rec *a;
	struct meta *m;

	switch (it->kind) {
	case K_META:
		m = it->rec;
		if (m)
			free(m->format);
		free(m);
		break;
	case K_ROLE:
		roster_role_free(it->rec);
		break;
	case K_USER:
		roster_user_free(it->rec);
		break;
	default:
		a = it->rec;
		if (a) {
			free(a->user);
			free(a->a.label);
			roster_secret_free(a->a.hash);
			roster_strv_free(a->a.services);
			free(a->a.last_service);
			free(a->a.created_by);
		}
		free(a);
		break;
	}
	free(it->why);
	it->rec = NULL;
	it->why = NULL;
}

static void reject(struct item *it, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void reject(struct item *it, const char *fmt, ...)
{
	va_list ap;

	if (it->bad)
		return; /* the first reason is the one reported */
	it->bad = true;
	va_start(ap, fmt);
	if (vasprintf(&it->why, fmt, ap) < 0)
		it->why = NULL;
	va_end(ap);
}

static bool given(const struct item *it, const char *name)
{
	unsigned i;

	return field_find(it->kind, name, &i) && (it->given & (1ull << i));
}

/* "2026-11-23T07:40:13Z", or "manual" for a lockout only an admin ends. */
static int parse_time(const char *s, int64_t *t)
{
	char date[11];
	int64_t days;
	unsigned h, m, sec;

	if (strcmp(s, "manual") == 0) {
		*t = INT64_MAX;
		return 0;
	}
	if (strlen(s) != 20 || s[10] != 'T' || s[13] != ':' || s[16] != ':' || s[19] != 'Z')
		return -EINVAL;
	for (int i = 11; i < 19; i++)
		if (i != 13 && i != 16 && (s[i] < '0' || s[i] > '9'))
			return -EINVAL;
	memcpy(date, s, 10);
	date[10] = '\0';
	if (roster_parse_date(date, &days) < 0)
		return -EINVAL;
	h = (unsigned)((s[11] - '0') * 10 + (s[12] - '0'));
	m = (unsigned)((s[14] - '0') * 10 + (s[15] - '0'));
	sec = (unsigned)((s[17] - '0') * 10 + (s[18] - '0'));
	if (h > 23 || m > 59 || sec > 59)
		return -EINVAL;
	*t = days * 86400 + h * 3600 + m * 60 + sec;
	return 0;
}

static int parse_u64(const char *s, uint64_t max, uint64_t *v)
{
	uint64_t x = 0;

	if (!*s || (s[0] == '0' && s[1]))
		return -EINVAL;
	for (; *s; s++) {
		if (*s < '0' || *s > '9' || x > (max - (uint64_t)(*s - '0')) / 10)
			return -EINVAL;
		x = x * 10 + (uint64_t)(*s - '0');
	}
	*v = x;
	return 0;
}

/* Adds the k names (taken, freed on failure) to the list at *p, kept a
 * sorted set: one sort for the whole list, not an insertion per name, since
 * a list may hold LIST_MAX of them. */
static int list_add(char ***p, char **names, size_t k)
{
	size_t old = roster_strv_len(*p);
	char **v;

	if (k == 0)
		return 0; /* an empty list is no list, as before */
	if (!(v = realloc(*p, (old + k + 1) * sizeof(char *)))) {
		for (size_t i = 0; i < k; i++)
			free(names[i]);
		return -ENOMEM;
	}
	memcpy(v + old, names, k * sizeof(char *));
	strv_normalize(v, old + k);
	*p = v;
	return 0;
}

/* Sets field f of it from text s (len bytes); a list field takes one
 * element per call (JSON arrays) or a comma-separated list (CSV). */
static void set_field(struct item *it, unsigned index, const char *s, size_t len)
{
	const struct field *f = &kind_fields[it->kind][index];
	char *p = (char *)it->rec + f->off;
	uint64_t v;

	if (memchr(s, '\0', len) || (len > VALUE_MAX && f->type != T_STRV)) {
		reject(it, "field %s: %s", f->name, memchr(s, '\0', len) ? "contains a NUL byte" : "longer than 4096 bytes");
		return;
	}
	if ((it->given & (1ull << index)) && f->type != T_STRV) {
		reject(it, "field %s is given twice", f->name);
		return;
	}
	it->given |= 1ull << index;
	switch (f->type) {
	case T_STR:
		if (!(*(char **)p = strndup(s, len)))
			reject(it, "out of memory");
		break;
	case T_U32:
	case T_U64:
		if (parse_u64(s, f->type == T_U32 ? UINT32_MAX : UINT64_MAX, &v) < 0)
			reject(it, "field %s: '%.*s' is not a number in range", f->name, (int)len, s);
		else if (f->type == T_U32)
			*(uint32_t *)p = (uint32_t)v;
		else
			*(uint64_t *)p = v;
		break;
	case T_BOOL:
		if (strcmp(s, "true") == 0 || strcmp(s, "false") == 0)
			*(bool *)p = s[0] == 't';
		else
			reject(it, "field %s: '%.*s' is neither true nor false", f->name, (int)len, s);
		break;
	case T_STRV: {
		char *copy, *save = NULL, **names;
		size_t n = 1, k = 0;

		for (size_t i = 0; i < len; i++)
			n += s[i] == ',';
		if (n > LIST_MAX) {
			reject(it, "field %s: more than %d names", f->name, LIST_MAX);
			break;
		}
		copy = strndup(s, len);
		names = calloc(n, sizeof(char *));
		for (char *e = copy && names ? strtok_r(copy, ",", &save) : NULL; e; e = strtok_r(NULL, ",", &save))
			if (!(names[k++] = strdup(e)))
				break;
		if (!copy || !names || (k && !names[k - 1])) {
			for (size_t i = 0; names && i < k; i++)
				free(names[i]);
			reject(it, "out of memory");
		} else if (list_add((char ***)p, names, k) < 0) /* it frees them */
			reject(it, "out of memory");
		free(copy);
		free(names);
		break;
	}
	case T_DATE:
		if (roster_parse_date(s, (int64_t *)p) < 0)
			reject(it, "field %s: '%.*s' is not a date (YYYY-MM-DD)", f->name, (int)len, s);
		break;
	case T_TIME:
		if (parse_time(s, (int64_t *)p) < 0)
			reject(it, "field %s: '%.*s' is not a UTC time (YYYY-MM-DDTHH:MM:SSZ)", f->name, (int)len, s);
		break;
	case T_STATUS: {
		int st;

		if (roster_status_parse(s, (enum roster_status *)&st) < 0)
			reject(it, "field %s: unknown status '%.*s'", f->name, (int)len, s);
		else
			*(enum roster_status *)p = (enum roster_status)st;
		break;
	}
	case T_UUID: {
		uuid_t id;

		if (len != ROSTER_UUID_LEN || uuid_parse(s, id) < 0)
			reject(it, "field uuid: '%.*s' is not a UUID", (int)len, s);
		else
			uuid_unparse_lower(id, p);
		break;
	}
	}
}

/* ---- the list of records ---- */

struct items {
	struct item *v;
	size_t n, cap;
};

static struct item *items_add(struct items *l, enum kind k, unsigned long line)
{
	struct item *it;

	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 1024;
		struct item *v = realloc(l->v, cap * sizeof(*v));

		if (!v)
			return NULL;
		l->v = v;
		l->cap = cap;
	}
	it = &l->v[l->n];
	memset(it, 0, sizeof(*it));
	it->kind = k;
	it->line = line;
	if (!(it->rec = rec_new(k)))
		return NULL;
	l->n++;
	return it;
}

static void items_free(struct items *l)
{
	for (size_t i = 0; i < l->n; i++)
		item_clear(&l->v[i]);
	free(l->v);
	memset(l, 0, sizeof(*l));
}

/* A line the parser could not turn into a record: a placeholder that is
 * reported like any rejected record. */
static int items_bad(struct items *l, unsigned long line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int items_bad(struct items *l, unsigned long line, const char *fmt, ...)
{
	struct item *it = items_add(l, K_META, line);
	va_list ap;

	if (!it)
		return -ENOMEM;
	it->bad = true;
	va_start(ap, fmt);
	if (vasprintf(&it->why, fmt, ap) < 0)
		it->why = NULL;
	va_end(ap);
	return 0;
}

/* ---- JSON Lines ---- */

static int json_value(struct item *it, unsigned index, json_t *v)
{
	const struct field *f = &kind_fields[it->kind][index];
	char num[32];

	if (json_is_null(v))
		return 0;
	if (json_is_string(v)) {
		if (f->type == T_U32 || f->type == T_U64 || f->type == T_BOOL)
			reject(it, "field %s: a %s is expected, not a string", f->name,
			       f->type == T_BOOL ? "boolean" : "number");
		else
			set_field(it, index, json_string_value(v), json_string_length(v));
	} else if (json_is_integer(v) && (f->type == T_U32 || f->type == T_U64)) {
		if (json_integer_value(v) < 0)
			reject(it, "field %s: a negative number", f->name);
		else {
			snprintf(num, sizeof(num), "%lld", (long long)json_integer_value(v));
			set_field(it, index, num, strlen(num));
		}
	} else if (json_is_boolean(v) && f->type == T_BOOL)
		set_field(it, index, json_is_true(v) ? "true" : "false", json_is_true(v) ? 4 : 5);
	else if (json_is_array(v) && f->type == T_STRV) {
		size_t i, k = 0;
		json_t *e;
		char **names;

		it->given |= 1ull << index;
		if (json_array_size(v) > LIST_MAX) {
			reject(it, "field %s: more than %d names", f->name, LIST_MAX);
			return 0;
		}
		if (!(names = calloc(json_array_size(v) + 1, sizeof(char *)))) {
			reject(it, "out of memory");
			return 0;
		}
		json_array_foreach(v, i, e) {
			const char *n = json_string_value(e);
			size_t len = json_string_length(e);

			if (!json_is_string(e) || len == 0 || len > VALUE_MAX || memchr(n, '\0', len) || strchr(n, ',')) {
				reject(it, "field %s: a list of names is expected", f->name);
				break;
			}
			if (!(names[k++] = strndup(n, len))) {
				reject(it, "out of memory");
				break;
			}
		}
		if (i < json_array_size(v)) {
			for (size_t j = 0; j < k; j++)
				free(names[j]);
		} else if (list_add((char ***)((char *)it->rec + f->off), names, k) < 0)
			reject(it, "out of memory");
		free(names);
	} else
		reject(it, "field %s: wrong type of value", f->name);
	return 0;
}

static int parse_json_line(struct items *l, const char *line, size_t len, unsigned long lineno)
{
	json_error_t err;
	json_t *o = json_loadb(line, len, JSON_REJECT_DUPLICATES, &err), *t, *v;
	const char *key;
	struct item *it;
	enum kind k;

	if (!o)
		return items_bad(l, lineno, "not valid JSON: %s (column %d)", err.text, err.column);
	t = json_object_get(o, "type");
	if (!json_is_object(o) || !json_is_string(t) || kind_parse(json_string_value(t), &k) < 0) {
		json_decref(o);
		return items_bad(l, lineno, "not a record: an object with \"type\": meta, role, user or api is expected");
	}
	if (!(it = items_add(l, k, lineno))) {
		json_decref(o);
		return -ENOMEM;
	}
	json_object_foreach(o, key, v) {
		unsigned index;

		if (strcmp(key, "type") == 0)
			continue;
		if (!field_find(k, key, &index))
			reject(it, "unknown field \"%.64s\" in a %s record", key, kind_names[k]);
		else
			json_value(it, index, v);
	}
	json_decref(o);
	return 0;
}

static int parse_json(FILE *in, struct items *l)
{
	char *line = NULL;
	size_t cap = 0;
	unsigned long lineno = 0;
	ssize_t n;
	int r = 0;

	while (r == 0 && (n = getline(&line, &cap, in)) > 0) {
		size_t len = (size_t)n;

		lineno++;
		while (len && (line[len - 1] == '\n' || line[len - 1] == '\r' || line[len - 1] == ' '))
			len--;
		if (len == 0)
			continue;
		if (len > LINE_MAX_BYTES)
			r = items_bad(l, lineno, "the line is longer than %d bytes", LINE_MAX_BYTES);
		else
			r = parse_json_line(l, line, len, lineno);
	}
	free(line);
	return r ?: (ferror(in) ? -EIO : 0);
}

/* ---- CSV ---- */

struct csv_state {
	struct items *l;
	char **header;       /* column names */
	size_t ncols;
	char **row;          /* the fields of the current record */
	size_t *rowlen;      /* their lengths: a field may hold a NUL */
	size_t nrow, rowcap, rowbytes;
	unsigned long line, row_line;
	int r;
};

static void csv_field(void *s, size_t len, void *priv)
{
	struct csv_state *c = priv;

	if (c->r)
		return;
	if (c->nrow == c->rowcap) {
		size_t cap = c->rowcap ? c->rowcap * 2 : 64;
		char **v = realloc(c->row, cap * sizeof(*v));
		size_t *lv = v ? realloc(c->rowlen, cap * sizeof(*lv)) : NULL;

		if (v)
			c->row = v;
		if (!v || !lv) {
			c->r = -ENOMEM;
			return;
		}
		c->rowlen = lv;
		c->rowcap = cap;
	}
	c->rowlen[c->nrow] = s ? len : 0;
	c->rowbytes += len;
	/* libcsv hands out len bytes; a NUL inside is kept for set_field to see. */
	if (!(c->row[c->nrow] = malloc(len + 1))) {
		c->r = -ENOMEM;
		return;
	}
	memcpy(c->row[c->nrow], s ? s : "", s ? len : 0);
	c->row[c->nrow][s ? len : 0] = '\0';
	c->nrow++;
}

static void csv_row_free(struct csv_state *c)
{
	for (size_t i = 0; i < c->nrow; i++)
		free(c->row[i]);
	c->nrow = 0;
	c->rowbytes = 0;
}

static void csv_record(struct csv_state *c)
{
	struct item *it;
	enum kind k;
	size_t type_col = SIZE_MAX;

	for (size_t i = 0; i < c->ncols; i++)
		if (strcmp(c->header[i], "type") == 0)
			type_col = i;
	if (c->nrow != c->ncols) {
		c->r = items_bad(c->l, c->row_line, "%zu fields where the header has %zu", c->nrow, c->ncols);
		return;
	}
	if (c->rowbytes > LINE_MAX_BYTES) {
		c->r = items_bad(c->l, c->row_line, "the record is longer than %d bytes", LINE_MAX_BYTES);
		return;
	}
	if (kind_parse(c->row[type_col], &k) < 0) {
		c->r = items_bad(c->l, c->row_line, "type '%.32s' is none of meta, role, user, api",
				 c->row[type_col]);
		return;
	}
	if (!(it = items_add(c->l, k, c->row_line))) {
		c->r = -ENOMEM;
		return;
	}
	for (size_t i = 0; i < c->ncols; i++) {
		size_t len = c->rowlen[i];
		unsigned index;

		if (i == type_col)
			continue;
		/* a NUL inside shows as a length mismatch: set_field refuses it */
		if (!field_find(k, c->header[i], &index)) {
			if (len)
				reject(it, "column %s does not apply to a %s record", c->header[i], kind_names[k]);
			continue;
		}
		if (len)
			set_field(it, index, c->row[i], len);
	}
}

static void csv_end(int term, void *priv)
{
	struct csv_state *c = priv;

	(void)term;
	if (c->r == 0 && !c->header) {
		bool has_type = false;

		c->header = c->row;
		c->ncols = c->nrow;
		c->row = NULL;
		free(c->rowlen);
		c->rowlen = NULL;
		c->nrow = c->rowcap = 0;
		for (size_t i = 0; i < c->ncols; i++) {
			bool known = strcmp(c->header[i], "type") == 0;

			has_type |= known;
			for (int k = 0; !known && k < K_COUNT; k++) {
				unsigned index;

				known = field_find((enum kind)k, c->header[i], &index) != NULL;
			}
			for (size_t j = 0; known && j < i; j++)
				known = strcmp(c->header[i], c->header[j]) != 0;
			if (!known)
				c->r = items_bad(c->l, c->row_line, "the header names an unknown or repeated column '%.64s'",
						 c->header[i]) ?: -EINVAL;
		}
		if (c->r == 0 && !has_type)
			c->r = items_bad(c->l, c->row_line, "the header has no \"type\" column") ?: -EINVAL;
		return;
	}
	if (c->r == 0)
		csv_record(c);
	csv_row_free(c);
}

static int parse_csv(FILE *in, struct items *l)
{
	struct csv_parser p;
	struct csv_state c = { .l = l };
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;

	if (csv_init(&p, CSV_STRICT | CSV_STRICT_FINI) != 0)
		return -ENOMEM;
	while (c.r == 0 && (n = getline(&line, &cap, in)) > 0) {
		c.line++;
		if (p.pstate == 0) /* ROW_NOT_BEGUN: a record starts on this line */
			c.row_line = c.line;
		if (csv_parse(&p, line, (size_t)n, csv_field, csv_end, &c) != (size_t)n) {
			c.r = items_bad(l, c.line, "CSV syntax: %s", csv_strerror(csv_error(&p))) ?: -EINVAL;
			break;
		}
	}
	if (c.r == 0 && csv_fini(&p, csv_field, csv_end, &c) != 0)
		c.r = items_bad(l, c.line, "CSV syntax: %s at the end of the file",
				csv_strerror(csv_error(&p))) ?: -EINVAL;
	if (c.r == 0 && !c.header)
		c.r = items_bad(l, 1, "empty file: a header line is expected") ?: -EINVAL;
	csv_free(&p);
	csv_row_free(&c);
	free(c.row);
	free(c.rowlen);
	for (size_t i = 0; i < c.ncols; i++)
		free(c.header[i]);
	free(c.header);
	free(line);
	/* -EINVAL: a syntax error ends the parse, and is reported as a record */
	return c.r == -EINVAL ? 0 : c.r ?: (ferror(in) ? -EIO : 0);
}

int roster_import_parse(FILE *in, enum roster_format fmt, roster_reject_fn fn, void *priv,
			unsigned long *records)
{
	struct items l = { 0 };
	int r = fmt == ROSTER_FORMAT_CSV ? parse_csv(in, &l) : parse_json(in, &l);

	for (size_t i = 0; r == 0 && i < l.n; i++)
		if (l.v[i].bad && fn)
			fn(l.v[i].line, l.v[i].why ? l.v[i].why : "out of memory", priv);
	if (records)
		*records = l.n;
	items_free(&l);
	return r;
}

/* ---- small open-addressing maps: string or id -> item index ---- */

struct map {
	uint64_t *keys;   /* a string key is stored as its pointer */
	uint32_t *vals;
	bool strings;
	size_t n, cap;    /* cap: a power of two, at most half full */
};

#define MAP_NONE UINT32_MAX

static uint64_t map_hash(const struct map *m, uint64_t k)
{
	if (m->strings) {
		uint64_t h = 14695981039346656037ull;

		for (const unsigned char *s = (const unsigned char *)(uintptr_t)k; *s; s++)
			h = (h ^ *s) * 1099511628211ull;
		k = h;
	}
	k ^= k >> 33;
	k *= 0xff51afd7ed558ccdull;
	k ^= k >> 33;
	return k;
}

static bool map_eq(const struct map *m, uint64_t a, uint64_t b)
{
	return m->strings ? strcmp((const char *)(uintptr_t)a, (const char *)(uintptr_t)b) == 0 : a == b;
}

/* The slot of k: where it is, or where it would go. */
static size_t map_slot(const struct map *m, uint64_t k)
{
	size_t i = (size_t)map_hash(m, k) & (m->cap - 1);

	while (m->vals[i] != MAP_NONE && !map_eq(m, m->keys[i], k))
		i = (i + 1) & (m->cap - 1);
	return i;
}

static uint32_t map_get(const struct map *m, uint64_t k)
{
	return m->cap ? m->vals[map_slot(m, k)] : MAP_NONE;
}

static int map_put(struct map *m, uint64_t k, uint32_t v)
{
	size_t i;

	if (2 * (m->n + 1) > m->cap) {
		struct map g = { .strings = m->strings, .n = m->n, .cap = m->cap ? m->cap * 2 : 1024 };

		g.keys = malloc(g.cap * sizeof(*g.keys));
		g.vals = malloc(g.cap * sizeof(*g.vals));
		if (!g.keys || !g.vals) {
			free(g.keys);
			free(g.vals);
			return -ENOMEM;
		}
		memset(g.vals, 0xff, g.cap * sizeof(*g.vals));
		for (size_t j = 0; j < m->cap; j++)
			if (m->vals[j] != MAP_NONE) {
				i = map_slot(&g, m->keys[j]);
				g.keys[i] = m->keys[j];
				g.vals[i] = m->vals[j];
			}
		free(m->keys);
		free(m->vals);
		*m = g;
	}
	i = map_slot(m, k);
	if (m->vals[i] == MAP_NONE)
		m->n++;
	m->keys[i] = k;
	m->vals[i] = v;
	return 0;
}

static void map_free(struct map *m)
{
	free(m->keys);
	free(m->vals);
	memset(m, 0, sizeof(*m));
}

#define SKEY(s) ((uint64_t)(uintptr_t)(s))

/* ---- checking every record ---- */

struct check {
	struct roster_db *db;
	const struct roster_config *cfg;
	struct items *l;
	struct map names;       /* user and role names of valid records */
	struct map emails;      /* lowercased */
	struct map ids;         /* uids and gids of valid records */
	struct map apis;        /* "user/label" */
	struct map sys_users, sys_groups; /* name -> id, from [system] passwd and group */
	struct map sys_uids, sys_gids;    /* id -> 0 */
	struct map shells;      /* checked shells: 1 listed, 0 not */
	char **owned;           /* strings the maps point into */
	size_t nowned, ownedcap;
	uint64_t next_id;       /* the database's counter, then the allocation point */
	uint64_t file_next_id;  /* from the meta record */
	int64_t now;
	int r;
};

static const char *own(struct check *c, const char *s)
{
	char *d;

	if (c->nowned == c->ownedcap) {
		size_t cap = c->ownedcap ? c->ownedcap * 2 : 256;
		char **v = realloc(c->owned, cap * sizeof(*v));

		if (!v)
			return NULL;
		c->owned = v;
		c->ownedcap = cap;
	}
	if (!(d = strdup(s)))
		return NULL;
	c->owned[c->nowned++] = d;
	return d;
}

static int sys_user(const char *name, uint32_t id, void *priv)
{
	struct check *c = priv;
	const char *n = own(c, name);

	if (!n)
		return -ENOMEM;
	return map_get(&c->sys_users, SKEY(n)) != MAP_NONE ? 0 :
	       map_put(&c->sys_users, SKEY(n), id) ?: map_put(&c->sys_uids, id, 0);
}

static int sys_group(const char *name, uint32_t id, void *priv)
{
	struct check *c = priv;
	const char *n = own(c, name);

	if (!n)
		return -ENOMEM;
	return map_get(&c->sys_groups, SKEY(n)) != MAP_NONE ? 0 :
	       map_put(&c->sys_groups, SKEY(n), id) ?: map_put(&c->sys_gids, id, 0);
}

static bool shell_ok(struct check *c, const char *shell)
{
	uint32_t v = map_get(&c->shells, SKEY(shell));
	const char *s;

	if (v == MAP_NONE) {
		v = sysdb_shell_ok(c->cfg, shell) == 0;
		if ((s = own(c, shell)) && map_put(&c->shells, SKEY(s), v) < 0)
			c->r = -ENOMEM;
	}
	return v == 1;
}

static bool db_has(struct roster_db *db, void (*key)(char *, const char *), const char *name)
{
	char k[KEY_MAX];

	key(k, name);
	return db_exists(db, k);
}

/* Whose is gid in the database: 'u' a user's private group, 'r' a role, 0 none. */
static char db_gid_owner(struct roster_db *db, uint32_t gid)
{
	char k[KEY_MAX];
	TDB_DATA d;
	char owner = 0;

	key_gid(k, gid);
	if (db_fetch(db, k, &d) == 0) {
		if (d.dsize > 2 && d.dptr[1] == ':')
			owner = (char)d.dptr[0];
		free(d.dptr);
	}
	return owner;
}

static bool text_ok(const char *s)
{
	return !s || roster_valid_text(s, ROSTER_TEXT_MAX) == 0;
}

static struct item *item_at(struct check *c, uint32_t i)
{
	return i == MAP_NONE ? NULL : &c->l->v[i];
}

static void check_meta(struct check *c, struct item *it, bool *seen)
{
	struct meta *m = it->rec;

	if (*seen)
		reject(it, "a second meta record");
	else if (m->format && strcmp(m->format, FORMAT_NAME) != 0)
		reject(it, "format '%.32s' is not %s", m->format, FORMAT_NAME);
	else if (given(it, "version") && m->version != FORMAT_VERSION)
		reject(it, "format version %llu: this roster reads version %d",
		       (unsigned long long)m->version, FORMAT_VERSION);
	*seen = true;
	if (!it->bad && m->next_id > c->file_next_id)
		c->file_next_id = m->next_id;
}

static void check_role(struct check *c, struct item *it, uint32_t index)
{
	struct roster_role *ro = it->rec;
	struct roster_role *old = NULL;
	struct item *other;

	if (!ro->name || roster_valid_name(ro->name) < 0) {
		reject(it, "invalid role name '%.64s'", ro->name ? ro->name : "");
		return;
	}
	if ((other = item_at(c, map_get(&c->names, SKEY(ro->name)))))
		reject(it, "%s is also given on line %lu", ro->name, other->line);
	else if (db_has(c->db, key_user, ro->name))
		reject(it, "%s is the name of a user", ro->name);
	else if (role_load(c->db, ro->name, &old) == 0) {
		if (given(it, "gid") && ro->gid != old->gid)
			reject(it, "role %s exists with gid %u, not %u", ro->name, (unsigned)old->gid,
			       (unsigned)ro->gid);
		ro->gid = old->gid;
	} else if (map_get(&c->sys_groups, SKEY(ro->name)) != MAP_NONE)
		reject(it, "group %s already exists in %s", ro->name, c->cfg->group_file);
	else if (given(it, "gid")) {
		if (ro->gid == 0 || roster_id_used(c->db, ro->gid))
			reject(it, "gid %u is already used", (unsigned)ro->gid);
		else if (map_get(&c->sys_gids, ro->gid) != MAP_NONE || map_get(&c->sys_uids, ro->gid) != MAP_NONE)
			reject(it, "gid %u is already used in %s or %s", (unsigned)ro->gid, c->cfg->group_file,
			       c->cfg->passwd_file);
		else if ((other = item_at(c, map_get(&c->ids, ro->gid))))
			reject(it, "gid %u is also given on line %lu", (unsigned)ro->gid, other->line);
	}
	roster_role_free(old);
	if (!text_ok(ro->description))
		reject(it, "invalid description: at most %d bytes of text without control characters",
		       ROSTER_TEXT_MAX);
	for (char **s = ro->services; s && *s; s++)
		if (roster_valid_service(*s) < 0)
			reject(it, "invalid PAM service name '%.64s'", *s);
	if (!text_ok(ro->created_by) || !text_ok(ro->updated_by))
		reject(it, "invalid created_by or updated_by");
	if (it->bad)
		return;
	if (map_put(&c->names, SKEY(ro->name), index) < 0 ||
	    (given(it, "gid") && map_put(&c->ids, ro->gid, index) < 0))
		c->r = -ENOMEM;
}

/* The uid: not root's, not roster's, not another record's, and not in the
 * system files, unless this is the /etc/passwd line being adopted. */
static void check_uid(struct check *c, struct item *it)
{
	struct roster_user *u = it->rec;
	struct item *other;
	uint32_t sys = map_get(&c->sys_users, SKEY(u->name));

	if (u->uid == 0)
		reject(it, "uid 0 is root's");
	else if (roster_id_used(c->db, u->uid))
		reject(it, "uid %u is already used in roster", (unsigned)u->uid);
	else if ((other = item_at(c, map_get(&c->ids, u->uid))))
		reject(it, "uid %u is also given on line %lu", (unsigned)u->uid, other->line);
	else if (map_get(&c->sys_uids, u->uid) != MAP_NONE && !(it->adopt && sys == u->uid))
		reject(it, "uid %u is already used in %s", (unsigned)u->uid, c->cfg->passwd_file);
}

/* The primary group: the private group (gid == uid), the shared group of
 * the config, a system group or a role. */
static void check_gid(struct check *c, struct item *it)
{
	struct roster_user *u = it->rec;
	struct item *other;

	if (u->gid == u->uid) {
		uint32_t sys = map_get(&c->sys_groups, SKEY(u->name));

		if (map_get(&c->sys_gids, u->gid) != MAP_NONE && !(it->adopt && sys == u->gid))
			reject(it, "gid %u is already used in %s", (unsigned)u->gid, c->cfg->group_file);
		else if (sys != MAP_NONE && !(it->adopt && sys == u->gid))
			reject(it, "group %s already exists in %s", u->name, c->cfg->group_file);
		return;
	}
	if (map_get(&c->sys_gids, u->gid) != MAP_NONE || db_gid_owner(c->db, u->gid) == 'r')
		return;
	other = item_at(c, map_get(&c->ids, u->gid));
	if (!other || other->kind != K_ROLE)
		reject(it, "gid %u is no group: neither the user's own (gid = uid), a role, nor in %s",
		       (unsigned)u->gid, c->cfg->group_file);
}

static void check_user(struct check *c, struct item *it, uint32_t index)
{
	struct roster_user *u = it->rec;
	bool tomb = u->status == ROSTER_DELETED;
	struct item *other;
	char norm[4096], key[KEY_MAX];

	if (!u->name || roster_valid_name(u->name) < 0) {
		reject(it, "invalid user name '%.64s'", u->name ? u->name : "");
		return;
	}
	if ((other = item_at(c, map_get(&c->names, SKEY(u->name)))))
		reject(it, "%s is also given on line %lu", u->name, other->line);
	else if (db_has(c->db, key_user, u->name))
		reject(it, "user %s already exists", u->name);
	else if (db_has(c->db, key_role, u->name))
		reject(it, "%s is the name of a role", u->name);
	else if (!tomb && map_get(&c->sys_users, SKEY(u->name)) != MAP_NONE &&
		 !(it->adopt && map_get(&c->sys_users, SKEY(u->name)) == u->uid))
		reject(it, "%s already exists in %s", u->name, c->cfg->passwd_file);
	if (tomb && !given(it, "uid"))
		reject(it, "a deleted user needs its uid: it is never handed out again");
	if (given(it, "uid"))
		check_uid(c, it);
	if (given(it, "gid") && given(it, "uid") && !tomb)
		check_gid(c, it);
	else if (given(it, "gid") && !given(it, "uid"))
		reject(it, "a gid without a uid");
	if (u->email && !tomb) {
		if (roster_valid_email(u->email) < 0)
			reject(it, "invalid email address '%.64s'", u->email);
		else {
			key_email(key, u->email);
			if ((other = item_at(c, map_get(&c->emails, SKEY(key + 6)))))
				reject(it, "email %s is also given on line %lu", u->email, other->line);
			else if (db_exists(c->db, key))
				reject(it, "email %s is already used", u->email);
		}
	}
	if ((u->first && roster_valid_gecos_part(u->first) < 0) || (u->last && roster_valid_gecos_part(u->last) < 0))
		reject(it, "invalid first or last name: at most %d bytes of text, no ':' ',' '=' '\\' or control characters",
		       ROSTER_GECOS_PART_MAX);
	if (!u->shell && !(u->shell = strdup(c->cfg->default_shell)))
		c->r = -ENOMEM;
	if (u->shell && !tomb && !shell_ok(c, u->shell))
		reject(it, "shell %.64s is not listed in %s", u->shell, c->cfg->shells_file);
	if (!u->home && asprintf(&u->home, "%s/%s", c->cfg->home_base, u->name) < 0) {
		u->home = NULL;
		c->r = -ENOMEM;
	}
	if (u->home && (roster_normalize_path(u->home, norm, sizeof(norm)) < 0 || !norm[1]))
		reject(it, "invalid home directory '%.64s': an absolute path without '..' or ':'", u->home);
	else if (u->home && strcmp(norm, u->home) != 0) {
		free(u->home);
		if (!(u->home = strdup(norm)))
			c->r = -ENOMEM;
	}
	if (tomb && (u->roles || u->email || u->pwhash || u->supervisor))
		reject(it, "a deleted user keeps no email, password, roles or supervisor");
	for (char **p = u->roles; p && *p; p++) {
		other = item_at(c, map_get(&c->names, SKEY(*p)));
		if (roster_valid_name(*p) < 0 || (!(other && other->kind == K_ROLE) && !db_has(c->db, key_role, *p))) {
			reject(it, "no such role: %.64s", *p);
			break;
		}
	}
	if (u->pwhash && roster_valid_hash(c->cfg, u->pwhash) < 0)
		reject(it, "password_hash is neither argon2id within the cost bounds nor a strong crypt(3) hash "
			   "(yescrypt, sha512crypt, ...)");
	if (u->invite_hash && (roster_valid_hash(c->cfg, u->invite_hash) < 0 ||
			       strcmp(roster_hash_scheme(u->invite_hash), "argon2id") != 0))
		reject(it, "invite_hash is not an argon2id hash within the cost bounds");
	if (!text_ok(u->created_by) || !text_ok(u->updated_by) || !text_ok(u->invited_by) ||
	    !text_ok(u->last_service) || !text_ok(u->last_host))
		reject(it, "a created_by, updated_by, invited_by, last_service or last_host with control characters");
	if (!u->uuid[0]) {
		/* A version 4 UUID from libsodium: libuuid's reseeds on every call. */
		uuid_t id;

		randombytes_buf(id, sizeof(id));
		id[6] = (unsigned char)((id[6] & 0x0f) | 0x40);
		id[8] = (unsigned char)((id[8] & 0x3f) | 0x80);
		uuid_unparse_lower(id, u->uuid);
	}
	if (it->bad)
		return;
	if (map_put(&c->names, SKEY(u->name), index) < 0 ||
	    (given(it, "uid") && map_put(&c->ids, u->uid, index) < 0) ||
	    (u->email && !tomb && map_put(&c->emails, SKEY(own(c, key + 6)), index) < 0))
		c->r = -ENOMEM;
}

/* A supervisor must be a live user, here or in the file; rejecting one
 * user can reject those who report to them, so repeat until nothing changes. */
static void check_supervisors(struct check *c)
{
	bool changed = true;

	while (changed && c->r == 0) {
		changed = false;
		for (size_t i = 0; i < c->l->n; i++) {
			struct item *it = &c->l->v[i], *s;
			struct roster_user *u = it->rec, *du = NULL;

			if (it->bad || it->kind != K_USER || !u->supervisor)
				continue;
			s = item_at(c, map_get(&c->names, SKEY(u->supervisor)));
			if (strcmp(u->supervisor, u->name) == 0)
				reject(it, "a user cannot be their own supervisor");
			else if (s && s->kind == K_USER && !s->bad &&
				 ((struct roster_user *)s->rec)->status != ROSTER_DELETED)
				continue;
			else if (!s && user_load(c->db, u->supervisor, &du) == 0 && du->status != ROSTER_DELETED) {
				roster_user_free(du);
				continue;
			} else
				reject(it, "no such supervisor: %.64s", u->supervisor);
			roster_user_free(du);
			changed = true;
		}
	}
}

static void check_api(struct check *c, struct item *it, uint32_t index)
{
	struct api_rec *a = it->rec;
	struct item *owner = a->user ? item_at(c, map_get(&c->names, SKEY(a->user))) : NULL;
	char key[2 * VALUE_MAX + 2];
	const char *k;

	if (!owner || owner->kind != K_USER || owner->bad ||
	    ((struct roster_user *)owner->rec)->status == ROSTER_DELETED)
		reject(it, "API password for %.64s, who is not a user imported here", a->user ? a->user : "nobody");
	else if (!a->a.label || roster_valid_label(a->a.label) < 0)
		reject(it, "invalid API password label '%.64s'", a->a.label ? a->a.label : "");
	else if (!a->a.hash || roster_valid_hash(c->cfg, a->a.hash) < 0 ||
		 strcmp(roster_hash_scheme(a->a.hash), "argon2id") != 0)
		reject(it, "password_hash is not an argon2id hash within the cost bounds");
	for (char **s = a->a.services; s && *s; s++)
		if (roster_valid_service(*s) < 0)
			reject(it, "invalid PAM service name '%.64s'", *s);
	if (!text_ok(a->a.created_by) || !text_ok(a->a.last_service))
		reject(it, "invalid created_by or last_service");
	if (it->bad)
		return;
	snprintf(key, sizeof(key), "%s/%s", a->user, a->a.label);
	if (item_at(c, map_get(&c->apis, SKEY(key))))
		reject(it, "API password %s of %s is given twice", a->a.label, a->user);
	else if (!(k = own(c, key)) || map_put(&c->apis, SKEY(k), index) < 0)
		c->r = -ENOMEM;
}

static bool id_free(struct check *c, uint32_t id)
{
	return !roster_id_used(c->db, id) && map_get(&c->ids, id) == MAP_NONE &&
	       map_get(&c->sys_uids, id) == MAP_NONE && map_get(&c->sys_gids, id) == MAP_NONE;
}

/* The next id of the configured range that nobody has: not roster, not a
 * record, not the system files. */
static int allocate(struct check *c, uint32_t *id)
{
	for (; c->next_id <= c->cfg->uid_max; c->next_id++)
		if (id_free(c, (uint32_t)c->next_id)) {
			*id = (uint32_t)c->next_id++;
			return 0;
		}
	return -ENOSPC;
}

/* Ids for the records that have none, once every given id is known. */
static void assign_ids(struct check *c, uint32_t pg_gid, bool have_pg)
{
	for (size_t i = 0; i < c->l->n && c->r == 0; i++) {
		struct item *it = &c->l->v[i];
		uint32_t id;

		if (it->bad || (it->kind != K_ROLE && it->kind != K_USER))
			continue;
		if (it->kind == K_ROLE) {
			struct roster_role *ro = it->rec;

			if (ro->gid || given(it, "gid"))
				continue;
			if (allocate(c, &id) < 0) {
				reject(it, "the id range %u-%u is exhausted; widen [ids] in %s",
				       (unsigned)c->cfg->uid_min, (unsigned)c->cfg->uid_max, c->cfg->path);
				continue;
			}
			ro->gid = id;
			if (map_put(&c->ids, id, (uint32_t)i) < 0)
				c->r = -ENOMEM;
		} else {
			struct roster_user *u = it->rec;

			if (!given(it, "uid")) {
				if (allocate(c, &id) < 0) {
					reject(it, "the id range %u-%u is exhausted; widen [ids] in %s",
					       (unsigned)c->cfg->uid_min, (unsigned)c->cfg->uid_max, c->cfg->path);
					continue;
				}
				u->uid = id;
				if (map_put(&c->ids, id, (uint32_t)i) < 0)
					c->r = -ENOMEM;
			}
			if (!given(it, "gid")) {
				if (c->cfg->pg_policy == ROSTER_PG_SHARED && !have_pg)
					reject(it, "primary group %s (from %s) exists neither in %s nor as a role",
					       c->cfg->pg_name, c->cfg->path, c->cfg->group_file);
				u->gid = c->cfg->pg_policy == ROSTER_PG_SHARED ? pg_gid : u->uid;
			}
		}
	}
}

static void check_free(struct check *c)
{
	map_free(&c->names);
	map_free(&c->emails);
	map_free(&c->ids);
	map_free(&c->apis);
	map_free(&c->sys_users);
	map_free(&c->sys_groups);
	map_free(&c->sys_uids);
	map_free(&c->sys_gids);
	map_free(&c->shells);
	for (size_t i = 0; i < c->nowned; i++)
		free(c->owned[i]);
	free(c->owned);
}

/* The shared primary group's gid, when [users] primary_group is set. */
static bool shared_gid(struct check *c, uint32_t *gid)
{
	struct roster_role *ro = NULL;
	struct item *it;

	if (c->cfg->pg_policy != ROSTER_PG_SHARED)
		return false;
	if (role_load(c->db, c->cfg->pg_name, &ro) == 0) {
		*gid = ro->gid;
		roster_role_free(ro);
		return true;
	}
	it = item_at(c, map_get(&c->names, SKEY(c->cfg->pg_name)));
	if (it && it->kind == K_ROLE) {
		*gid = ((struct roster_role *)it->rec)->gid;
		return true;
	}
	return sysdb_group_gid(c->cfg, c->cfg->pg_name, gid) == 0;
}

static int check_all(struct check *c)
{
	bool meta_seen = false, have_pg;
	uint32_t pg_gid = 0;

	c->cfg = roster_db_config(c->db);
	c->names.strings = c->emails.strings = c->apis.strings = true;
	c->sys_users.strings = c->sys_groups.strings = c->shells.strings = true;
	c->now = roster_now();
	if (db_get_u64(c->db, "meta/next_id", &c->next_id) < 0)
		c->next_id = c->cfg->uid_min;
	if (c->next_id < c->cfg->uid_min)
		c->next_id = c->cfg->uid_min;
	c->r = sysdb_scan(c->cfg->passwd_file, sys_user, c) ?: sysdb_scan(c->cfg->group_file, sys_group, c);
	if (c->r < 0)
		return db_fail(c->db, c->r, "cannot read %s or %s: %s", c->cfg->passwd_file, c->cfg->group_file,
			       strerror(-c->r));
	/* Roles first: users name them. */
	for (size_t i = 0; i < c->l->n && c->r == 0; i++) {
		struct item *it = &c->l->v[i];

		if (it->bad)
			continue;
		if (it->kind == K_META)
			check_meta(c, it, &meta_seen);
		else if (it->kind == K_ROLE)
			check_role(c, it, (uint32_t)i);
	}
	for (size_t i = 0; i < c->l->n && c->r == 0; i++)
		if (!c->l->v[i].bad && c->l->v[i].kind == K_USER)
			check_user(c, &c->l->v[i], (uint32_t)i);
	check_supervisors(c);
	have_pg = shared_gid(c, &pg_gid);
	assign_ids(c, pg_gid, have_pg);
	for (size_t i = 0; i < c->l->n && c->r == 0; i++)
		if (!c->l->v[i].bad && c->l->v[i].kind == K_API)
			check_api(c, &c->l->v[i], (uint32_t)i);
	if (c->file_next_id > c->next_id)
		c->next_id = c->file_next_id;
	return c->r;
}

/* ---- writing, in batches ---- */

/* The names each batch adds to a list: members/ROLE (owner: the role),
 * or with keyed set, the list whose key the owner is (user_list_keys). */
struct lists {
	struct map owners; /* owner -> index in v */
	bool keyed;        /* owners are keys, copied here */
	struct {
		const char *owner;
		char **names;
		size_t n, cap;
	} *v;
	size_t n, cap;
};

static int lists_note(struct lists *m, const char *owner, char *user)
{
	uint32_t i = map_get(&m->owners, SKEY(owner));

	if (i == MAP_NONE) {
		if (m->n == m->cap) {
			size_t cap = m->cap ? m->cap * 2 : 16;
			void *v = realloc(m->v, cap * sizeof(*m->v));

			if (!v)
				return -ENOMEM;
			m->v = v;
			m->cap = cap;
		}
		if (m->keyed && !(owner = strdup(owner)))
			return -ENOMEM;
		i = (uint32_t)m->n++;
		memset(&m->v[i], 0, sizeof(m->v[i]));
		m->v[i].owner = owner;
		if (map_put(&m->owners, SKEY(owner), i) < 0)
			return -ENOMEM;
	}
	if (m->v[i].n == m->v[i].cap) {
		size_t cap = m->v[i].cap ? m->v[i].cap * 2 : 64;
		char **v = realloc(m->v[i].names, cap * sizeof(char *));

		if (!v)
			return -ENOMEM;
		m->v[i].names = v;
		m->v[i].cap = cap;
	}
	m->v[i].names[m->v[i].n++] = user;
	return 0;
}

static void lists_free(struct lists *m);

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Merges names (sorted, none of them stored yet) into the list at key. */
static int merge_stored(struct roster_db *db, const char *key, char **names, size_t n)
{
	struct buf b = { 0 };
	char **old = NULL, **merged;
	size_t nold, i = 0, j = 0, k = 0;
	TDB_DATA d = { 0 };
	int r = db_fetch(db, key, &d);

	if (r == -ENOENT)
		r = 0;
	else if (r == 0 && d.dsize == 0)
		r = -EBADMSG; /* stored, but not even a header */
	/* In place: a role of a million members is not decoded per batch. */
	r = r ?: codec_strv_merge(d.dptr, d.dsize, names, n, &b);
	free(d.dptr);
	if (r == 0)
		r = db_store(db, key, b.p, b.len);
	buf_free(&b);
	if (r != -EAGAIN)
		return db_list_fail(db, r, key);
	/* Not in the form this roster writes: decoding normalizes it. */
	r = db_get_list(db, key, &old);
	nold = roster_strv_len(old);
	merged = r ? NULL : calloc(nold + n + 1, sizeof(char *));
	if (r == 0 && !merged)
		r = -ENOMEM;
	while (r == 0 && (i < nold || j < n)) {
		int c = i == nold ? 1 : j == n ? -1 : strcmp(old[i], names[j]);

		merged[k++] = c <= 0 ? old[i] : names[j];
		i += c <= 0;
		j += c >= 0;
	}
	r = r ?: db_put_list(db, key, merged);
	free(merged);
	roster_strv_free(old);
	return r;
}

/* Merges each list's new names into its sorted stored list: one load and
 * one store per list and batch, not one per name. */
static int lists_flush(struct roster_db *db, struct lists *m)
{
	int r = 0;

	for (size_t i = 0; r == 0 && i < m->n; i++) {
		struct roster_role *ro = NULL;
		char key[KEY_MAX];

		qsort(m->v[i].names, m->v[i].n, sizeof(char *), cmp_str);
		if (m->keyed)
			snprintf(key, sizeof(key), "%s", m->v[i].owner);
		else {
			key_members(key, m->v[i].owner);
			r = role_load(db, m->v[i].owner, &ro);
		}
		if (r == 0) {
			r = merge_stored(db, key, m->v[i].names, m->v[i].n);
			r = r ?: (ro ? touch_role(db, ro->name, ro->gid) : 0);
		}
		roster_role_free(ro);
	}
	lists_free(m);
	return r;
}

static void lists_free(struct lists *m)
{
	for (size_t i = 0; i < m->n; i++) {
		free(m->v[i].names);
		if (m->keyed)
			free((char *)m->v[i].owner);
	}
	free(m->v);
	map_free(&m->owners);
	m->v = NULL;
	m->n = m->cap = 0;
}

static int fill_times(struct roster_db *db, const struct item *it, int64_t *created, char **created_by,
		      int64_t *updated, char **updated_by)
{
	if (!given(it, "created"))
		*created = db->now;
	if (!*created_by && !(*created_by = strdup(db->actor)))
		return -ENOMEM;
	if (!given(it, "updated"))
		*updated = *created;
	if (!*updated_by && !(*updated_by = strdup(*created_by)))
		return -ENOMEM;
	return 0;
}

struct writer {
	struct roster_db *db;
	struct items *l;
	uint32_t *order;      /* the users, supervisors first */
	size_t norder;
	uint32_t *api_next;   /* chains of API records per user: first[user], next[api] */
	uint32_t *api_first;
	unsigned batch;
	uint64_t next_id;
	struct roster_import_report *rep;
};

/* The lists a batch adds names to, flushed before its commit. */
struct batch_lists {
	struct lists members, others;
};

static int write_user(struct writer *w, struct item *it, struct batch_lists *b)
{
	struct roster_user *u = it->rec;
	int r = fill_times(w->db, it, &u->created, &u->created_by, &u->updated, &u->updated_by);

	for (uint32_t a = w->api_first[it - w->l->v]; r == 0 && a != MAP_NONE; a = w->api_next[a]) {
		struct api_rec *ar = w->l->v[a].rec;

		if (!w->l->v[a].bad) {
			if (!ar->a.created_by && !(ar->a.created_by = strdup(w->db->actor)))
				return -ENOMEM;
			if (!given(&w->l->v[a], "created"))
				ar->a.created = w->db->now;
			r = roster_strv_add(&u->api_labels, ar->a.label) ?: api_store(w->db, u->name, &ar->a);
		}
	}
	r = r ?: user_import(w->db, u);
	for (char **p = u->roles; r == 0 && p && *p; p++)
		r = lists_note(&b->members, *p, u->name);
	if (r == 0) {
		char keys[USER_LISTS_MAX][KEY_MAX];
		size_t n = user_list_keys(u, keys);

		for (size_t i = 0; r == 0 && i < n; i++)
			r = lists_note(&b->others, keys[i], u->name);
	}
	it->written = r == 0;
	return r;
}

static int write_batches(struct writer *w)
{
	size_t next = 0;
	bool first = true;
	int r = 0;

	while (r == 0 && (first || next < w->norder)) {
		struct batch_lists b = {
			.members = { .owners.strings = true },
			.others = { .owners.strings = true, .keyed = true },
		};
		unsigned users = 0, roles = 0;
		bool wrote_meta = false;
		size_t from = next;
		uint64_t cur;

		r = roster_txn_begin(w->db, NULL);
		if (r < 0)
			break;
		if (first) { /* the roles and the id counter go with the first batch */
			for (size_t i = 0; r == 0 && i < w->l->n; i++) {
				struct item *it = &w->l->v[i];
				struct roster_role *ro = it->rec;

				if (it->bad || it->kind != K_ROLE)
					continue;
				r = fill_times(w->db, it, &ro->created, &ro->created_by, &ro->updated, &ro->updated_by) ?:
				    role_import(w->db, ro);
				roles++;
			}
			if (r == 0 && db_get_u64(w->db, "meta/next_id", &cur) == 0 && w->next_id > cur) {
				r = db_put_u64(w->db, "meta/next_id", w->next_id);
				wrote_meta = true;
			}
			first = false;
		}
		for (; r == 0 && next < w->norder && users < w->batch; next++, users++)
			r = write_user(w, &w->l->v[w->order[next]], &b);
		r = r ?: lists_flush(w->db, &b.members) ?: lists_flush(w->db, &b.others);
		if (r < 0) {
			lists_free(&b.members);
			lists_free(&b.others);
			roster_txn_abort(w->db);
			break;
		}
		if (!w->db->ntouched && !w->db->deferred_touches && !wrote_meta) {
			roster_txn_abort(w->db); /* nothing changed: no new generation */
			continue;
		}
		r = roster_txn_commit(w->db);
		if (r < 0)
			break;
		w->rep->users += users;
		w->rep->roles += roles;
		w->rep->batches++;
		for (size_t i = from; i < next; i++)
			for (uint32_t a = w->api_first[w->order[i]]; a != MAP_NONE; a = w->api_next[a])
				w->rep->apis += !w->l->v[a].bad;
	}
	return r;
}

/* Users in an order where every supervisor comes before their reports
 * (those in a cycle of supervisors, at the end, in one batch's reach). */
static int order_users(struct writer *w)
{
	struct items *l = w->l;
	uint8_t *placed = calloc(l->n + 1, 1);
	bool progress = true;
	struct map at = { .strings = true };
	int r = 0;

	w->order = malloc((l->n + 1) * sizeof(*w->order));
	w->api_first = malloc((l->n + 1) * sizeof(uint32_t));
	w->api_next = malloc((l->n + 1) * sizeof(uint32_t));
	if (!placed || !w->order || !w->api_first || !w->api_next) {
		free(placed);
		return -ENOMEM;
	}
	memset(w->api_first, 0xff, (l->n + 1) * sizeof(uint32_t));
	memset(w->api_next, 0xff, (l->n + 1) * sizeof(uint32_t));
	for (size_t i = 0; r == 0 && i < l->n; i++)
		if (!l->v[i].bad && l->v[i].kind == K_USER)
			r = map_put(&at, SKEY(((struct roster_user *)l->v[i].rec)->name), (uint32_t)i);
	for (size_t i = l->n; r == 0 && i-- > 0;) {
		struct api_rec *a = l->v[i].rec;
		uint32_t u;

		if (l->v[i].bad || l->v[i].kind != K_API || (u = map_get(&at, SKEY(a->user))) == MAP_NONE)
			continue;
		w->api_next[i] = w->api_first[u];
		w->api_first[u] = (uint32_t)i;
	}
	while (r == 0 && progress) {
		progress = false;
		for (size_t i = 0; i < l->n; i++) {
			struct roster_user *u = l->v[i].rec;
			uint32_t s;

			if (placed[i] || l->v[i].bad || l->v[i].kind != K_USER)
				continue;
			s = u->supervisor ? map_get(&at, SKEY(u->supervisor)) : MAP_NONE;
			if (s != MAP_NONE && !placed[s])
				continue;
			placed[i] = 1;
			w->order[w->norder++] = (uint32_t)i;
			progress = true;
		}
	}
	for (size_t i = 0; r == 0 && i < l->n; i++)
		if (!placed[i] && !l->v[i].bad && l->v[i].kind == K_USER)
			w->order[w->norder++] = (uint32_t)i;
	map_free(&at);
	free(placed);
	return r;
}

/* ---- adopting users from /etc/passwd and /etc/shadow ---- */

static void set_named(struct item *it, const char *name, const char *value, size_t len)
{
	unsigned index;

	if (field_find(it->kind, name, &index))
		set_field(it, index, value, len);
}

struct shadow_entry {
	char *hash;
	int64_t lastchg, expire; /* days; -1: empty */
};

static int64_t shadow_days(const char *s)
{
	uint64_t v;

	return *s && parse_u64(s, INT32_MAX, &v) == 0 ? (int64_t)v : -1;
}

/* name -> index into v, from shadow lines "name:hash:lastchg:min:max:warn:inactive:expire:" */
static int read_shadow(FILE *f, struct map *names, struct shadow_entry **v, size_t *n, char ***keys)
{
	char *line = NULL;
	size_t cap = 0, vcap = 0;
	int r = 0;

	names->strings = true;
	while (r == 0 && getline(&line, &cap, f) > 0) {
		char *fld[9] = { 0 }, *p = line, *name;
		int k = 0;

		line[strcspn(line, "\n")] = '\0';
		if (!line[0] || line[0] == '#')
			continue;
		while (k < 9 && (fld[k++] = strsep(&p, ":")))
			;
		if (!fld[1] || !fld[2] || !fld[7])
			continue;
		if (*n == vcap) {
			size_t nc = vcap ? vcap * 2 : 256;
			struct shadow_entry *nv = realloc(*v, nc * sizeof(**v));
			char **nk = realloc(*keys, nc * sizeof(char *));

			if (nv)
				*v = nv;
			if (nk)
				*keys = nk;
			if (!nv || !nk) {
				r = -ENOMEM;
				break;
			}
			vcap = nc;
		}
		name = strdup(fld[0]);
		(*v)[*n].hash = strdup(fld[1]);
		(*v)[*n].lastchg = shadow_days(fld[2]);
		(*v)[*n].expire = shadow_days(fld[7]);
		(*keys)[*n] = name;
		if (!name || !(*v)[*n].hash) {
			free(name);
			free((*v)[*n].hash);
			r = -ENOMEM;
			break;
		}
		(*n)++;
		if (map_get(names, SKEY(name)) == MAP_NONE)
			r = map_put(names, SKEY(name), (uint32_t)(*n - 1));
	}
	if (line)
		roster_wipe(line, cap);
	free(line);
	return r ?: (ferror(f) ? -EIO : 0);
}

/* The password from shadow: "!" + hash is a locked account (kept,
 * disabled: enabling it brings the old password back, like usermod -U);
 * "*", "!" and "" mean no password (an empty one never logs in here). */
static void adopt_password(struct item *it, const struct shadow_entry *sh)
{
	struct roster_user *u = it->rec;
	const char *h = sh->hash;

	if (h[0] == '!') {
		h++;
		if (*h && strcmp(h, "*") != 0)
			u->status = ROSTER_DISABLED;
	}
	if (*h && strcmp(h, "*") != 0 && strcmp(h, "x") != 0) {
		const char *scheme = roster_hash_scheme(h);

		if (!scheme || strcmp(scheme, "argon2id") == 0)
			reject(it, "password hash scheme '%.4s...' is not adopted: md5crypt and DES are too weak; "
				   "import without it (blank the field) and set a new password", h);
		else if (!(u->pwhash = strdup(h)))
			reject(it, "out of memory");
	}
	if (sh->lastchg == 0)
		u->must_change = true; /* passwd -e */
	if (sh->expire > 0)
		u->expires = sh->expire;
}

static int parse_passwd(FILE *passwd, FILE *shadow, uint32_t min_uid, struct items *l, unsigned long *skipped)
{
	struct map snames = { 0 };
	struct shadow_entry *sv = NULL;
	char **skeys = NULL, *line = NULL;
	size_t sn = 0, cap = 0;
	unsigned long lineno = 0;
	int r = shadow ? read_shadow(shadow, &snames, &sv, &sn, &skeys) : 0;

	while (r == 0 && getline(&line, &cap, passwd) > 0) {
		char *fld[8] = { 0 }, *p = line, *gecos, *sp;
		struct item *it;
		struct roster_user *u;
		uint64_t uid;
		uint32_t s;
		int k = 0;

		lineno++;
		line[strcspn(line, "\n")] = '\0';
		if (!line[0] || line[0] == '#' || line[0] == '+' || line[0] == '-')
			continue;
		while (k < 8 && (fld[k++] = strsep(&p, ":")))
			;
		if (!fld[6] || fld[7]) {
			r = items_bad(l, lineno, "not a passwd line: seven fields separated by ':' are expected");
			continue;
		}
		if (parse_u64(fld[2], UINT32_MAX, &uid) < 0) {
			r = items_bad(l, lineno, "uid '%.16s' is not a number", fld[2]);
			continue;
		}
		/* System accounts and nobody stay in /etc/passwd. */
		if (uid < min_uid || uid == 65534) {
			(*skipped)++;
			continue;
		}
		if (!(it = items_add(l, K_USER, lineno))) {
			r = -ENOMEM;
			break;
		}
		it->adopt = true;
		u = it->rec;
		set_named(it, "name", fld[0], strlen(fld[0]));
		set_named(it, "uid", fld[2], strlen(fld[2]));
		set_named(it, "gid", fld[3], strlen(fld[3]));
		if (*fld[5])
			set_named(it, "home", fld[5], strlen(fld[5]));
		if (*fld[6])
			set_named(it, "shell", fld[6], strlen(fld[6]));
		/* GECOS "Full Name,room,phone,...": the name, split at its last blank. */
		gecos = fld[4];
		gecos[strcspn(gecos, ",")] = '\0';
		if (*gecos && (sp = strrchr(gecos, ' ')) && sp != gecos && sp[1]) {
			*sp = '\0';
			set_named(it, "last", sp + 1, strlen(sp + 1));
		}
		if (*gecos)
			set_named(it, "first", gecos, strlen(gecos));
		s = map_get(&snames, SKEY(u->name ? u->name : ""));
		if (s != MAP_NONE)
			adopt_password(it, &sv[s]);
		else if (strcmp(fld[1], "x") != 0 && *fld[1]) {
			struct shadow_entry inline_hash = { .hash = fld[1], .lastchg = -1, .expire = -1 };

			adopt_password(it, &inline_hash);
		}
	}
	for (size_t i = 0; i < sn; i++) {
		roster_secret_free(sv[i].hash);
		free(skeys[i]);
	}
	free(sv);
	free(skeys);
	map_free(&snames);
	free(line);
	return r ?: (ferror(passwd) ? -EIO : 0);
}

/* ---- roster db import ---- */

int roster_import(struct roster_db *db, FILE *in, const struct roster_import_options *o, roster_reject_fn fn,
		  void *priv, struct roster_import_report *rep)
{
	struct items l = { 0 };
	struct check c = { .db = db, .l = &l };
	struct writer w = { .db = db, .l = &l, .rep = rep };
	int r;

	memset(rep, 0, sizeof(*rep));
	if (o->passwd)
		r = parse_passwd(o->passwd, o->shadow, o->min_uid, &l, &rep->skipped);
	else
		r = o->format == ROSTER_FORMAT_CSV ? parse_csv(in, &l) : parse_json(in, &l);
	if (r < 0) {
		items_free(&l);
		return db_fail(db, r, "cannot read the input: %s", strerror(-r));
	}
	/* A new database gets its counter and admin role first: the checks
	 * hand out ids after them. */
	if (!o->dry_run && !db_exists(db, "meta/version") && (r = roster_txn_begin(db, NULL) ?: roster_txn_commit(db)) < 0) {
		items_free(&l);
		return r;
	}
	/* From the checks to the last batch, no other writer. */
	db->hold_lock = true;
	r = store_lock(db);
	/* One read lock for the million lookups of the checks, not one each. */
	if (r == 0 && tdb_lockall_read(db->tdb) != 0)
		r = db_fail(db, -EIO, "cannot lock the database for reading");
	if (r == 0) {
		r = check_all(&c);
		tdb_unlockall_read(db->tdb);
	}
	rep->records = l.n;
	for (size_t i = 0; r == 0 && i < l.n; i++)
		if (l.v[i].bad) {
			rep->rejected++;
			if (fn)
				fn(l.v[i].line, l.v[i].why ? l.v[i].why : "out of memory", priv);
		}
	if (r == 0 && rep->rejected && o->all_or_nothing)
		r = db_fail(db, -EINVAL, "%lu of %lu records rejected: nothing imported (--all-or-nothing)",
			    rep->rejected, rep->records);
	if (r == 0 && !o->dry_run) {
		w.batch = o->batch ? o->batch : DEFAULT_BATCH;
		w.next_id = c.next_id;
		/* Rewriting the touched view shards after every batch would
		 * rewrite the whole view once per batch: the batches leave it
		 * stale, and one rebuild follows (the one a crash would cause). */
		db->defer_view = true;
		r = order_users(&w) ?: write_batches(&w);
		db->defer_view = false;
		if (rep->batches)
			r = roster_view_rebuild(db) ?: r;
	}
	db->hold_lock = false;
	store_unlock(db);
	check_free(&c);
	free(w.order);
	free(w.api_first);
	free(w.api_next);
	items_free(&l);
	return r;
}

/* ---- roster db export ----
 *
 * The users are not read one by one in name order: at a million users that
 * walks tdb's hash chains a second time, one cache miss per step.  One walk
 * instead copies each user record out, a second thread decodes it and makes
 * its line in memory, and the lines go out sorted once the walk is over.
 * tdb itself is used by the calling thread only.  The memory this takes is
 * about the size of the export (README "Import and export"). */

struct out {
	struct buf b; /* what emit made and nobody has written yet; .secret */
	enum roster_format fmt;
	const char **cols; /* CSV: the union of every kind's fields, "type" first */
	size_t ncols;
};

/* buf_put, with the common case (room left) inline: a million lines
 * are made of some thirty pieces each. */
static void out_n(struct out *o, const void *p, size_t n)
{
	if (n && !o->b.err && o->b.cap - o->b.len >= n) {
		memcpy(o->b.p + o->b.len, p, n);
		o->b.len += n;
	} else
		buf_put(&o->b, p, n);
}

static void out_s(struct out *o, const char *s)
{
	out_n(o, s, strlen(s));
}

static void out_c(struct out *o, char c)
{
	out_n(o, &c, 1);
}

/* -EIO when the write failed, with the reason in *werr. */
static int write_all(FILE *f, const void *p, size_t n, int *werr)
{
	if (n && fwrite_unlocked(p, 1, n, f) != n) {
		*werr = errno ? errno : EIO;
		return -EIO;
	}
	return 0;
}

static void json_str(struct out *o, const char *s)
{
	out_c(o, '"');
	for (;;) {
		size_t n = 0;

		/* The run that needs no escape goes out in one piece. */
		while (s[n] && s[n] != '"' && s[n] != '\\' && (unsigned char)s[n] >= 0x20)
			n++;
		out_n(o, s, n);
		s += n;
		if (!*s)
			break;
		if (*s == '"' || *s == '\\') {
			char e[2] = { '\\', *s };

			out_n(o, e, 2);
		} else {
			char e[8];

			snprintf(e, sizeof(e), "\\u%04x", (unsigned char)*s);
			out_s(o, e);
		}
		s++;
	}
	out_c(o, '"');
}

static void csv_str(struct out *o, const char *s)
{
	size_t n = strlen(s);

	if (!s[strcspn(s, ",\"\r\n")] && s[0] != ' ' && (n == 0 || s[n - 1] != ' ')) {
		out_n(o, s, n);
		return;
	}
	out_c(o, '"');
	for (; *s; s++) {
		if (*s == '"')
			out_c(o, '"');
		out_c(o, *s);
	}
	out_c(o, '"');
}

static const char *u64_text(uint64_t v, char buf[64])
{
	char *p = buf + 63;

	*p = '\0';
	do
		*--p = (char)('0' + v % 10);
	while (v /= 10);
	return p;
}

/* The text of field f of rec, or NULL when it is absent (0, false,
 * empty, no date): absent fields are left out, so records stay short. */
static const char *field_text(const void *rec, const struct field *f, char buf[64])
{
	const char *p = (const char *)rec + f->off;
	int64_t t;

	switch (f->type) {
	case T_STR:
		return *(char *const *)p;
	case T_U32:
		return *(const uint32_t *)p ? u64_text(*(const uint32_t *)p, buf) : NULL;
	case T_U64:
		return *(const uint64_t *)p ? u64_text(*(const uint64_t *)p, buf) : NULL;
	case T_BOOL:
		return *(const bool *)p ? "true" : NULL;
	case T_STRV:
		return *(char *const *const *)p && **(char *const *const *)p ? "" : NULL; /* written element-wise */
	case T_DATE:
		if (*(const int64_t *)p == ROSTER_NO_DATE)
			return NULL;
		roster_format_date(*(const int64_t *)p, buf);
		return buf;
	case T_TIME:
		t = *(const int64_t *)p;
		if (!t)
			return NULL;
		if (t == INT64_MAX)
			return "manual";
		roster_format_time(t, buf);
		return buf;
	case T_STATUS:
		return roster_status_name(*(const enum roster_status *)p);
	case T_UUID:
		return *p ? p : NULL;
	}
	return NULL;
}

static void emit(struct out *o, enum kind k, const void *rec)
{
	const struct field *fs = kind_fields[k];
	char buf[64];

	if (o->fmt == ROSTER_FORMAT_JSON) {
		out_s(o, "{\"type\":\"");
		out_s(o, kind_names[k]);
		out_c(o, '"');
		for (const struct field *f = fs; f->name; f++) {
			const char *v = field_text(rec, f, buf);

			if (!v)
				continue;
			out_s(o, ",\"");
			out_s(o, f->name);
			out_s(o, "\":");
			if (f->type == T_STRV) {
				char *const *l = *(char *const *const *)((const char *)rec + f->off);

				out_c(o, '[');
				for (size_t i = 0; l[i]; i++) {
					if (i)
						out_c(o, ',');
					json_str(o, l[i]);
				}
				out_c(o, ']');
			} else if (f->type == T_U32 || f->type == T_U64 || f->type == T_BOOL)
				out_s(o, v);
			else
				json_str(o, v);
		}
		out_s(o, "}\n");
		return;
	}
	out_s(o, kind_names[k]);
	for (size_t c = 1; c < o->ncols; c++) {
		unsigned index;
		const struct field *f = field_find(k, o->cols[c], &index);
		const char *v = f ? field_text(rec, f, buf) : NULL;

		out_c(o, ',');
		if (!v)
			continue;
		if (f->type == T_STRV) {
			struct buf b = { 0 };
			char *const *l = *(char *const *const *)((const char *)rec + f->off);

			for (size_t i = 0; l[i]; i++) {
				if (i)
					buf_put(&b, ",", 1);
				buf_put(&b, l[i], strlen(l[i]));
			}
			buf_put(&b, "", 1);
			if (b.err)
				o->b.err = o->b.err ?: b.err;
			else
				csv_str(o, (char *)b.p);
			buf_free(&b);
		} else
			csv_str(o, v);
	}
	out_c(o, '\n');
}

static int csv_columns(struct out *o)
{
	size_t max = 1;

	for (int k = 0; k < K_COUNT; k++)
		for (const struct field *f = kind_fields[k]; f->name; f++)
			max++;
	if (!(o->cols = calloc(max, sizeof(char *))))
		return -ENOMEM;
	o->cols[o->ncols++] = "type";
	for (int k = 0; k < K_COUNT; k++)
		for (const struct field *f = kind_fields[k]; f->name; f++) {
			bool seen = false;

			for (size_t i = 0; i < o->ncols && !seen; i++)
				seen = strcmp(o->cols[i], f->name) == 0;
			if (!seen)
				o->cols[o->ncols++] = f->name;
		}
	for (size_t i = 0; i < o->ncols; i++) {
		if (i)
			out_c(o, ',');
		out_s(o, o->cols[i]);
	}
	out_c(o, '\n');
	return 0;
}

/* Bytes that hold hashes and never move: packs carry user records from
 * the walk to the formatter, each as [name length, 1 byte][name][record
 * length, 4 bytes][record]; chunks hold the lines, so no copy of a hash is
 * left behind by a realloc. */
struct block {
	struct block *next;
	size_t len, cap;
	unsigned char p[];
};

#define PACK_BYTES (64u << 10)
#define PACKS 4 /* in flight at most: the walk waits for a free one */
#define CHUNK_BYTES (1u << 20)

struct line {
	char name[ROSTER_NAME_MAX + 1];
	uint32_t len;
	const unsigned char *at; /* in a chunk */
};

/* Lines are sorted through their names' first 8 bytes, big-endian: most
 * comparisons are then one of two integers, in a 16-byte element. */
struct order {
	uint64_t prefix;
	size_t i; /* into the lines */
};

struct export {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	struct block *full, **tail; /* walked, waiting for the formatter */
	struct block *spare;        /* formatted and wiped */
	size_t packs;              /* allocated and not freed */
	bool walked;               /* the walk has handed over its last pack */
	int r;                     /* the first failure of either thread */
	char bad[ROSTER_NAME_MAX + 1]; /* the user whose record is damaged */
	/* the walk's */
	struct block *cur;
	/* the formatter's */
	struct out o; /* the line being made */
	struct block *chunks;
	struct line *v;
	size_t n, cap;
	struct order *order; /* the lines by name, once the walk is over */
	char **api; /* the users with API passwords, sorted last */
	size_t napi, api_cap;
};

static void export_fail(struct export *x, int r, const char *name)
{
	pthread_mutex_lock(&x->lock);
	if (!x->r) {
		x->r = r;
		snprintf(x->bad, sizeof(x->bad), "%s", name ? name : "");
	}
	pthread_cond_broadcast(&x->cond);
	pthread_mutex_unlock(&x->lock);
}

static struct block *block_new(size_t cap)
{
	struct block *b = malloc(sizeof(*b) + cap);

	if (b) {
		b->next = NULL;
		b->len = 0;
		b->cap = cap;
	}
	return b;
}

/* Wipes and frees a list of blocks. */
static void blocks_free(struct block *b)
{
	while (b) {
		struct block *next = b->next;

		roster_wipe(b->p, b->len);
		free(b);
		b = next;
	}
}

/* The walk's next pack, with room for need bytes; NULL once anything
 * failed.  At most PACKS exist, whatever their size: a record larger than
 * a pack gets one of its own, in place of a spare. */
static struct block *pack_get(struct export *x, size_t need)
{
	size_t cap = need > PACK_BYTES ? need : PACK_BYTES;
	struct block *p = NULL, *drop = NULL;
	bool failed;

	pthread_mutex_lock(&x->lock);
	for (;;) {
		if ((failed = x->r != 0))
			break;
		if (x->spare && cap == PACK_BYTES) {
			p = x->spare;
			x->spare = p->next;
			break;
		}
		if (x->spare) { /* too small: give its place to a larger one */
			struct block *q = x->spare;

			x->spare = q->next;
			q->next = drop;
			drop = q;
			x->packs--;
		}
		if (x->packs < PACKS) {
			x->packs++;
			break;
		}
		pthread_cond_wait(&x->cond, &x->lock);
	}
	pthread_mutex_unlock(&x->lock);
	blocks_free(drop);
	if (p || failed)
		return p;
	if (!(p = block_new(cap))) {
		pthread_mutex_lock(&x->lock);
		x->packs--;
		pthread_mutex_unlock(&x->lock);
		export_fail(x, -ENOMEM, NULL);
	}
	return p;
}

static void pack_send(struct export *x, struct block *p)
{
	p->next = NULL;
	pthread_mutex_lock(&x->lock);
	*x->tail = p;
	x->tail = &p->next;
	pthread_cond_broadcast(&x->cond);
	pthread_mutex_unlock(&x->lock);
}

static int export_walk(struct tdb_context *tdb, TDB_DATA k, TDB_DATA d, void *priv)
{
	struct export *x = priv;
	struct block *p = x->cur;
	char name[ROSTER_NAME_MAX + 1];
	size_t nlen, need;
	uint32_t dlen;

	(void)tdb;
	if (k.dsize < 6 || memcmp(k.dptr, "user/", 5) != 0)
		return 0;
	nlen = k.dsize - 5;
	if (nlen <= ROSTER_NAME_MAX) {
		memcpy(name, k.dptr + 5, nlen);
		name[nlen] = '\0';
	}
	if (nlen > ROSTER_NAME_MAX || strlen(name) != nlen || roster_valid_name(name) < 0 || d.dsize > UINT32_MAX) {
		export_fail(x, -EBADMSG, NULL);
		return 1;
	}
	need = 1 + nlen + 4 + d.dsize;
	if (!p || p->cap - p->len < need) {
		if (p)
			pack_send(x, p);
		if (!(p = x->cur = pack_get(x, need)))
			return 1;
	}
	dlen = (uint32_t)d.dsize;
	p->p[p->len] = (unsigned char)nlen;
	memcpy(p->p + p->len + 1, name, nlen);
	memcpy(p->p + p->len + 1 + nlen, &dlen, 4);
	memcpy(p->p + p->len + 1 + nlen + 4, d.dptr, d.dsize);
	p->len += need;
	return 0;
}

/* Room for n bytes in the chunks, or NULL. */
static unsigned char *chunk_take(struct export *x, size_t n)
{
	struct block *c = x->chunks;

	if (!c || c->cap - c->len < n) {
		if (!(c = block_new(n > CHUNK_BYTES ? n : CHUNK_BYTES)))
			return NULL;
		c->next = x->chunks;
		x->chunks = c;
	}
	c->len += n;
	return c->p + c->len - n;
}

/* One user's line, and its place among the lines. */
static int format_user(struct export *x, const char *name, const unsigned char *rec, uint32_t n)
{
	struct roster_user *u = NULL;
	struct line *l;
	unsigned char *at = NULL;
	int r;

	if (x->n == x->cap) {
		size_t cap = x->cap ? x->cap * 2 : 4096;
		struct line *v = realloc(x->v, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		x->v = v;
		x->cap = cap;
	}
	if ((r = codec_user_decode(rec, n, &u)) < 0)
		return r;
	x->o.b.len = 0;
	emit(&x->o, K_USER, u);
	if (!x->o.b.err && x->o.b.len > UINT32_MAX)
		x->o.b.err = -EOVERFLOW;
	if ((r = x->o.b.err) == 0 && !(at = chunk_take(x, x->o.b.len)))
		r = -ENOMEM;
	if (r == 0 && u->api_labels && *u->api_labels) {
		if (x->napi == x->api_cap) {
			size_t cap = x->api_cap ? x->api_cap * 2 : 64;
			char **v = reallocarray(x->api, cap, sizeof(char *));

			if (v) {
				x->api = v;
				x->api_cap = cap;
			}
		}
		if (x->napi == x->api_cap || !(x->api[x->napi] = strdup(name)))
			r = -ENOMEM;
		else
			x->napi++;
	}
	roster_user_free(u);
	if (r < 0)
		return r;
	memcpy(at, x->o.b.p, x->o.b.len);
	l = &x->v[x->n++];
	snprintf(l->name, sizeof(l->name), "%s", name);
	l->at = at;
	l->len = (uint32_t)x->o.b.len;
	return 0;
}

static void *export_format(void *priv)
{
	struct export *x = priv;

	for (;;) {
		struct block *p;
		int r = 0;

		pthread_mutex_lock(&x->lock);
		while (!x->full && !x->walked)
			pthread_cond_wait(&x->cond, &x->lock);
		p = x->full;
		if (p && !(x->full = p->next))
			x->tail = &x->full;
		if (x->r)
			r = x->r;
		pthread_mutex_unlock(&x->lock);
		if (!p)
			return NULL;
		for (size_t at = 0; r == 0 && at < p->len;) {
			char name[ROSTER_NAME_MAX + 1];
			size_t nlen = p->p[at];
			uint32_t dlen;

			memcpy(name, p->p + at + 1, nlen);
			name[nlen] = '\0';
			memcpy(&dlen, p->p + at + 1 + nlen, 4);
			if ((r = format_user(x, name, p->p + at + 1 + nlen + 4, dlen)) < 0)
				export_fail(x, r, name);
			at += 1 + nlen + 4 + dlen;
		}
		roster_wipe(p->p, p->len);
		p->len = 0;
		pthread_mutex_lock(&x->lock);
		if (p->cap == PACK_BYTES) {
			p->next = x->spare;
			x->spare = p;
		} else {
			x->packs--;
			free(p);
		}
		pthread_cond_broadcast(&x->cond);
		pthread_mutex_unlock(&x->lock);
	}
}

static int cmp_order(const void *a, const void *b, void *lines)
{
	const struct order *x = a, *y = b;
	const struct line *v = lines;

	if (x->prefix != y->prefix)
		return x->prefix < y->prefix ? -1 : 1;
	return strcmp(v[x->i].name, v[y->i].name);
}

static int sort_lines(struct export *x)
{
	if (x->n && !(x->order = calloc(x->n, sizeof(*x->order))))
		return -ENOMEM;
	for (size_t i = 0; i < x->n; i++) {
		unsigned char b[8] = { 0 };

		memcpy(b, x->v[i].name, strnlen(x->v[i].name, sizeof(b)));
		x->order[i].prefix = (uint64_t)b[0] << 56 | (uint64_t)b[1] << 48 | (uint64_t)b[2] << 40 |
				     (uint64_t)b[3] << 32 | (uint64_t)b[4] << 24 | (uint64_t)b[5] << 16 |
				     (uint64_t)b[6] << 8 | b[7];
		x->order[i].i = i;
	}
	if (x->n > 1)
		qsort_r(x->order, x->n, sizeof(*x->order), cmp_order, x->v);
	return 0;
}

/* Walk every user record; on success x->v holds a line per user, sorted. */
static int export_users(struct roster_db *db, struct export *x)
{
	pthread_t t;
	int r, e;

	if ((e = pthread_create(&t, NULL, export_format, x)) != 0)
		return db_fail(db, -e, "cannot start the export: %s", strerror(e));
	r = db_walk(db, export_walk, x);
	if (r == 0 && x->cur && x->cur->len) {
		pack_send(x, x->cur);
		x->cur = NULL;
	}
	pthread_mutex_lock(&x->lock);
	x->walked = true;
	pthread_cond_broadcast(&x->cond);
	pthread_mutex_unlock(&x->lock);
	pthread_join(t, NULL);
	blocks_free(x->cur);
	blocks_free(x->full); /* empty unless the formatter failed */
	blocks_free(x->spare);
	if (r == 0 && x->r == -EBADMSG && !x->bad[0])
		r = db_fail(db, -EBADMSG, "the database holds a user key that is not a valid user name; run roster db check");
	else if (r == 0 && (x->r == -EBADMSG || x->r == -EPROTONOSUPPORT))
		r = db_fail(db, x->r, "the record of user %s is damaged (%s); run roster db check", x->bad,
			    strerror(-x->r));
	else if (r == 0 && x->r)
		r = db_fail(db, x->r, "cannot export the users: %s", strerror(-x->r));
	if (r == 0 && (r = sort_lines(x)) < 0)
		r = db_fail(db, r, "cannot export the users: %s", strerror(-r));
	return r;
}

static int export_apis(struct roster_db *db, struct out *o, const struct roster_user *u)
{
	for (char **l = u->api_labels; l && *l; l++) {
		char key[KEY_MAX];
		struct api_rec a = { .user = u->name };
		struct roster_api *dec = NULL;
		TDB_DATA d;
		int r;

		key_api(key, u->name, *l);
		r = db_fetch(db, key, &d);
		if (r == -ENOENT)
			continue; /* db check names it */
		if (r < 0)
			return r;
		r = codec_api_decode(d.dptr, d.dsize, &dec);
		roster_wipe(d.dptr, d.dsize);
		free(d.dptr);
		if (r < 0)
			return db_fail(db, r, "the API password %s of %s is damaged; run roster db check", *l, u->name);
		a.a = *dec;
		emit(o, K_API, &a);
		roster_api_free(dec);
	}
	return 0;
}

static void export_free(struct export *x)
{
	blocks_free(x->chunks);
	for (size_t i = 0; i < x->napi; i++)
		free(x->api[i]);
	free(x->api);
	free(x->v);
	free(x->order);
	buf_free(&x->o.b);
}

/* Everything is read under one read lock, then written once it is
 * released: a slow reader of the output does not hold up writers, logins
 * included. */
int roster_export(struct roster_db *db, enum roster_format fmt, FILE *f)
{
	struct out o = { .b.secret = true, .fmt = fmt }, apis = { .b.secret = true, .fmt = fmt };
	struct export x = { .lock = PTHREAD_MUTEX_INITIALIZER, .cond = PTHREAD_COND_INITIALIZER };
	struct meta m = { .format = (char *)FORMAT_NAME, .version = FORMAT_VERSION };
	char **roles = NULL;
	int r = 0, werr = 0;

	x.tail = &x.full;
	if (tdb_lockall_read(db->tdb) != 0)
		return db_fail(db, -EIO, "cannot lock the database for reading");
	if (db_get_u64(db, "meta/next_id", &m.next_id) < 0)
		m.next_id = 0;
	if (fmt == ROSTER_FORMAT_CSV && (r = csv_columns(&o)) < 0)
		r = db_fail(db, r, "cannot export: %s", strerror(-r));
	x.o = (struct out){ .b.secret = true, .fmt = fmt, .cols = o.cols, .ncols = o.ncols };
	apis.cols = o.cols;
	apis.ncols = o.ncols;
	r = r ?: roster_role_names(db, &roles);
	if (r == 0)
		emit(&o, K_META, &m);
	for (char **p = roles; r == 0 && p && *p; p++) {
		struct roster_role *ro = NULL;

		r = role_load(db, *p, &ro);
		if (r == 0)
			emit(&o, K_ROLE, ro);
		roster_role_free(ro);
	}
	r = r ?: export_users(db, &x);
	/* API passwords last: an import needs their users first. */
	if (r == 0 && x.napi > 1)
		qsort(x.api, x.napi, sizeof(char *), cmp_str);
	for (size_t i = 0; r == 0 && i < x.napi; i++) {
		struct roster_user *u = NULL;

		r = user_load(db, x.api[i], &u) ?: export_apis(db, &apis, u);
		roster_user_free(u);
	}
	tdb_unlockall_read(db->tdb);
	if (r == 0 && (o.b.err || apis.b.err))
		r = db_fail(db, o.b.err ?: apis.b.err, "cannot export: %s", strerror(-(o.b.err ?: apis.b.err)));
	r = r ?: write_all(f, o.b.p, o.b.len, &werr);
	for (size_t i = 0; r == 0 && i < x.n; i++)
		r = write_all(f, x.v[x.order[i].i].at, x.v[x.order[i].i].len, &werr);
	r = r ?: write_all(f, apis.b.p, apis.b.len, &werr);
	export_free(&x);
	buf_free(&apis.b);
	buf_free(&o.b);
	free(o.cols);
	roster_strv_free(roles);
	if (r == 0 && (fflush(f) != 0 || ferror(f)))
		werr = errno ? errno : EIO;
	if (werr)
		r = db_fail(db, -EIO, "cannot write the export: %s", strerror(werr));
	return r;
}
