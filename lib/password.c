/* password.c - argon2id hashing, verification, generation and wiping.
 *
 * MUST rules:
 *  1. A plaintext is wiped as soon as it is hashed or compared.
 *  2. A stored hash is checked before it is verified: the cost is read from
 *     the string itself, so a planted "$argon2id$m=4194304..." would make
 *     every login allocate 4 GiB.
 *  3. Randomness comes from libsodium only.
 *  4. Every argon2id computation holds a slot (hashslot.c): at most
 *     [passwords] max_concurrent run at once on the machine.  The checks
 *     that cost nothing come first, so a refused input never waits.
 *  5. A crypt(3) hash adopted from /etc/shadow is verified through libcrypt
 *     only while the user still has it: it is one of the strong schemes
 *     below, and pam_roster replaces it with argon2id at the next login.
 */
#include "internal.h"

#include <crypt.h>
#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void roster_wipe(void *p, size_t n)
{
	if (p && n)
		sodium_memzero(p, n);
}

void roster_secret_free(char *s)
{
	if (!s)
		return;
	roster_wipe(s, strlen(s));
	free(s);
}

static int sodium_ready(void)
{
	return sodium_init() < 0 ? -EIO : 0;
}

int roster_password_hash(const struct roster_config *cfg, const char *pw, char out[ROSTER_HASH_MAX])
{
	char h[crypto_pwhash_STRBYTES];
	size_t n;
	int r, slot;

	if ((r = sodium_ready()) < 0)
		return r;
	n = strnlen(pw, ROSTER_PASSWORD_MAX + 1);
	if (n == 0 || n > ROSTER_PASSWORD_MAX)
		return -EINVAL;
	if ((slot = hashslot_take(cfg)) < 0) /* rule 4 */
		return slot;
	r = crypto_pwhash_str_alg(h, pw, n, cfg->opslimit, cfg->memlimit, crypto_pwhash_ALG_ARGON2ID13);
	hashslot_give(slot);
	if (r != 0)
		return -ENOMEM;
	n = strlen(h);
	if (n >= ROSTER_HASH_MAX)
		return -EOVERFLOW;
	memcpy(out, h, n + 1);
	roster_wipe(h, sizeof(h));
	return 0;
}

/* "$argon2id$v=19$m=65536,t=2,p=1$salt$hash": the costs must lie within
 * what this machine's config could have produced, up to sensitive. */
static int hash_in_bounds(const struct roster_config *cfg, const char *hash)
{
	unsigned long m, t, p;
	unsigned long long maxops = cfg->opslimit > crypto_pwhash_OPSLIMIT_SENSITIVE ?
					    cfg->opslimit : crypto_pwhash_OPSLIMIT_SENSITIVE;
	size_t maxmem = cfg->memlimit > crypto_pwhash_MEMLIMIT_SENSITIVE ?
				cfg->memlimit : crypto_pwhash_MEMLIMIT_SENSITIVE;
	int n = 0;

	if (strncmp(hash, "$argon2id$v=19$", 15) != 0)
		return -EINVAL;
	if (sscanf(hash + 15, "m=%lu,t=%lu,p=%lu$%n", &m, &t, &p, &n) != 3 || n == 0)
		return -EINVAL;
	if (p != 1 || t < 1 || t > maxops || m < 8 || (unsigned long long)m * 1024 > maxmem)
		return -EINVAL;
	return 0;
}

/* The crypt(3) schemes roster adopts from /etc/shadow: those Debian has
 * used by default (yescrypt, sha512crypt) and the other strong ones.
 * md5crypt and DES are refused: such users must be given a new password. */
static const struct {
	const char *prefix, *name;
	size_t tail; /* the length of the hash after the last '$'; 0: bcrypt's 53 */
} crypt_schemes[] = {
	{ "$y$", "yescrypt", 43 },  { "$gy$", "gost-yescrypt", 43 }, { "$7$", "scrypt", 43 },
	{ "$6$", "sha512crypt", 86 }, { "$5$", "sha256crypt", 43 }, { "$2b$", "bcrypt", 0 },
	{ "$2y$", "bcrypt", 0 },
};

