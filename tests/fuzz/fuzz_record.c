/* fuzz_record.c - libFuzzer target: the record decoders of accounts.tdb
 * (lib/codec.c).
 *
 * The first byte picks the decoder (modulo 5: user, role, event, API
 * password, string list); the rest is the record.  A record that decodes
 * must survive a round trip: encoded, it decodes again to an equal value,
 * and that value encodes to the same bytes.  Anything else aborts, so the
 * target finds wrong answers as well as crashes.
 */
#include "internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

enum { REC_USER, REC_ROLE, REC_EVENT, REC_API, REC_STRV, REC_KINDS };

static const char *const kind_name[REC_KINDS] = { "user", "role", "event", "api", "strv" };

static void fail(unsigned kind, const char *what)
{
	fprintf(stderr, "fuzz_record: %s record: %s\n", kind_name[kind], what);
	abort();
}

static bool same_strv(char *const *a, char *const *b)
{
	size_t i;

	for (i = 0; a && b && a[i] && b[i]; i++)
		if (strcmp(a[i], b[i]) != 0)
			return false;
	return (!a || !a[i]) && (!b || !b[i]);
}

static bool same_bytes(const void *a, size_t an, const void *b, size_t bn)
{
	return an == bn && (an == 0 || memcmp(a, b, an) == 0);
}

/* Each returns the name of the first field that differs, or NULL. */
#define STR(f) if (!str_eq(a->f, b->f)) return #f
#define VAL(f) if (a->f != b->f) return #f
#define STRV(f) if (!same_strv(a->f, b->f)) return #f
#define UNKNOWN() if (!same_bytes(a->unknown, a->unknown_len, b->unknown, b->unknown_len)) return "unknown"

static const char *user_diff(const struct roster_user *a, const struct roster_user *b)
{
	STR(name); VAL(uid); VAL(gid); STR(email); STR(first); STR(last); STR(supervisor);
	STR(shell); STR(home); VAL(status); STRV(roles); VAL(must_change); VAL(expires);
	VAL(created); VAL(updated); STR(created_by); STR(updated_by); STR(pwhash);
	VAL(fail_count); VAL(fail_first); VAL(locked_until); VAL(last_login);
	STR(last_service); STR(last_host); STR(invite_hash); VAL(invite_sent);
	VAL(invite_expires); STR(invited_by); VAL(api_enabled); STRV(api_labels); UNKNOWN();
	if (strcmp(a->uuid, b->uuid) != 0)
		return "uuid";
	return NULL;
}

static const char *role_diff(const struct roster_role *a, const struct roster_role *b)
{
	STR(name); VAL(gid); STR(description); STRV(services); VAL(created); VAL(updated);
	STR(created_by); STR(updated_by); UNKNOWN();
	return NULL;
}

static const char *api_diff(const struct roster_api *a, const struct roster_api *b)
{
	STR(label); STR(hash); STRV(services); VAL(created); VAL(expires); VAL(last_used);
	STR(last_service); STR(created_by); UNKNOWN();
	return NULL;
}

static const char *event_diff(const struct roster_event *a, const struct roster_event *b)
{
	VAL(seq); VAL(time); STR(actor); STR(action); STR(subject); VAL(nchanges);
	if (memcmp(a->prev_hash, b->prev_hash, sizeof(a->prev_hash)) != 0)
		return "prev_hash";
	for (size_t i = 0; i < a->nchanges; i++) {
		const struct roster_change *x = &a->changes[i], *y = &b->changes[i];

		if (!str_eq(x->field, y->field) || !str_eq(x->old_value, y->old_value) ||
		    !str_eq(x->new_value, y->new_value) || x->secret != y->secret)
			return "changes";
	}
	return NULL;
}

#undef STR
#undef VAL
#undef STRV
#undef UNKNOWN

/* One decoder behind one interface: decode into *obj, encode it, compare
 * two decoded values, free one. */
static int decode(unsigned kind, const void *p, size_t n, void **obj)
{
	switch (kind) {
	case REC_USER: return codec_user_decode(p, n, (struct roster_user **)obj);
	case REC_ROLE: return codec_role_decode(p, n, (struct roster_role **)obj);
	case REC_EVENT: return codec_event_decode(p, n, (struct roster_event **)obj);
	case REC_API: return codec_api_decode(p, n, (struct roster_api **)obj);
	default: return codec_strv_decode(p, n, (char ***)obj);
	}
}

static int encode(unsigned kind, const void *obj, struct buf *out)
{
	switch (kind) {
	case REC_USER: return codec_user_encode(obj, out);
	case REC_ROLE: return codec_role_encode(obj, out);
	case REC_EVENT: return codec_event_encode(obj, out);
	case REC_API: return codec_api_encode(obj, out);
	default: return codec_strv_encode(obj, out);
	}
}

static const char *diff(unsigned kind, const void *a, const void *b)
{
	switch (kind) {
	case REC_USER: return user_diff(a, b);
	case REC_ROLE: return role_diff(a, b);
	case REC_EVENT: return event_diff(a, b);
	case REC_API: return api_diff(a, b);
	default: return same_strv(a, b) ? NULL : "list";
	}
}

static void release(unsigned kind, void *obj)
{
	switch (kind) {
	case REC_USER: roster_user_free(obj); break;
	case REC_ROLE: roster_role_free(obj); break;
	case REC_EVENT: roster_event_free(obj); break;
	case REC_API: roster_api_free(obj); break;
	default: roster_strv_free(obj); break;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct buf once = { 0 }, twice = { 0 };
	void *a = NULL, *b = NULL;
	const char *d;
	unsigned kind;
	int r;

	if (size < 1)
		return 0;
	kind = data[0] % REC_KINDS;
	if (decode(kind, data + 1, size - 1, &a) < 0)
		return 0;
	/* Decoded: encoding cannot fail but for memory, and must give back
	 * a record that decodes to the same value and encodes the same. */
	if (encode(kind, a, &once) < 0)
		fail(kind, "a decoded record does not encode");
	r = decode(kind, once.p, once.len, &b);
	if (r < 0)
		fail(kind, "an encoded record does not decode");
	if ((d = diff(kind, a, b)) != NULL) {
		fprintf(stderr, "fuzz_record: field %s changed in the round trip\n", d);
		fail(kind, "the round trip is not the identity");
	}
	if (encode(kind, b, &twice) < 0)
		fail(kind, "a round-tripped record does not encode");
	if (!same_bytes(once.p, once.len, twice.p, twice.len))
		fail(kind, "encoding is not stable");
	release(kind, a);
	release(kind, b);
	buf_free(&once);
	buf_free(&twice);
	return 0;
}
