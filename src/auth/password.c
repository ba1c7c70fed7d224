/* Password hashing and policy; see password.h. */
#include "auth/password.h"

#include <mbedtls/md.h>
#include <mbedtls/pkcs5.h>
#include <mbedtls/platform_util.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/crypto.h"
#include "core/embed.h"
#include "core/json.h"

#define SALT_LEN 16
#define KEY_LEN 32
#define PREFIX "$pbkdf2-sha256$"
#define RANDOM_PREFIX "$random-sha256$"
#define INITIAL_LEN 16

static int derive(const char *pw, const uint8_t *salt, size_t salt_len, unsigned iterations,
		  uint8_t out[KEY_LEN])
{
	return mbedtls_pkcs5_pbkdf2_hmac_ext(MBEDTLS_MD_SHA256, (const unsigned char *)pw,
					     strlen(pw), salt, salt_len, iterations, KEY_LEN, out);
}

enum err password_hash(const char *pw, unsigned iterations, char *out, size_t cap)
{
	uint8_t salt[SALT_LEN], key[KEY_LEN];
	char salt_b64[32], key_b64[48];
	int n;

	if (crypto_random(salt, sizeof(salt)) != 0 || derive(pw, salt, SALT_LEN, iterations, key))
		return ERR_INTERNAL;
	if (crypto_b64(salt, SALT_LEN, salt_b64, sizeof(salt_b64)) < 0 ||
	    crypto_b64(key, KEY_LEN, key_b64, sizeof(key_b64)) < 0)
		return ERR_INTERNAL;
	mbedtls_platform_zeroize(key, sizeof(key));
	n = snprintf(out, cap, PREFIX "%u$%s$%s", iterations, salt_b64, key_b64);
	return n > 0 && (size_t)n < cap ? ERR_OK : ERR_INTERNAL;
}

/* Splits "$pbkdf2-sha256$N$salt$hash" into its parts. Returns 0 or -1. */
static int parse_encoded(const char *enc, unsigned *iterations, uint8_t *salt, int *salt_len,
			 uint8_t key[KEY_LEN])
{
	char salt_b64[64], key_b64[64];
	unsigned long it;
	char *end;
	const char *p;

	if (strncmp(enc, PREFIX, strlen(PREFIX)) != 0)
		return -1;
	p = enc + strlen(PREFIX);
	it = strtoul(p, &end, 10);
	if (end == p || *end != '$' || it < 1000 || it > 10000000)
		return -1;
	if (sscanf(end + 1, "%63[^$]$%63s", salt_b64, key_b64) != 2)
		return -1;
	*salt_len = crypto_unb64(salt_b64, salt, 64);
	if (*salt_len < 8 || crypto_unb64(key_b64, key, KEY_LEN) != KEY_LEN)
		return -1;
	*iterations = (unsigned)it;
	return 0;
}

/* SHA-256(salt ‖ pw) for the random-initial-password scheme. */
static void salted_sha256(const uint8_t *salt, size_t salt_len, const char *pw, uint8_t out[32])
{
	uint8_t buf[64 + PASSWORD_MAX_CHARS * 4];
	size_t n = strlen(pw);

	if (n > sizeof(buf) - salt_len)
		n = sizeof(buf) - salt_len;
	memcpy(buf, salt, salt_len);
	memcpy(buf + salt_len, pw, n);
	crypto_sha256(buf, salt_len + n, out);
	mbedtls_platform_zeroize(buf, sizeof(buf));
}

static int verify_random(const char *pw, const char *enc)
{
	char salt_b64[64], key_b64[64];
	uint8_t salt[64], want[32], got[32];
	int salt_len;

	if (sscanf(enc + strlen(RANDOM_PREFIX), "%63[^$]$%63s", salt_b64, key_b64) != 2)
		return 0;
	salt_len = crypto_unb64(salt_b64, salt, sizeof(salt));
	if (salt_len < 8 || crypto_unb64(key_b64, want, sizeof(want)) != 32)
		return 0;
	salted_sha256(salt, (size_t)salt_len, pw, got);
	return crypto_equal(got, want, 32);
}