const char *roster_hash_scheme(const char *hash)
{
	if (!hash)
		return NULL;
	if (strncmp(hash, "$argon2id$", 10) == 0)
		return "argon2id";
	for (size_t i = 0; i < sizeof(crypt_schemes) / sizeof(crypt_schemes[0]); i++)
		if (strncmp(hash, crypt_schemes[i].prefix, strlen(crypt_schemes[i].prefix)) == 0)
			return crypt_schemes[i].name;
	return NULL;
}

static bool crypt_hash(const char *hash)
{
	const char *s = roster_hash_scheme(hash);

	return s && strcmp(s, "argon2id") != 0;
}

int roster_valid_hash(const struct roster_config *cfg, const char *hash)
{
	if (!hash || strnlen(hash, ROSTER_HASH_MAX) >= ROSTER_HASH_MAX)
		return -EINVAL;
	if (crypt_hash(hash)) {
		size_t tail = 0, n = strlen(hash);

		for (size_t i = 0; i < sizeof(crypt_schemes) / sizeof(crypt_schemes[0]); i++)
			if (strncmp(hash, crypt_schemes[i].prefix, strlen(crypt_schemes[i].prefix)) == 0)
				tail = crypt_schemes[i].tail;
		if (tail ? strlen(strrchr(hash, '$') + 1) != tail : n != 60)
			return -EINVAL;
		/* The whole string must be what libcrypt would have written. */
		for (const char *p = hash; *p; p++)
			if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
			      (*p >= '0' && *p <= '9') || strchr("$./=,", *p)))
				return -EINVAL;
		return crypt_checksalt(hash) == CRYPT_SALT_OK ? 0 : -EINVAL;
	}
	return hash_in_bounds(cfg, hash);
}

/* crypt_rn() into a heap buffer (struct crypt_data is 32 KiB), compared in
 * constant time, everything wiped. */
static int crypt_verify(const char *hash, const char *pw)
{
	struct crypt_data *cd = calloc(1, sizeof(*cd));
	const char *out;
	size_t n = strlen(hash);
	int r = -EACCES;

	if (!cd)
		return -ENOMEM;
	out = crypt_rn(pw, hash, cd, sizeof(*cd));
	if (out && out[0] != '*' && strlen(out) == n && sodium_memcmp(out, hash, n) == 0)
		r = 0;
	roster_wipe(cd, sizeof(*cd));
	free(cd);
	return r;
}

int roster_password_verify(const struct roster_config *cfg, const char *hash, const char *pw)
{
	size_t n;
	int r, slot;

	if ((r = sodium_ready()) < 0)
		return r;
	n = strnlen(pw, ROSTER_PASSWORD_MAX + 1);
	if (n > ROSTER_PASSWORD_MAX)
		return -E2BIG;
	if (roster_valid_hash(cfg, hash) < 0)
		return -EINVAL;
	if ((slot = hashslot_take(cfg)) < 0) /* rule 4 */
		return slot;
	if (crypt_hash(hash))
		r = crypt_verify(hash, pw); /* rule 5; yescrypt costs memory too */
	else
		r = crypto_pwhash_str_verify(hash, pw, n) == 0 ? 0 : -EACCES;
	hashslot_give(slot);
	return r;
}

const char *roster_password_strerror(int r)
{
	if (r == -ETIMEDOUT)
		return "no argon2id slot came free within [passwords] max_wait "
		       "(all [passwords] max_concurrent were busy)";
	return strerror(-r);
}

/* No 0/O, 1/l/I: a generated password is read off a screen and typed. */
static const char alphabet[] = "abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";

int roster_password_generate(char *out, size_t outlen)
{
	const size_t len = 20; /* 20 * log2(57) = 116 bits */
	int r;

	if ((r = sodium_ready()) < 0)
		return r;
	if (outlen < len + 1)
		return -ENOSPC;
	for (size_t i = 0; i < len; i++)
		out[i] = alphabet[randombytes_uniform(sizeof(alphabet) - 1)];
	out[len] = '\0';
	return 0;
}
