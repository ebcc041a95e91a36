/* store_db: the small SQL interface the store's two backends implement.
 *
 * Internal to store/store*.c.  The store writes every query once, in the
 * SQL subset SQLite 3.40 and PostgreSQL 15 share (placeholders $1..$n,
 * BIGINT, TEXT, RETURNING, ON CONFLICT); a backend only moves values in and
 * out.  Results are copied into a struct db_res owned by the caller
 * (db_res_free), every cell NUL-terminated, so nothing points into a
 * backend's buffers after the call. */
#ifndef EPOXY_STORE_DB_H
#define EPOXY_STORE_DB_H

#include <stddef.h>
#include <stdint.h>

#include "store/store.h"

#define DB_ARGS_MAX   24      /* placeholders in one query */
#define DB_CELLS_MAX  4000000 /* cells in one result (rows * columns) */

enum db_type { DB_NULL, DB_INT, DB_TEXT, DB_BLOB };

struct db_arg {
	enum db_type t;
	int64_t i;
	const void *p;      /* TEXT: NUL-terminated; BLOB: len bytes */
	size_t len;
};

#define A_INT(v)      ((struct db_arg){ .t = DB_INT, .i = (int64_t)(v) })
#define A_TEXT(v)     ((struct db_arg){ .t = DB_TEXT, .p = (v) })
#define A_BLOB(v, n)  ((struct db_arg){ .t = DB_BLOB, .p = (v), .len = (n) })
#define A_NULL        ((struct db_arg){ .t = DB_NULL })
/* NULL-able text: a NULL pointer becomes SQL NULL */
#define A_OPT(v)      ((v) ? A_TEXT(v) : A_NULL)

struct db_cell {
	int null;
	size_t len;
	char *p;            /* malloc'd, len bytes + NUL; NULL when null */
};

struct db_res {
	size_t nrows, ncols;
	struct db_cell *cells;  /* nrows * ncols */
	uint64_t changes;       /* rows changed by INSERT/UPDATE/DELETE */
	size_t cap_rows;        /* rows allocated (backends growing a result) */
};

struct db_ops {
	const char *name;
	/* connects; conninfo is the URI after "sqlite:" / "postgres:" */
	int (*open)(void **conn, const char *conninfo);
	void (*close)(void *conn);
	/* runs one statement; res may be NULL.  Errors: -EPX_E_DB_QUERY,
	 * -EPX_E_DB_BUSY, -EPX_E_DB_EXISTS (unique violation). */
	int (*query)(void *conn, const char *sql, const struct db_arg *args,
		     size_t nargs, struct db_res *res);
	/* starts a write transaction that serialises with other writers of
	 * the same store as far as the backend needs (SQLite: BEGIN IMMEDIATE) */
	const char *begin_sql;
	/* taken inside a write transaction before appending to the audit
	 * chain or migrating (PostgreSQL: an advisory transaction lock) */
	const char *audit_lock_sql;
	const char *migrate_lock_sql;
	/* one row if table $1 exists (read-only, never an error) */
	const char *has_table_sql;
	/* schema spelling: binary column type, auto-increment key */
	const char *blob_type;
	const char *serial_type;
};

extern const struct db_ops store_sqlite_ops;
extern const struct db_ops store_pg_ops;  /* absent when not built: see store.mk */
extern const int store_pg_built;

void db_res_free(struct db_res *r);
/* cell accessors: NULL/empty-safe */
const char *db_text(const struct db_res *r, size_t row, size_t col);
int64_t db_int(const struct db_res *r, size_t row, size_t col);
int db_isnull(const struct db_res *r, size_t row, size_t col);
size_t db_len(const struct db_res *r, size_t row, size_t col);
/* allocates the cell table of a result (backends use it) */
int db_res_alloc(struct db_res *r, size_t nrows, size_t ncols);
int db_cell_set(struct db_cell *c, const void *p, size_t len);

/* The connection behind the opaque struct store. */
struct store {
	const struct db_ops *ops;
	void *conn;
	int64_t (*now)(void *arg);
	void *now_arg;
};

/* One statement through the backend: Q(s, sql, &res, A_TEXT(x), ...) */
int st_q(struct store *s, const char *sql, const struct db_arg *a, size_t n,
	 struct db_res *res);
#define Q(s, sql, res, ...) st_q((s), (sql), (const struct db_arg[]){ __VA_ARGS__ }, \
	sizeof((const struct db_arg[]){ __VA_ARGS__ }) / sizeof(struct db_arg), (res))
#define Q0(s, sql, res) st_q((s), (sql), NULL, 0, (res))
/* write transaction: st_end commits when rc == 0, else rolls back; returns
 * rc or the commit's failure */
int st_begin(struct store *s);
int st_end(struct store *s, int rc);
/* bounded copy that always terminates dst (cap = sizeof dst) */
void st_copy(char *dst, size_t cap, const char *src);
/* audit append inside an already open write transaction */
int st_audit_locked(struct store *s, const char *actor, const char *action,
		    const char *subject, const char *detail);
/* printable ASCII (0x20..0x7e), at most max bytes */
int st_valid_text(const char *t, size_t max);
/* fresh secret: raw bytes to hex, hash hex of the raw bytes */
int st_secret_new(char hex[STORE_TOKEN_HEX + 1], char hash[STORE_HASH_HEX + 1]);
/* hash hex of a presented hex secret; -EINVAL if not 64 hex digits */
int st_secret_hash(const char *hex, char hash[STORE_HASH_HEX + 1]);

/* the version a rollout in progress moved host to; *v unchanged when none
 * did (store/store_rollout.c, for store_host_release) */
int st_rollout_version(struct store *s, const char *host, const char *channel, uint32_t *v);

/* migrations (store/migrations/schema.c): statement lists per version,
 * with "{blob}" and "{serial}" spelled by the backend */
struct store_migration {
	int version;
	const char *const *stmts;   /* NULL-terminated */
};
extern const struct store_migration store_migrations[];
extern const size_t store_migrations_n;

#endif
