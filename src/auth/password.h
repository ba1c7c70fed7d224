/* Password hashing and policy (DESIGN §6, §8): PBKDF2-HMAC-SHA256 from mbedtls, 600 000
 * iterations, 16-byte random salt, `$pbkdf2-sha256$600000$<salt b64>$<hash b64>`, compared in
 * constant time. Hashing takes ~0.3 s of CPU: call these on the worker pool, never on the
 * service thread. */
#ifndef MINGSHI_AUTH_PASSWORD_H
#define MINGSHI_AUTH_PASSWORD_H

#include <stddef.h>

#include "core/err.h"

#define PASSWORD_ITERATIONS 600000
#define PASSWORD_MIN_CHARS 8
#define PASSWORD_MAX_CHARS 128
#define PASSWORD_HASH_MAX 128

/* Hashes pw with `iterations` rounds into out (PASSWORD_HASH_MAX bytes). ERR_OK or
 * ERR_INTERNAL. Worker pool. */
enum err password_hash(const char *pw, unsigned iterations, char *out, size_t cap);

/* 1 if pw matches encoded, 0 if not or if encoded is malformed. Worker pool. */
int password_verify(const char *pw, const char *encoded);

/* A machine-generated initial password (user import, creation by an admin, reset): 16
 * characters from a 56-symbol alphabet without look-alikes (~92 bits) into plain (17 bytes),
 * and its stored form `$random-sha256$<salt b64>$<hash b64>` into hash. Such a secret is
 * random, so key stretching adds nothing: one salted SHA-256 keeps bulk imports fast. The user
 * must replace it at first sign-in (users.must_change_password). Returns ERR_OK. */
enum err password_initial(char plain[17], char *hash, size_t cap);

/* A well-formed hash at PASSWORD_ITERATIONS of a random password nobody knows, to verify
 * against when a username does not exist, so both cases cost the same time (DESIGN §6). */
const char *password_dummy_hash(void);

/* ERR_INVALID on `field` unless pw has 8–128 characters and is not in the shipped list of
 * commonly used passwords (case-insensitive). */
enum err password_check_policy(const char *pw, const char *field, struct error *e);

#endif
