/* HDR-style histogram; see hist.h. Values below 128 get a bucket each (exact); above, a value
 * with its top bit at position e keeps its next 7 bits, so a bucket spans 2^(e-7) values. */
#include "hist.h"

#include <math.h>
#include <string.h>

void hist_reset(struct hist *h)
{
	memset(h, 0, sizeof(*h));
	h->min = UINT64_MAX;
}

unsigned hist_index(uint64_t v)
{
	unsigned e, mant;

	if (v < HIST_SUB)
		return (unsigned)v;
	e = 63u - (unsigned)__builtin_clzll(v);
	mant = (unsigned)(v >> (e - HIST_SUB_BITS)) - HIST_SUB;
	return HIST_SUB + (e - HIST_SUB_BITS) * HIST_SUB + mant;
}

uint64_t hist_bucket_high(unsigned i)
{
	unsigned e, mant, shift;

	if (i < HIST_SUB)
		return i;
	e = (i - HIST_SUB) / HIST_SUB + HIST_SUB_BITS;
	mant = (i - HIST_SUB) % HIST_SUB;
	shift = e - HIST_SUB_BITS;
	/* written so the top bucket ends at UINT64_MAX without overflowing */
	return (((uint64_t)(HIST_SUB + mant)) << shift) + ((((uint64_t)1) << shift) - 1);
}

void hist_record(struct hist *h, uint64_t v)
{
	h->counts[hist_index(v)]++;
	h->total++;
	h->sum += (long double)v;
	if (v < h->min)
		h->min = v;
	if (v > h->max)
		h->max = v;
}

uint64_t hist_percentile(const struct hist *h, double p)
{
	uint64_t rank, seen = 0, high;
	unsigned i;

	if (h->total == 0)
		return 0;
	if (p >= 100.0)
		return h->max;
	/* the epsilon keeps 99.9 % of 1000 at rank 999: 99.9 / 100 is 0.99900000000000011 */
	rank = (uint64_t)ceil(p / 100.0 * (double)h->total - 1e-9);
	if (rank < 1)
		rank = 1;
	for (i = 0; i < HIST_BUCKETS; i++) {
		seen += h->counts[i];
		if (seen >= rank)
			break;
	}
	high = hist_bucket_high(i);
	return high < h->max ? high : h->max;
}

void hist_merge(struct hist *dst, const struct hist *src)
{
	unsigned i;

	for (i = 0; i < HIST_BUCKETS; i++)
		dst->counts[i] += src->counts[i];
	dst->total += src->total;
	dst->sum += src->sum;
	if (src->min < dst->min)
		dst->min = src->min;
	if (src->max > dst->max)
		dst->max = src->max;
}

double hist_mean(const struct hist *h)
{
	return h->total ? (double)(h->sum / (long double)h->total) : 0.0;
}
