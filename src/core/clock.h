/* Wall-clock and monotonic time, and the RFC 3339 UTC format of DESIGN §6. */
#ifndef MINGSHI_CORE_CLOCK_H
#define MINGSHI_CORE_CLOCK_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

/* Seconds since the epoch. */
int64_t clock_now(void);

/* Monotonic microseconds, for latency measurement and rate limits. */
int64_t clock_mono_us(void);

/* Monotonic nanoseconds, for the cost of short operations. */
int64_t clock_mono_ns(void);

/* `2026-11-27T08:00:00Z` into out (at least 21 bytes). */
void clock_rfc3339(int64_t t, char *out, size_t cap);

#endif
