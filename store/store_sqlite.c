/* store_sqlite: the embedded SQLite backend of the store.
 *
 * Guarantees: every connection runs in WAL mode with synchronous=FULL (a
 * commit is on disk before the call returns, so an acknowledged redemption
 * survives a crash) and a busy_timeout of STORE_BUSY_MS; the database file
 * is created mode 0600.  Prepared statements are cached per connection.
 * Writers queue on a blocking open-file-description lock of "<db>-wlock"
 * (a write transaction holds it from BEGIN to COMMIT/ROLLBACK, an
 * autocommit write for its one statement), one per connection, so threads
 * and processes sleep in the kernel until the writer before them is done
 * instead of polling SQLite's busy handler, where a waiter can starve past
 * busy_timeout under a steady stream of commits from others.
 * Error texts printed to stderr never contain bound values. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sqlite3.h>

#include "lib/err.h"
#include "store/store_db.h"

#define SQ_CACHE 64

struct sq_conn {
	sqlite3 *db;
	int lockfd;             /* "<db>-wlock", -1 for :memory: */
	int holding;            /* this connection holds the write lock (in a tx) */
	sqlite3_stmt *cache[SQ_CACHE];
	const char *cache_key[SQ_CACHE];
	unsigned next;
};

static int store_sqlite_rc(struct sq_conn *c, int rc)
{
	switch (rc & 0xff) {
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		return -EPX_E_DB_BUSY;
	case SQLITE_CONSTRAINT:
		if (rc == SQLITE_CONSTRAINT_PRIMARYKEY || rc == SQLITE_CONSTRAINT_UNIQUE)
			return -EPX_E_DB_EXISTS;
		break;
	case SQLITE_NOMEM:
		return -ENOMEM;
	default:
		break;
	}
	fprintf(stderr, "store: sqlite: %s\n", sqlite3_errmsg(c->db));
	return -EPX_E_DB_QUERY;
}

/* Blocking writer lock; EINTR is retried.  Without a lock file (":memory:"),
 * nothing to share, nothing to do. */
static int store_sqlite_wlock(struct sq_conn *c, int lock)
{
	struct flock fl = { .l_type = (short)(lock ? F_WRLCK : F_UNLCK),
			    .l_whence = SEEK_SET, .l_start = 0, .l_len = 1 };

	if (c->lockfd < 0)
		return 0;
	while (fcntl(c->lockfd, F_OFD_SETLKW, &fl) < 0)
		if (errno != EINTR)
			return -EPX_E_DB_BUSY;
	return 0;
}

static int store_sqlite_exec(struct sq_conn *c, const char *sql)
{
	int rc = sqlite3_exec(c->db, sql, NULL, NULL, NULL);

	return rc == SQLITE_OK ? 0 : store_sqlite_rc(c, rc);
}

static void store_sqlite_close(void *conn)
{
	struct sq_conn *c = conn;
	unsigned i;

	if (!c)
		return;
	for (i = 0; i < SQ_CACHE; i++)
		sqlite3_finalize(c->cache[i]);
	sqlite3_close(c->db);   /* rolls back an open transaction */
	if (c->lockfd >= 0)
		close(c->lockfd);   /* drops the OFD lock, if held */
	free(c);
}

static int store_sqlite_create_private(const char *path)
{
	int fd;

	/* close() of any fd of the database file drops every POSIX lock this
	 * process holds on it, including those of open connections (another
	 * process may then think it is the last and delete the live WAL), so
	 * never open/close an existing database file behind SQLite's back */
	if (access(path, F_OK) == 0)
		return 0;
	fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0)
		return errno == EEXIST ? 0 : -errno;
	close(fd);
	return 0;
}

/* As root, give the lock file the database's owner (as SQLite does for its
 * -wal and -shm), so a server that later runs as that user can open it. */
static void store_sqlite_lock_owner(int fd, const char *path)
{
	struct stat st;

	if (geteuid() == 0 && stat(path, &st) == 0 && fchown(fd, st.st_uid, st.st_gid) < 0)
		fprintf(stderr, "store: sqlite: cannot chown %s-wlock: %s\n", path,
			strerror(errno));
}

