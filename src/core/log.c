/* stderr logger. The level is process-wide configuration set once at start-up (before any
 * thread exists), which is why it is the one static here rather than a field of struct app. */
#include "core/log.h"

#include <stdarg.h>
#include <stdio.h>
#include <time.h>

static enum log_level min_level = LOG_INFO;

void log_set_level(enum log_level level)
{
	min_level = level;
}

enum log_level log_get_level(void)
{
	return min_level;
}

void log_msg(enum log_level level, const char *fmt, ...)
{
	static const char *const NAMES[] = { "debug", "info", "warn", "error" };
	char line[1024], stamp[32];
	struct tm tm;
	time_t now;
	va_list ap;

	if (level < min_level)
		return;
	now = time(NULL);
	gmtime_r(&now, &tm);
	strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%SZ", &tm);
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	fprintf(stderr, "%s %s %s\n", stamp, NAMES[level], line);
}
