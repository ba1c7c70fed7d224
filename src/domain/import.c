/* CSV imports; see import.h. */
#include "domain/import.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/fields.h"
#include "domain/studio.h"
#include "domain/university.h"
#include "domain/user.h"

void import_result_init(struct import_result *res)
{
	memset(res, 0, sizeof(*res));
	res->errors = json_array();
	res->accounts = json_array();
}

void import_result_free(struct import_result *res)
{
	json_decref(res->errors);
	json_decref(res->accounts);
	res->errors = res->accounts = NULL;
}

static void row_error(struct import_result *res, const struct csv_table *t, size_t row,
		      const struct error *e)
{
	json_array_append_new(res->errors,
			      json_pack("{s:I, s:s, s:s}", "row", (json_int_t)t->rows[row].line,
					"field", e->field[0] ? e->field : "", "message",
					e->message));
}

/* Errors name the CSV column the department edits, not the API field behind it. */
static void rename_field(struct error *e, const char *const (*map)[2])
{
	for (size_t i = 0; map[i][0]; i++) {
		if (!strcmp(e->field, map[i][0])) {
			snprintf(e->field, sizeof(e->field), "%s", map[i][1]);
			return;
		}
	}
}

/* ---- columns ------------------------------------------------------------------------- */

/* A CSV column: its header, whether it must be present, and the JSON field of the resource's
 * field table it fills (NULL: the row function reads it itself). */
struct column {
	const char *name;
	bool required;
	const char *field;
};

/* Every header must be known and every required one present; fills idx. */
static enum err map_columns(const struct csv_table *t, const struct column *cols, int *idx,
			    struct error *e)
{
	for (size_t h = 0; h < t->rows[0].n; h++) {
		size_t c = 0;

		for (size_t k = 0; k < h; k++) {
			if (!strcasecmp(t->rows[0].cells[k], t->rows[0].cells[h]))
				return error_set(e, ERR_INVALID, "csv",
						 "column '%.40s' appears twice",
						 t->rows[0].cells[h]);
		}
		while (cols[c].name && strcasecmp(cols[c].name, t->rows[0].cells[h]))
			c++;
		if (!cols[c].name)
			return error_set(e, ERR_INVALID, "csv", "unknown column '%.40s'",
					 t->rows[0].cells[h]);
	}
	for (size_t c = 0; cols[c].name; c++) {
		idx[c] = csv_column(t, cols[c].name);
		if (cols[c].required && idx[c] < 0)
			return error_set(e, ERR_INVALID, "csv", "missing column '%s'",
					 cols[c].name);
	}
	return ERR_OK;
}

/* A JSON object of the row's non-empty cells under their field names, typed by spec: integer
 * fields become integers when the cell is one (else stay text, so the field check names
 * them). */
static json_t *row_object(const struct csv_table *t, size_t r, const struct column *cols,
			  const int *idx, const struct field *spec)
{
	json_t *o = json_object();

	for (size_t c = 0; cols[c].name; c++) {
		const char *v = csv_cell(t, r, idx[c]);
		const char *key = cols[c].field;
		const struct field *f;
		char *end;
		long long n;

		if (!key || !v[0])
			continue;
		f = fields_find(spec, key);
		n = strtoll(v, &end, 10);
		if (f && f->type == F_INT && !*end)
			json_object_set_new(o, key, json_integer(n));
		else
			json_object_set_new(o, key, json_string(v));
	}
	return o;
}

static void add_account(struct import_result *res, const struct user *u, const char *plain)
{
	json_array_append_new(res->accounts, json_pack("{s:s, s:s, s:s}", "username", u->username,
						       "name", u->name, "initial_password", plain));
	res->users++;
}

static enum err university_by_code_or_row(struct db *db, const char *code, int64_t *id,
					  struct error *e)
{
	struct university v;

	if (!code[0])
		return ERR_OK;
	if (university_by_code(db, code, &v) != ERR_OK)
		return error_set(e, ERR_INVALID, "university_code", "no university with code %s",
				 code);
	*id = v.id;
	return ERR_OK;
}

/* ---- users.csv ----------------------------------------------------------------------- */

static const struct column USER_COLUMNS[] = {
	{ "username", true, "username" }, { "name", true, "name" },
	{ "role", true, "role" },	  { "university_code", false, NULL },
	{ "title", false, "title" },	  { "phone", false, "phone" },
	{ "email", false, "email" },	  { NULL, false, NULL },
};

static enum err user_row(struct db *db, const struct csv_table *t, size_t r, const int *idx,
			 const struct import_secrets *sec, int64_t actor, struct import_result *res,
			 struct error *e)
{
	json_t *o = row_object(t, r, USER_COLUMNS, idx, USER_FIELDS);
	struct user u;
	uint64_t set;
	enum err rc;

