/* core/walbuf: see walbuf.h. The rules that keep it safe: bytes leave the buffer in the order
 * they came, at the offsets they were written to; anything that could look at the file first
 * writes the buffer out; and a commit frame's page is never left in the buffer. */
#include "core/walbuf.h"

#include <pthread.h>
#include <sqlite3.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

/* SQLite's unix VFS takes at most 128 KiB - 1 in one write (seekAndWriteFd masks the length
 * with 0x1ffff), so a commit of more than ~29 frames of 4 KiB leaves in several writes. */
#define WALBUF_CAP (120 * 1024)
/* A frame header: page number, then the database size in pages for a commit frame, else 0. */
#define WAL_FRAME_HEADER 24

struct walbuf_file {
	sqlite3_file base;
	sqlite3_file *real; /* the default VFS's file, right after this struct */
	unsigned char *buf; /* WALBUF_CAP bytes, from the first write on */
	sqlite3_int64 off;  /* the file offset of buf[0] */
	int len;
	bool commit_page; /* the last write was a commit frame's header: its page comes next */
};

static sqlite3_vfs *base_vfs;
static sqlite3_vfs walbuf_vfs;
static atomic_uint_fast64_t writes;
static pthread_once_t once = PTHREAD_ONCE_INIT;
static int register_rc = SQLITE_ERROR;

static int flush(struct walbuf_file *f)
{
	int len = f->len;

	if (!len)
		return SQLITE_OK;
	f->len = 0;
	atomic_fetch_add(&writes, 1);
	return f->real->pMethods->xWrite(f->real, f->buf, len, f->off);
}

static bool is_commit_header(const void *p, int amt)
{
	const unsigned char *h = p;

	return amt == WAL_FRAME_HEADER && (h[4] | h[5] | h[6] | h[7]) != 0;
}

/* Adds p to the buffer, writing it out first where p does not follow on or would not fit. */
static int buffer_write(struct walbuf_file *f, const void *p, int amt, sqlite3_int64 off)
{
	int rc = SQLITE_OK;

	if (f->len && (off != f->off + f->len || f->len + amt > WALBUF_CAP))
		rc = flush(f);
	if (rc != SQLITE_OK)
		return rc;
	if (!f->buf && amt <= WALBUF_CAP)
		f->buf = malloc(WALBUF_CAP);
	if (!f->buf || amt > WALBUF_CAP) {
		atomic_fetch_add(&writes, 1);
		return f->real->pMethods->xWrite(f->real, p, amt, off);
	}
	if (!f->len)
		f->off = off;
	memcpy(f->buf + f->len, p, (size_t)amt);
	f->len += amt;
	return SQLITE_OK;
}

static int w_write(sqlite3_file *file, const void *p, int amt, sqlite3_int64 off)
{
	struct walbuf_file *f = (struct walbuf_file *)file;
	bool page_of_commit = f->commit_page;
	int rc = buffer_write(f, p, amt, off);

	f->commit_page = is_commit_header(p, amt);
	if (rc == SQLITE_OK && page_of_commit)
		rc = flush(f); /* the commit is complete: it must be in the file now */
	return rc;
}

static int w_close(sqlite3_file *file)
{
	struct walbuf_file *f = (struct walbuf_file *)file;
	int rc = flush(f), rc2 = f->real->pMethods->xClose(f->real);

	free(f->buf);
	f->buf = NULL;
	return rc != SQLITE_OK ? rc : rc2;
}

static int w_read(sqlite3_file *file, void *p, int amt, sqlite3_int64 off)
{
	struct walbuf_file *f = (struct walbuf_file *)file;
	int rc = flush(f);

	return rc != SQLITE_OK ? rc : f->real->pMethods->xRead(f->real, p, amt, off);
}

static int w_truncate(sqlite3_file *file, sqlite3_int64 size)
{
	struct walbuf_file *f = (struct walbuf_file *)file;
	int rc = flush(f);

	return rc != SQLITE_OK ? rc : f->real->pMethods->xTruncate(f->real, size);
}

static int w_sync(sqlite3_file *file, int flags)
{
	struct walbuf_file *f = (struct walbuf_file *)file;
	int rc = flush(f);

	return rc != SQLITE_OK ? rc : f->real->pMethods->xSync(f->real, flags);
}

static int w_file_size(sqlite3_file *file, sqlite3_int64 *size)
{
	struct walbuf_file *f = (struct walbuf_file *)file;
	int rc = flush(f);

	return rc != SQLITE_OK ? rc : f->real->pMethods->xFileSize(f->real, size);
}

static int w_file_control(sqlite3_file *file, int op, void *arg)
{
	struct walbuf_file *f = (struct walbuf_file *)file;
	int rc = flush(f);

	return rc != SQLITE_OK ? rc : f->real->pMethods->xFileControl(f->real, op, arg);
}

static int w_fetch(sqlite3_file *file, sqlite3_int64 off, int amt, void **pp)
{
	struct walbuf_file *f = (struct walbuf_file *)file;
	int rc = flush(f);

	return rc != SQLITE_OK ? rc : f->real->pMethods->xFetch(f->real, off, amt, pp);
}

/* ---- passed through as they are ---------------------------------------------------------- */

#define REAL(file) (((struct walbuf_file *)(file))->real)

static int w_lock(sqlite3_file *file, int lock)
{
	return REAL(file)->pMethods->xLock(REAL(file), lock);
}

static int w_unlock(sqlite3_file *file, int lock)
{
	return REAL(file)->pMethods->xUnlock(REAL(file), lock);
}

