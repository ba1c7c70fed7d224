/* Small crypto helpers on mbedtls: random bytes from the kernel, SHA-256, base64 and
 * constant-time comparison. Used by auth/ (tokens, passwords) and domain/audit (hash chain). */
#ifndef MINGSHI_CORE_CRYPTO_H
#define MINGSHI_CORE_CRYPTO_H

#include <stddef.h>
#include <stdint.h>

/* Fills buf with n bytes from getrandom(2). Returns 0, or -1 if the kernel refused. */
int crypto_random(void *buf, size_t n);

/* out = SHA-256(data). */
void crypto_sha256(const void *data, size_t n, uint8_t out[32]);

/* Lower-case hex of n bytes into out (2n+1 bytes, NUL-terminated). */
void crypto_hex(const uint8_t *in, size_t n, char *out);

/* Standard base64 (with padding) of n bytes into out of size cap; returns the length written
 * (excluding the NUL) or -1 if cap is too small. */
int crypto_b64(const uint8_t *in, size_t n, char *out, size_t cap);

/* Decodes standard base64; returns the decoded length, or -1 on bad input or small cap. */
int crypto_unb64(const char *in, uint8_t *out, size_t cap);

/* base64url without padding (RFC 4648 §5), for tokens in cookies and headers. */
int crypto_b64url(const uint8_t *in, size_t n, char *out, size_t cap);

/* 1 if the n bytes at a and b are equal; the time taken depends only on n. */
int crypto_equal(const void *a, const void *b, size_t n);

#endif