	memset(&u, 0, sizeof(u));
	rc = fields_parse(o, USER_FIELDS, &u, &set, true, e);
	json_decref(o);
	if (rc != ERR_OK)
		return rc;
	if (university_by_code_or_row(db, csv_cell(t, r, idx[3]), &u.university_id, e) != ERR_OK)
		return e->err;
	snprintf(u.password_hash, sizeof(u.password_hash), "%s", sec->hash[r - 1]);
	u.must_change_password = true;
	if (user_insert(db, &u, actor, e) != ERR_OK) {
		static const char *const MAP[][2] = { { "university_id", "university_code" },
						      { NULL, NULL } };

		rename_field(e, MAP);
		return e->err;
	}
	add_account(res, &u, sec->plain[r - 1]);
	return ERR_OK;
}

static enum err run_rows(struct db *db, const struct csv_table *t, const int *idx,
			 const struct import_secrets *sec, int64_t actor, bool dry_run,
			 struct import_result *res,
			 enum err (*row)(struct db *, const struct csv_table *, size_t, const int *,
					 const struct import_secrets *, int64_t,
					 struct import_result *, struct error *))
{
	struct error e;

	res->rows = (int)t->nrows - 1;
	if (sec->n < t->nrows - 1)
		return ERR_INTERNAL;
	/* Each row in its own savepoint: a failed row leaves nothing behind for later rows to
	 * see, so a dry run reports what a real import would. */
	for (size_t r = 1; r < t->nrows; r++) {
		struct import_result before = *res;
		size_t accounts = json_array_size(res->accounts);

		error_clear(&e);
		if (t->rows[r].n > t->rows[0].n) {
			error_set(&e, ERR_INVALID, "csv", "the row has more cells than the header");
			row_error(res, t, r, &e);
			continue;
		}
		if (db_exec(db, "SAVEPOINT import_row;") != SQLITE_OK)
			return ERR_DB;
		if (row(db, t, r, idx, sec, actor, res, &e) != ERR_OK) {
			row_error(res, t, r, &e);
			db_exec(db, "ROLLBACK TO import_row;");
			/* what the failed row created is gone: so are its counts and accounts */
			res->users = before.users;
			res->studios = before.studios;
			res->universities = before.universities;
			while (json_array_size(res->accounts) > accounts)
				json_array_remove(res->accounts,
						  json_array_size(res->accounts) - 1);
		}
		db_exec(db, "RELEASE import_row;");
	}
	return json_array_size(res->errors) == 0 && !dry_run ? ERR_OK : ERR_INVALID;
}

enum err import_users(struct db *db, const struct csv_table *t, const struct import_secrets *sec,
		      int64_t actor, bool dry_run, struct import_result *res, struct error *e)
{
	int idx[8];

	if (map_columns(t, USER_COLUMNS, idx, e) != ERR_OK)
		return e->err;
	return run_rows(db, t, idx, sec, actor, dry_run, res, user_row);
}

/* ---- studios.csv --------------------------------------------------------------------- */

enum {
	C_NAME,
	C_DISCIPLINE,
	C_LEVEL,
	C_ESTABLISHED,
	C_CYCLE,
	C_MAX,
	C_INTRO,
	C_UNI_CODE,
	C_UNI_NAME,
	C_MASTER,
	C_MASTER_NAME,
	C_MASTER_TITLE,
	C_MASTER_PHONE,
	C_MASTER_EMAIL
};

static const struct column STUDIO_COLUMNS[] = {
	{ "name", true, "name" },
	{ "discipline", true, "discipline" },
	{ "level", false, "level" },
	{ "established_on", true, "established_on" },
	{ "cycle", false, "cycle" },
	{ "max_members", false, "max_members" },
	{ "introduction", false, "introduction" },
	{ "university_code", true, NULL },
	{ "university_name", false, NULL },
	{ "master_username", true, NULL },
	{ "master_name", false, NULL },
	{ "master_title", false, NULL },
	{ "master_phone", false, NULL },
	{ "master_email", false, NULL },
	{ NULL, false, NULL },
};

/* The row's university: an existing one by code (its name must agree when given), or a new
 * one when the row names it. */
static enum err row_university(struct db *db, const struct csv_table *t, size_t r, const int *idx,
			       int64_t actor, struct import_result *res, int64_t *id,
			       struct error *e)
{
	const char *code = csv_cell(t, r, idx[C_UNI_CODE]), *name = csv_cell(t, r, idx[C_UNI_NAME]);
	struct university v;