static int w_check_reserved(sqlite3_file *file, int *out)
{
	return REAL(file)->pMethods->xCheckReservedLock(REAL(file), out);
}

static int w_sector_size(sqlite3_file *file)
{
	return REAL(file)->pMethods->xSectorSize(REAL(file));
}

static int w_device(sqlite3_file *file)
{
	return REAL(file)->pMethods->xDeviceCharacteristics(REAL(file));
}

static int w_shm_map(sqlite3_file *file, int page, int size, int extend, void volatile **pp)
{
	return REAL(file)->pMethods->xShmMap(REAL(file), page, size, extend, pp);
}

static int w_shm_lock(sqlite3_file *file, int offset, int n, int flags)
{
	return REAL(file)->pMethods->xShmLock(REAL(file), offset, n, flags);
}

static void w_shm_barrier(sqlite3_file *file)
{
	REAL(file)->pMethods->xShmBarrier(REAL(file));
}

static int w_shm_unmap(sqlite3_file *file, int delete_flag)
{
	return REAL(file)->pMethods->xShmUnmap(REAL(file), delete_flag);
}

static int w_unfetch(sqlite3_file *file, sqlite3_int64 off, void *p)
{
	return REAL(file)->pMethods->xUnfetch(REAL(file), off, p);
}

static const sqlite3_io_methods WAL_METHODS = {
	.iVersion = 3,
	.xClose = w_close,
	.xRead = w_read,
	.xWrite = w_write,
	.xTruncate = w_truncate,
	.xSync = w_sync,
	.xFileSize = w_file_size,
	.xLock = w_lock,
	.xUnlock = w_unlock,
	.xCheckReservedLock = w_check_reserved,
	.xFileControl = w_file_control,
	.xSectorSize = w_sector_size,
	.xDeviceCharacteristics = w_device,
	.xShmMap = w_shm_map,
	.xShmLock = w_shm_lock,
	.xShmBarrier = w_shm_barrier,
	.xShmUnmap = w_shm_unmap,
	.xFetch = w_fetch,
	.xUnfetch = w_unfetch,
};

/* ---- the VFS: every call but xOpen goes to the default VFS as it is ------------------- */

static int v_open(sqlite3_vfs *vfs, sqlite3_filename name, sqlite3_file *file, int flags, int *out)
{
	struct walbuf_file *f = (struct walbuf_file *)file;
	int rc;

	(void)vfs;
	if (!(flags & SQLITE_OPEN_WAL))
		return base_vfs->xOpen(base_vfs, name, file, flags, out);
	memset(f, 0, sizeof(*f));
	f->real = (sqlite3_file *)(f + 1);
	rc = base_vfs->xOpen(base_vfs, name, f->real, flags, out);
	if (rc == SQLITE_OK)
		f->base.pMethods = &WAL_METHODS;
	return rc; /* on failure pMethods stays NULL: SQLite will not close the file */
}

static int v_delete(sqlite3_vfs *vfs, const char *name, int sync_dir)
{
	(void)vfs;
	return base_vfs->xDelete(base_vfs, name, sync_dir);
}

static int v_access(sqlite3_vfs *vfs, const char *name, int flags, int *out)
{
	(void)vfs;
	return base_vfs->xAccess(base_vfs, name, flags, out);
}

static int v_full_pathname(sqlite3_vfs *vfs, const char *name, int n, char *out)
{
	(void)vfs;
	return base_vfs->xFullPathname(base_vfs, name, n, out);
}

static int v_randomness(sqlite3_vfs *vfs, int n, char *out)
{
	(void)vfs;
	return base_vfs->xRandomness(base_vfs, n, out);
}

static int v_sleep(sqlite3_vfs *vfs, int us)
{
	(void)vfs;
	return base_vfs->xSleep(base_vfs, us);
}

static int v_current_time(sqlite3_vfs *vfs, double *out)
{
	(void)vfs;
	return base_vfs->xCurrentTime(base_vfs, out);
}

static int v_last_error(sqlite3_vfs *vfs, int n, char *out)
{
	(void)vfs;
	return base_vfs->xGetLastError(base_vfs, n, out);
}

static int v_current_time64(sqlite3_vfs *vfs, sqlite3_int64 *out)
{
	(void)vfs;
	return base_vfs->xCurrentTimeInt64(base_vfs, out);
}

static void register_once(void)
{
	base_vfs = sqlite3_vfs_find(NULL);
	if (!base_vfs || base_vfs->iVersion < 2 || !base_vfs->xCurrentTimeInt64)
		return;
	walbuf_vfs = (sqlite3_vfs){
		.iVersion = 2,
		.szOsFile = (int)sizeof(struct walbuf_file) + base_vfs->szOsFile,
		.mxPathname = base_vfs->mxPathname,
		.zName = WALBUF_VFS,
		.xOpen = v_open,
		.xDelete = v_delete,
		.xAccess = v_access,
		.xFullPathname = v_full_pathname,
		.xRandomness = v_randomness,
		.xSleep = v_sleep,
		.xCurrentTime = v_current_time,
		.xGetLastError = v_last_error,
		.xCurrentTimeInt64 = v_current_time64,
	};
	register_rc = sqlite3_vfs_register(&walbuf_vfs, 0);
}

int walbuf_register(void)
{
	pthread_once(&once, register_once);
	return register_rc;
}

uint64_t walbuf_writes(void)
{
	return atomic_load(&writes);
}
