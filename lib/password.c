/* password.c - argon2id hashing, verification, generation and wiping.
 *
 * MUST rules:
 *  1. A plaintext is wiped as soon as it is hashed or compared.
 *  2. A stored hash is checked before it is verified: the cost is read from
 *     the string itself, so a planted "$argon2id$m=4194304..." would make
 *     every login allocate 4 GiB.
 *  3. Randomness comes from libsodium only.
 */
#include "internal.h"

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
	int r;

	if ((r = sodium_ready()) < 0)
		return r;
	n = strnlen(pw, ROSTER_PASSWORD_MAX + 1);
	if (n == 0 || n > ROSTER_PASSWORD_MAX)
		return -EINVAL;
	if (crypto_pwhash_str_alg(h, pw, n, cfg->opslimit, cfg->memlimit,
				  crypto_pwhash_ALG_ARGON2ID13) != 0)
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

int roster_password_verify(const struct roster_config *cfg, const char *hash, const char *pw)
{
	size_t n;
	int r;

	if ((r = sodium_ready()) < 0)
		return r;
	n = strnlen(pw, ROSTER_PASSWORD_MAX + 1);
	if (n > ROSTER_PASSWORD_MAX)
		return -E2BIG;
	if (!hash || strnlen(hash, ROSTER_HASH_MAX) >= ROSTER_HASH_MAX || hash_in_bounds(cfg, hash) < 0)
		return -EINVAL;
	return crypto_pwhash_str_verify(hash, pw, n) == 0 ? 0 : -EACCES;
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