	if (university_by_code(db, code, &v) == ERR_OK) {
		if (name[0] && strcmp(name, v.name))
			return error_set(e, ERR_INVALID, "university_name", "code %s is %s, not %s",
					 code, v.name, name);
		*id = v.id;
		return ERR_OK;
	}
	if (!name[0])
		return error_set(e, ERR_INVALID, "university_name",
				 "university %s is new: give its university_name", code);
	memset(&v, 0, sizeof(v));
	snprintf(v.code, sizeof(v.code), "%s", code);
	snprintf(v.name, sizeof(v.name), "%s", name);
	if (strlen(code) > 20 || university_insert(db, &v, actor, e) != ERR_OK)
		return e->err ? e->err
			      : error_set(e, ERR_INVALID, "university_code", "code too long");
	res->universities++;
	*id = v.id;
	return ERR_OK;
}

/* The row's master: an existing master by username, or a new one (master_name needed). */
static enum err row_master(struct db *db, const struct csv_table *t, size_t r, const int *idx,
			   const struct import_secrets *sec, int64_t uni, int64_t actor,
			   struct import_result *res, int64_t *id, struct error *e)
{
	const char *username = csv_cell(t, r, idx[C_MASTER]);
	struct user u;

	if (user_by_username(db, username, &u) == ERR_OK) {
		if (u.role != ROLE_MASTER)
			return error_set(e, ERR_INVALID, "master_username",
					 "%s is a %s, not a master", username, role_name(u.role));
		*id = u.id;
		return ERR_OK;
	}
	memset(&u, 0, sizeof(u));
	if (!csv_cell(t, r, idx[C_MASTER_NAME])[0])
		return error_set(e, ERR_INVALID, "master_name",
				 "master %s is new: give master_name", username);
	snprintf(u.username, sizeof(u.username), "%s", username);
	snprintf(u.name, sizeof(u.name), "%s", csv_cell(t, r, idx[C_MASTER_NAME]));
	snprintf(u.title, sizeof(u.title), "%s", csv_cell(t, r, idx[C_MASTER_TITLE]));
	snprintf(u.phone, sizeof(u.phone), "%s", csv_cell(t, r, idx[C_MASTER_PHONE]));
	snprintf(u.email, sizeof(u.email), "%s", csv_cell(t, r, idx[C_MASTER_EMAIL]));
	u.role = ROLE_MASTER;
	u.university_id = uni;
	u.must_change_password = true;
	snprintf(u.password_hash, sizeof(u.password_hash), "%s", sec->hash[r - 1]);
	if (strlen(username) > USERNAME_MAX)
		return error_set(e, ERR_INVALID, "master_username", "master_username is too long");
	if (user_insert(db, &u, actor, e) != ERR_OK) {
		static const char *const MAP[][2] = { { "username", "master_username" },
						      { "name", "master_name" },
						      { "title", "master_title" },
						      { "phone", "master_phone" },
						      { "email", "master_email" },
						      { "university_id", "university_code" },
						      { NULL, NULL } };

		rename_field(e, MAP);
		return e->err;
	}
	add_account(res, &u, sec->plain[r - 1]);
	*id = u.id;
	return ERR_OK;
}

static enum err studio_row(struct db *db, const struct csv_table *t, size_t r, const int *idx,
			   const struct import_secrets *sec, int64_t actor,
			   struct import_result *res, struct error *e)
{
	json_t *o = row_object(t, r, STUDIO_COLUMNS, idx, STUDIO_FIELDS);
	struct studio *s = malloc(sizeof(*s));
	uint64_t set;
	enum err rc = s ? ERR_OK : error_set(e, ERR_NOMEM, NULL, NULL);

	if (rc == ERR_OK) {
		studio_defaults(s);
		json_object_set_new(o, "master_id", json_integer(1));	  /* placeholders: */
		json_object_set_new(o, "university_id", json_integer(1)); /* resolved below */
		rc = fields_parse(o, STUDIO_FIELDS, s, &set, true, e);
	}
	if (rc == ERR_OK)
		rc = row_university(db, t, r, idx, actor, res, &s->university_id, e);
	if (rc == ERR_OK)
		rc = row_master(db, t, r, idx, sec, s->university_id, actor, res, &s->master_id, e);
	if (rc == ERR_OK && studio_insert(db, s, actor, e) != ERR_OK) {
		static const char *const MAP[][2] = { { "master_id", "master_username" },
						      { "university_id", "university_code" },
						      { NULL, NULL } };

		rename_field(e, MAP);
		rc = e->err;
	}
	if (rc == ERR_OK)
		res->studios++;
	json_decref(o);
	free(s);
	return rc;
}

enum err import_studios(struct db *db, const struct csv_table *t, const struct import_secrets *sec,
			int64_t actor, bool dry_run, struct import_result *res, struct error *e)
{
	int idx[16];

	if (map_columns(t, STUDIO_COLUMNS, idx, e) != ERR_OK)
		return e->err;
	return run_rows(db, t, idx, sec, actor, dry_run, res, studio_row);
}