int password_verify(const char *pw, const char *encoded)
{
	uint8_t salt[64], want[KEY_LEN], got[KEY_LEN];
	unsigned iterations;
	int salt_len, same;

	if (pw && encoded && !strncmp(encoded, RANDOM_PREFIX, strlen(RANDOM_PREFIX)))
		return verify_random(pw, encoded);
	if (!pw || !encoded || parse_encoded(encoded, &iterations, salt, &salt_len, want) != 0)
		return 0;
	if (derive(pw, salt, (size_t)salt_len, iterations, got) != 0)
		return 0;
	same = crypto_equal(got, want, KEY_LEN);
	mbedtls_platform_zeroize(got, sizeof(got));
	return same;
}

enum err password_initial(char plain[17], char *hash, size_t cap)
{
	static const char ALPHABET[] = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnpqrstuvwxyz23456789";
	const size_t n = sizeof(ALPHABET) - 1;
	uint8_t raw[INITIAL_LEN * 2], salt[SALT_LEN], key[32];
	char salt_b64[32], key_b64[48];
	size_t got = 0;

	/* Rejection sampling keeps every symbol equally likely. */
	while (got < INITIAL_LEN) {
		if (crypto_random(raw, sizeof(raw)) != 0)
			return ERR_INTERNAL;
		for (size_t i = 0; i < sizeof(raw) && got < INITIAL_LEN; i++) {
			if (raw[i] < 256 - 256 % n)
				plain[got++] = ALPHABET[raw[i] % n];
		}
	}
	plain[INITIAL_LEN] = '\0';
	if (crypto_random(salt, sizeof(salt)) != 0)
		return ERR_INTERNAL;
	salted_sha256(salt, sizeof(salt), plain, key);
	if (crypto_b64(salt, SALT_LEN, salt_b64, sizeof(salt_b64)) < 0 ||
	    crypto_b64(key, sizeof(key), key_b64, sizeof(key_b64)) < 0)
		return ERR_INTERNAL;
	return snprintf(hash, cap, RANDOM_PREFIX "%s$%s", salt_b64, key_b64) < (int)cap
		       ? ERR_OK
		       : ERR_INTERNAL;
}

const char *password_dummy_hash(void)
{
	/* PBKDF2 of 32 random bytes that were thrown away when this was made. */
	return PREFIX
		"600000$YoNC5LZ1uVFAuWUaQQcw2w==$HHxEVZ0Ppe0j9u2AIAEFIXKttxwZ39UZPBBElVm5A/E=";
}

/* Is pw (case-insensitively) one line of the embedded common-password list? */
static int is_common(const char *pw)
{
	const char *p = EMBED_COMMON_PASSWORDS.data, *end = p + EMBED_COMMON_PASSWORDS.len;
	size_t n = strlen(pw);

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t len = nl ? (size_t)(nl - p) : (size_t)(end - p);

		if (len == n && strncasecmp(p, pw, n) == 0)
			return 1;
		p += len + 1;
	}
	return 0;
}

enum err password_check_policy(const char *pw, const char *field, struct error *e)
{
	size_t chars;

	if (!pw)
		return error_set(e, ERR_INVALID, field, "%s is required", field);
	chars = utf8_chars(pw);
	if (chars < PASSWORD_MIN_CHARS || chars > PASSWORD_MAX_CHARS)
		return error_set(e, ERR_INVALID, field, "a password has %d to %d characters",
				 PASSWORD_MIN_CHARS, PASSWORD_MAX_CHARS);
	if (is_common(pw))
		return error_set(e, ERR_INVALID, field,
				 "this password is one of the most commonly used; choose another");
	return ERR_OK;
}
