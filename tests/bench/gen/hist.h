/* An HDR-style latency histogram for the load generator: log-linear buckets (128 per power of
 * two) over nanoseconds, so any value is reported within 1/128 (0.8 %) of itself, from 1 ns to
 * the full 64-bit range, in a fixed 58 KiB with O(1) recording. Not thread-safe: the generator
 * records from its one service thread. */
#ifndef MSGEN_HIST_H
#define MSGEN_HIST_H

#include <stdint.h>

#define HIST_SUB_BITS 7
#define HIST_SUB (1u << HIST_SUB_BITS)
#define HIST_BUCKETS (HIST_SUB + (64 - HIST_SUB_BITS) * HIST_SUB)

struct hist {
	uint64_t counts[HIST_BUCKETS];
	uint64_t total;
	uint64_t min; /* exact; UINT64_MAX while empty */
	uint64_t max; /* exact */
	long double sum;
};

/* Empties h. */
void hist_reset(struct hist *h);

/* Counts one value (nanoseconds). */
void hist_record(struct hist *h, uint64_t v);

/* The bucket index of v, and the highest value that falls in bucket i (exposed for tests). */
unsigned hist_index(uint64_t v);
uint64_t hist_bucket_high(unsigned i);

/* The value at percentile p (0 < p <= 100): the smallest recorded bucket covering at least
 * ceil(p% of total) values, reported as that bucket's highest value but never above max.
 * 0 when empty; p = 100 gives max exactly. */
uint64_t hist_percentile(const struct hist *h, double p);

/* Adds every count of src into dst. */
void hist_merge(struct hist *dst, const struct hist *src);

/* The arithmetic mean, 0 when empty. */
double hist_mean(const struct hist *h);

#endif
