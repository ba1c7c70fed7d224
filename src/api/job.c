/* Writer jobs for requests; see job.h. */
#include "api/job.h"

#include <stdlib.h>

#include "core/log.h"

static enum err job_run(struct db *db, void *arg)
{
	struct api_job *j = arg;
	enum err r = j->run(db, j);

	if (r != ERR_OK && j->err.err == ERR_OK)
		error_set(&j->err, r, NULL, NULL);
	return r;
}

static void job_free(struct api_job *j)
{
	if (j->free_data)
		j->free_data(j->data);
	else
		free(j->data);
	free(j);
}

static void job_done(void *arg, enum err result)
{
	struct api_job *j = arg;
	struct req *r = j->r;

	if (!req_gone(r))
		j->done(j, result);
	job_free(j);
	req_release(r);
}

void api_write(struct req *r, void *data, void (*free_data)(void *data),
	       enum err (*run)(struct db *db, struct api_job *j),
	       void (*done)(struct api_job *j, enum err result))
{
	struct api_job *j = calloc(1, sizeof(*j));
	enum err e;

	if (!j) {
		if (free_data)
			free_data(data);
		else
			free(data);
		reply_err(r, ERR_NOMEM, NULL, NULL);
		return;
	}
	j->r = r;
	j->actor = r->user.id;
	j->data = data;
	j->free_data = free_data;
	j->run = run;
	j->done = done;
	req_hold(r);
	e = writer_submit(&r->app->writer, job_run, job_done, j);
	if (e != ERR_OK) {
		reply_err(r, e, NULL, NULL);
		job_free(j);
		req_release(r);
	}
}

void api_reply_result(struct api_job *j, enum err result)
{
	if (j->err.err == ERR_OK)
		error_set(&j->err, result, NULL, NULL);
	if (j->err.err >= ERR_INTERNAL)
		log_error("%s %s: %s", j->r->route ? j->r->route : "?", err_code(&j->err),
			  j->err.message);
	reply_error(j->r, &j->err);
}
