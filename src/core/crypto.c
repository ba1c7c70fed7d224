/* Crypto helpers; see crypto.h. */
#include "core/crypto.h"

#include <errno.h>
#include <mbedtls/base64.h>
#include <mbedtls/sha256.h>
#include <string.h>
#include <sys/random.h>

int crypto_random(void *buf, size_t n)
{
	uint8_t *p = buf;

	while (n > 0) {
		ssize_t got = getrandom(p, n, 0);

		if (got < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += got;
		n -= (size_t)got;
	}
	return 0;
}

void crypto_sha256(const void *data, size_t n, uint8_t out[32])
{
	mbedtls_sha256(data, n, out, 0);
}

void crypto_hex(const uint8_t *in, size_t n, char *out)
{
	static const char DIGITS[] = "0123456789abcdef";

	for (size_t i = 0; i < n; i++) {
		out[2 * i] = DIGITS[in[i] >> 4];
		out[2 * i + 1] = DIGITS[in[i] & 15];
	}
	out[2 * n] = '\0';
}

int crypto_b64(const uint8_t *in, size_t n, char *out, size_t cap)
{
	size_t olen = 0;

	if (mbedtls_base64_encode((unsigned char *)out, cap, &olen, in, n) != 0)
		return -1;
	return (int)olen;
}

int crypto_unb64(const char *in, uint8_t *out, size_t cap)
{
	size_t olen = 0;

	if (mbedtls_base64_decode(out, cap, &olen, (const unsigned char *)in, strlen(in)) != 0)
		return -1;
	return (int)olen;
}

int crypto_b64url(const uint8_t *in, size_t n, char *out, size_t cap)
{
	int len = crypto_b64(in, n, out, cap);

	if (len < 0)
		return -1;
	while (len > 0 && out[len - 1] == '=')
		len--;
	out[len] = '\0';
	for (int i = 0; i < len; i++) {
		if (out[i] == '+')
			out[i] = '-';
		else if (out[i] == '/')
			out[i] = '_';
	}
	return len;
}

int crypto_equal(const void *a, const void *b, size_t n)
{
	const volatile uint8_t *x = a, *y = b;
	uint8_t diff = 0;

	for (size_t i = 0; i < n; i++)
		diff |= (uint8_t)(x[i] ^ y[i]);
	return diff == 0;
}
