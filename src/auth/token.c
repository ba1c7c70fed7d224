/* Tokens and the session cookie; see token.h. */
#include "auth/token.h"

#include <stdio.h>
#include <string.h>

#include "core/crypto.h"
#include "domain/session.h"

#define SESSION_TOKEN_CHARS 43

int token_new_session(char token[TOKEN_B64_MAX], uint8_t hash[32])
{
	uint8_t raw[32];

	if (crypto_random(raw, sizeof(raw)) != 0)
		return -1;
	if (crypto_b64url(raw, sizeof(raw), token, TOKEN_B64_MAX) != SESSION_TOKEN_CHARS)
		return -1;
	token_hash(token, hash);
	return 0;
}

int token_new_csrf(char token[TOKEN_B64_MAX])
{
	uint8_t raw[24];

	if (crypto_random(raw, sizeof(raw)) != 0)
		return -1;
	return crypto_b64url(raw, sizeof(raw), token, TOKEN_B64_MAX) > 0 ? 0 : -1;
}

void token_hash(const char *token, uint8_t hash[32])
{
	crypto_sha256(token, strlen(token), hash);
}

static int is_b64url(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
	       c == '-' || c == '_';
}

int token_from_cookie(const char *h, char out[TOKEN_B64_MAX])
{
	const size_t klen = strlen(SESSION_COOKIE);

	while (h && *h) {
		while (*h == ' ' || *h == ';')
			h++;
		if (!strncmp(h, SESSION_COOKIE, klen) && h[klen] == '=') {
			const char *v = h + klen + 1;
			size_t n = 0;

			while (is_b64url(v[n]))
				n++;
			if (n != SESSION_TOKEN_CHARS || (v[n] && v[n] != ';' && v[n] != ' '))
				return -1;
			memcpy(out, v, n);
			out[n] = '\0';
			return 0;
		}
		h = strchr(h, ';');
	}
	return -1;
}

void token_cookie_value(const char *token, char *out, size_t cap)
{
	if (token)
		snprintf(out, cap, "%s=%s; Path=/; Max-Age=%d; Secure; HttpOnly; SameSite=Strict",
			 SESSION_COOKIE, token, SESSION_MAX_SECS);
	else
		snprintf(out, cap, "%s=; Path=/; Max-Age=0; Secure; HttpOnly; SameSite=Strict",
			 SESSION_COOKIE);
}

int token_csrf_ok(const char *sent, const char *expected)
{
	size_t n = strlen(expected);

	if (!sent || n == 0 || strlen(sent) != n)
		return 0;
	return crypto_equal(sent, expected, n);
}
