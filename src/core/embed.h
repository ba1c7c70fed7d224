/* Files compiled into the binary by mk/embed.sh: the migrations of db/migrations/ (in name
 * order), db/demo.sql and the common-password list. The data is NUL-terminated. */
#ifndef MINGSHI_CORE_EMBED_H
#define MINGSHI_CORE_EMBED_H

#include <stddef.h>

struct embedded_file {
	const char *name;
	const char *data;
	size_t len;
};

extern const struct embedded_file EMBED_MIGRATIONS[];
extern const size_t EMBED_MIGRATIONS_COUNT;
extern const struct embedded_file EMBED_DEMO_SQL;
extern const struct embedded_file EMBED_COMMON_PASSWORDS;

#endif
