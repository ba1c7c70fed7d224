/* A write on behalf of a request: the handler validates, then api_write() holds the request
 * and queues run() on the writer; when it has committed (or failed), done() runs on the
 * service thread to answer, and the request is released. If the client has gone, done() is
 * skipped and only the payload is freed. */
#ifndef MINGSHI_API_JOB_H
#define MINGSHI_API_JOB_H

#include "api/req.h"
#include "core/db.h"

struct api_job {
	struct req *r;
	int64_t actor;	  /* the signed-in user (for the audit log) */
	struct error err; /* run() fills it on failure */
	void *data;	  /* the handler's payload, freed with free_data (may be NULL) */
	void (*free_data)(void *data);
	enum err (*run)(struct db *db, struct api_job *j); /* writer thread */
	void (*done)(struct api_job *j, enum err result);  /* service thread */
};

/* Queues the job. Takes ownership of data (freed with free_data, or free() when NULL). On
 * failure to queue, replies 503/500 at once. */
void api_write(struct req *r, void *data, void (*free_data)(void *data),
	       enum err (*run)(struct db *db, struct api_job *j),
	       void (*done)(struct api_job *j, enum err result));

/* The common done(): on failure reply with j->err (or the bare result), else call ok(j). */
void api_reply_result(struct api_job *j, enum err result);

#endif
