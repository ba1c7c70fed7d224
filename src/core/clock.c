/* Time helpers; see clock.h. */
#include "core/clock.h"

#include <string.h>

int64_t clock_now(void)
{
	return (int64_t)time(NULL);
}

int64_t clock_mono_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

int64_t clock_mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* gmtime_r() takes glibc's time-zone lock on every call, and every durable message formats
 * the time it is stored at: each thread keeps its last second's text. */
void clock_rfc3339(int64_t t, char *out, size_t cap)
{
	static _Thread_local int64_t last_t = INT64_MIN;
	static _Thread_local char last[40];
	size_t n;

	if (t != last_t) {
		time_t tt = (time_t)t;
		struct tm tm;

		if (!gmtime_r(&tt, &tm) || !strftime(last, sizeof(last), "%Y-%m-%dT%H:%M:%SZ", &tm))
			last[0] = '\0';
		last_t = t;
	}
	if (!cap)
		return;
	n = strnlen(last, cap - 1);
	memcpy(out, last, n);
	out[n] = '\0';
}
