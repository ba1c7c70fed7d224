/* Answers of read-only GETs, kept for as long as the database is unchanged.
 *
 * Why: a busy seminar room's newest history page is asked for by every client that opens
 * the room, and until the next message it is the same bytes each time; building it (two
 * queries, fifty rows, their JSON) was over half of the request (docs/BENCHMARKS.md, scenario
 * c). An answer is kept with the database's data version (db_data_version) and used only
 * while the request's snapshot still has that version: any commit, by any connection or
 * process, retires every answer at once. So a cached answer is always the one the handler
 * would build now; the handler still runs its access checks before asking for it, and only
 * answers that do not depend on who asks may be kept. Service thread only. */
#ifndef MINGSHI_API_CACHE_H
#define MINGSHI_API_CACHE_H

#include <stdbool.h>
#include <stddef.h>

#include "api/req.h"

#define ANSWER_KEY_MAX 192		     /* longer keys are not cached */
#define ANSWER_BODY_MAX (256 * 1024)	     /* larger answers are not kept */
#define ANSWER_CACHE_BYTES (4 * 1024 * 1024) /* all kept answers together */
#define ANSWER_CACHE_SLOTS 64

struct answer_cache;

struct answer_cache *answer_cache_new(void);
void answer_cache_free(struct answer_cache *c);

/* Writes a key into key[ANSWER_KEY_MAX] with printf's rules; false when it does not fit (then
 * the answer is not cached). Put user-given strings last or length-prefixed, so that no
 * value can pose as another's. */
bool answer_key(char *key, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* When the answer for key was kept at the snapshot's data version, replies with a copy
 * (200, JSON) and returns true. Counts a hit or a miss in the metrics. */
bool answer_cache_reply(struct req *r, const char *key);

/* Keeps a copy of r's answer under key when it is a 200 and the request has a snapshot open
 * (else does nothing). The least recently used answers make room. */
void answer_cache_store(struct req *r, const char *key);

#endif
