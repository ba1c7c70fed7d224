/* Session and CSRF tokens and the session cookie (DESIGN §6, §8). A session token is 32
 * random bytes sent as base64url in the cookie __Host-mingshi_session; only its SHA-256 is
 * stored. The CSRF token is 24 random bytes, base64url, returned at sign-in and echoed by the
 * client in X-CSRF-Token. */
#ifndef MINGSHI_AUTH_TOKEN_H
#define MINGSHI_AUTH_TOKEN_H

#include <stddef.h>
#include <stdint.h>

#define SESSION_COOKIE "__Host-mingshi_session"
#define TOKEN_B64_MAX 48 /* 32 bytes → 43 base64url chars + NUL */

/* A new random session token (base64url) and its SHA-256. Returns 0 or -1. */
int token_new_session(char token[TOKEN_B64_MAX], uint8_t hash[32]);

/* A new random CSRF token (base64url). Returns 0 or -1. */
int token_new_csrf(char token[TOKEN_B64_MAX]);

/* SHA-256 of a session token as received. */
void token_hash(const char *token, uint8_t hash[32]);

/* Finds the session token in a Cookie header value; copies it into out. Returns 0, or -1 if
 * absent or malformed (not 43 base64url characters). */
int token_from_cookie(const char *cookie_header, char out[TOKEN_B64_MAX]);

/* The Set-Cookie value that installs token (or, with token NULL, clears the cookie). */
void token_cookie_value(const char *token, char *out, size_t cap);

/* 1 if the CSRF token the client sent equals the session's, in constant time. */
int token_csrf_ok(const char *sent, const char *expected);

#endif
