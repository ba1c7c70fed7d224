/* Login throttling (DESIGN §6): 10 failed sign-ins for one username from one address, or 50
 * from one address, within 15 minutes block that pair or that address for 15 minutes. Keyed
 * by address so that a stranger elsewhere can never lock a user out. In memory, service
 * thread only; bounded in size. */
#ifndef MINGSHI_AUTH_THROTTLE_H
#define MINGSHI_AUTH_THROTTLE_H

#include <stddef.h>
#include <stdint.h>

#define THROTTLE_WINDOW_SECS 900
#define THROTTLE_BLOCK_SECS 900
#define THROTTLE_PAIR_LIMIT 10
#define THROTTLE_ADDR_LIMIT 50
#define THROTTLE_MAX_ENTRIES 100000

struct throttle;

/* A new, empty throttle, or NULL. Free with throttle_free(). */
struct throttle *throttle_new(void);
void throttle_free(struct throttle *t);

/* Seconds until the pair or the address may try again; 0 if it may now. */
int64_t throttle_blocked(struct throttle *t, const char *addr, const char *username, int64_t now);

/* Records one failed sign-in. */
void throttle_fail(struct throttle *t, const char *addr, const char *username, int64_t now);

/* A successful sign-in clears the pair's failures (not the address's). */
void throttle_success(struct throttle *t, const char *addr, const char *username);

/* Number of tracked keys (for tests). */
size_t throttle_size(const struct throttle *t);

#endif
