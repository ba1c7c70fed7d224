/* core/walbuf: a VFS over SQLite's default one that gathers the write-ahead log's appends.
 *
 * SQLite writes each WAL frame as two write()s, its 24-byte header and then its page: a commit
 * of 30 pages is 60 system calls. Connections opened with WALBUF_VFS keep a WAL file's
 * consecutive writes in a buffer and write it out in one call when the commit frame's page
 * has been added, before any sync, read, truncate or size query of that file, when a write
 * does not follow on, and when the buffer is full. So every committed frame is in the file
 * before the commit returns and before SQLite's wal-index makes it visible to other
 * connections, whatever `synchronous` says; an uncommitted frame is only ever read back by
 * the connection that wrote it, which flushes first. Other files pass straight through. */
#ifndef MINGSHI_CORE_WALBUF_H
#define MINGSHI_CORE_WALBUF_H

#include <stdint.h>

#define WALBUF_VFS "mingshi-walbuf"

/* Registers the VFS (never as the default). Safe to call from any thread, any number of
 * times. Returns an SQLite result code. */
int walbuf_register(void);

/* How many write()s the VFS's WAL files have made so far, over all connections (tests). */
uint64_t walbuf_writes(void);

#endif