static int store_sqlite_open(void **out, const char *path)
{
	static const char *const pragmas[] = {
		"PRAGMA journal_mode=WAL",
		"PRAGMA synchronous=FULL",
		"PRAGMA foreign_keys=OFF",
		NULL
	};
	struct sq_conn *c;
	int rc = -EPX_E_DB_OPEN;
	size_t i;

	*out = NULL;
	/* ":memory:" (tests, fuzzing): a private database per connection */
	if (!*path)
		return -EPX_E_DB_OPEN;
	if (strcmp(path, ":memory:") && (rc = store_sqlite_create_private(path)) < 0) {
		fprintf(stderr, "store: sqlite: cannot create %s: %s\n", path, strerror(-rc));
		return -EPX_E_DB_OPEN;
	}
	rc = -EPX_E_DB_OPEN;
	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->lockfd = -1;
	if (strcmp(path, ":memory:")) {
		char lp[4200];

		if (snprintf(lp, sizeof(lp), "%s-wlock", path) >= (int)sizeof(lp))
			goto fail;
		c->lockfd = open(lp, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
		if (c->lockfd < 0) {
			fprintf(stderr, "store: sqlite: cannot open %s: %s\n", lp, strerror(errno));
			goto fail;
		}
		store_sqlite_lock_owner(c->lockfd, path);
	}
	if (sqlite3_open_v2(path, &c->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_FULLMUTEX,
			    NULL) != SQLITE_OK) {
		fprintf(stderr, "store: sqlite: %s: %s\n", path,
			c->db ? sqlite3_errmsg(c->db) : "out of memory");
		goto fail;
	}
	sqlite3_busy_timeout(c->db, STORE_BUSY_MS);
	sqlite3_extended_result_codes(c->db, 1);
	for (i = 0; pragmas[i]; i++)
		if (store_sqlite_exec(c, pragmas[i]) < 0)
			goto fail;
	*out = c;
	return 0;
fail:
	store_sqlite_close(c);
	return rc;
}

/* Cached prepare: the key is the SQL pointer, confirmed by comparing text,
 * so a reused buffer with other SQL never gets a stale statement. */
static int store_sqlite_prepare(struct sq_conn *c, const char *sql, sqlite3_stmt **st)
{
	unsigned i, slot;
	int rc;

	for (i = 0; i < SQ_CACHE; i++)
		if (c->cache_key[i] == sql && c->cache[i] &&
		    strcmp(sqlite3_sql(c->cache[i]), sql) == 0) {
			*st = c->cache[i];
			return 0;
		}
	slot = c->next++ % SQ_CACHE;
	sqlite3_finalize(c->cache[slot]);
	c->cache[slot] = NULL;
	c->cache_key[slot] = NULL;
	rc = sqlite3_prepare_v2(c->db, sql, -1, st, NULL);
	if (rc != SQLITE_OK)
		return store_sqlite_rc(c, rc);
	c->cache[slot] = *st;
	c->cache_key[slot] = sql;
	return 0;
}

static int store_sqlite_bind(struct sq_conn *c, sqlite3_stmt *st, const struct db_arg *a, size_t n)
{
	char name[8];
	size_t i;
	int idx, rc;

	if ((size_t)sqlite3_bind_parameter_count(st) > n)
		return -EINVAL;
	for (i = 0; i < n; i++) {
		snprintf(name, sizeof(name), "$%zu", i + 1);
		idx = sqlite3_bind_parameter_index(st, name);
		if (idx == 0)
			continue;
		switch (a[i].t) {
		case DB_INT:
			rc = sqlite3_bind_int64(st, idx, a[i].i);
			break;
		case DB_TEXT:
			rc = sqlite3_bind_text(st, idx, a[i].p, -1, SQLITE_STATIC);
			break;
		case DB_BLOB:
			rc = sqlite3_bind_blob64(st, idx, a[i].len ? a[i].p : "",
						 a[i].len, SQLITE_STATIC);
			break;
		default:
			rc = sqlite3_bind_null(st, idx);
			break;
		}
		if (rc != SQLITE_OK)
			return store_sqlite_rc(c, rc);
	}
	return 0;
}

static int store_sqlite_row(sqlite3_stmt *st, struct db_res *res)
{
	size_t ncols = (size_t)sqlite3_column_count(st), j, rows;
	struct db_cell *cells;
	const void *p;

	if (res->nrows == 0 && res->ncols == 0)
		res->ncols = ncols;
	if ((res->nrows + 1) * ncols > DB_CELLS_MAX)
		return -EPX_E_DB_TOOBIG;
	if (res->nrows == res->cap_rows) {	/* grow geometrically */
		rows = res->cap_rows ? 2 * res->cap_rows : 16;
		cells = realloc(res->cells, rows * ncols * sizeof(*cells) + 1);
		if (!cells)
			return -ENOMEM;
		res->cells = cells;
		res->cap_rows = rows;
	}
	cells = res->cells + res->nrows * ncols;
	memset(cells, 0, ncols * sizeof(*cells));
	res->nrows++;
	for (j = 0; j < ncols; j++) {
		int t = sqlite3_column_type(st, (int)j);

		if (t == SQLITE_NULL) {
			cells[j].null = 1;
			continue;
		}
		p = t == SQLITE_BLOB ? sqlite3_column_blob(st, (int)j)
				     : (const void *)sqlite3_column_text(st, (int)j);
		if (db_cell_set(&cells[j], p, (size_t)sqlite3_column_bytes(st, (int)j)) < 0)
			return -ENOMEM;
	}
	return 0;
}

static int store_sqlite_query(void *conn, const char *sql, const struct db_arg *args,
		    size_t nargs, struct db_res *res)
{
	struct sq_conn *c = conn;
	struct db_res tmp = { 0 };
	sqlite3_stmt *st = NULL;
	int rc = -EPX_E_DB_QUERY, s, lock_tx = 0, lock_stmt = 0, end_tx = 0;

	if (nargs > DB_ARGS_MAX)
		return -EINVAL;
	rc = store_sqlite_prepare(c, sql, &st);
	if (rc < 0)
		return rc;
	if (strncmp(sql, "BEGIN", 5) == 0)
		lock_tx = !c->holding;
	else if (!strcmp(sql, "COMMIT") || !strcmp(sql, "ROLLBACK"))
		end_tx = 1;
	else if (!c->holding && !sqlite3_stmt_readonly(st))
		lock_stmt = 1;
	if ((lock_tx || lock_stmt) && store_sqlite_wlock(c, 1) < 0)
		return -EPX_E_DB_BUSY;
	if (lock_tx)
		c->holding = 1;
	rc = store_sqlite_bind(c, st, args, nargs);
	if (rc < 0)
		goto out;
	while ((s = sqlite3_step(st)) == SQLITE_ROW) {
		rc = store_sqlite_row(st, &tmp);
		if (rc < 0)
			goto out;
	}
	if (s != SQLITE_DONE) {
		rc = store_sqlite_rc(c, s);
		goto out;
	}
	tmp.changes = (uint64_t)sqlite3_changes64(c->db);
	rc = 0;
out:
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	if (lock_stmt)
		store_sqlite_wlock(c, 0);
	/* a failed BEGIN, or the end of the transaction, releases the lock */
	if (c->holding && ((lock_tx && rc < 0) || (end_tx && sqlite3_get_autocommit(c->db)))) {
		c->holding = 0;
		store_sqlite_wlock(c, 0);
	}
	if (rc == 0 && res)
		*res = tmp;
	else
		db_res_free(&tmp);
	return rc;
}

const struct db_ops store_sqlite_ops = {
	.name = "sqlite",
	.open = store_sqlite_open,
	.close = store_sqlite_close,
	.query = store_sqlite_query,
	.begin_sql = "BEGIN IMMEDIATE",
	.has_table_sql = "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = $1",
	.audit_lock_sql = NULL,
	.migrate_lock_sql = NULL,
	.blob_type = "BLOB",
	.serial_type = "INTEGER PRIMARY KEY AUTOINCREMENT",
};
