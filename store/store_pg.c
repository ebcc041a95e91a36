/* store_pg: the PostgreSQL backend of the store (libpq), so several epoxyd
 * processes share one store.
 *
 * Guarantees: one libpq connection per struct store; statements are
 * prepared once per connection; a lost connection is re-established at the
 * next call; one lost while no transaction was open is re-established and
 * the statement retried once (a redemption that
 * did commit before the loss is then refused as "used", never accepted
 * twice); unique violations map to -EPX_E_DB_EXISTS, serialisation and
 * lock failures to -EPX_E_DB_BUSY.  Error texts printed to stderr carry the
 * server's primary message only, never bound values. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "lib/err.h"
#include "lib/hex.h"
#include "lib/num.h"
#include "store/store_db.h"

#define PG_CACHE 64
#define PG_BYTEA_OID 17

struct pg_conn {
	PGconn *pg;
	char *cache_sql[PG_CACHE];
	const char *cache_key[PG_CACHE];
	char cache_name[PG_CACHE][16];
	unsigned next;
	uint64_t names;             /* statement names are never reused */
};

const int store_pg_built = 1;

static void store_pg_quiet(void *arg, const char *msg)
{
	(void)arg;
	(void)msg;
}

static void store_pg_cache_clear(struct pg_conn *c)
{
	unsigned i;

	for (i = 0; i < PG_CACHE; i++) {
		free(c->cache_sql[i]);
		c->cache_sql[i] = NULL;
		c->cache_key[i] = NULL;
	}
}

static void store_pg_close(void *conn)
{
	struct pg_conn *c = conn;

	if (!c)
		return;
	store_pg_cache_clear(c);
	PQfinish(c->pg);
	free(c);
}

static int store_pg_open(void **out, const char *conninfo)
{
	struct pg_conn *c;

	*out = NULL;
	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->pg = PQconnectdb(conninfo);
	if (!c->pg || PQstatus(c->pg) != CONNECTION_OK) {
		fprintf(stderr, "store: postgres: cannot connect: %s",
			c->pg ? PQerrorMessage(c->pg) : "out of memory\n");
		store_pg_close(c);
		return -EPX_E_DB_OPEN;
	}
	PQsetNoticeProcessor(c->pg, store_pg_quiet, NULL);
	*out = c;
	return 0;
}

static int store_pg_err(PGresult *r)
{
	const char *state = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;
	const char *msg = r ? PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY) : NULL;

	if (state && strcmp(state, "23505") == 0)
		return -EPX_E_DB_EXISTS;
	if (state && (!strcmp(state, "40001") || !strcmp(state, "40P01") ||
		      !strcmp(state, "55P03")))
		return -EPX_E_DB_BUSY;
	fprintf(stderr, "store: postgres: %s (%s)\n", msg ? msg : "query failed",
		state ? state : "no state");
	return -EPX_E_DB_QUERY;
}

/* Returns the prepared statement's name for sql, preparing it if needed. */
static int store_pg_prepare(struct pg_conn *c, const char *sql, size_t nargs, char name[16])
{
	unsigned i, slot;
	PGresult *r;
	int rc = -EPX_E_DB_QUERY;

	for (i = 0; i < PG_CACHE; i++)
		if (c->cache_key[i] == sql && strcmp(c->cache_sql[i], sql) == 0) {
			snprintf(name, 16, "%s", c->cache_name[i]);
			return 0;
		}
	slot = c->next++ % PG_CACHE;
	/* a fresh name each time: a DEALLOCATE refused inside an aborted
	 * transaction leaves the old statement behind, and must not make
	 * the next PREPARE fail ("already exists") */
	snprintf(name, 16, "s%" PRIu64, c->names++);
	if (c->cache_sql[slot]) {
		char dealloc[32];

		snprintf(dealloc, sizeof(dealloc), "DEALLOCATE %s", c->cache_name[slot]);
		PQclear(PQexec(c->pg, dealloc));
		free(c->cache_sql[slot]);
		c->cache_sql[slot] = NULL;
		c->cache_key[slot] = NULL;
	}
	r = PQprepare(c->pg, name, sql, (int)nargs, NULL);
	if (PQresultStatus(r) != PGRES_COMMAND_OK) {
		rc = store_pg_err(r);
		goto out;
	}
	c->cache_sql[slot] = strdup(sql);
	if (!c->cache_sql[slot]) {
		rc = -ENOMEM;
		goto out;
	}
	c->cache_key[slot] = sql;
	snprintf(c->cache_name[slot], sizeof(c->cache_name[slot]), "%s", name);
	rc = 0;
out:
	PQclear(r);
	return rc;
}

static int store_pg_cell(PGresult *r, int row, int col, struct db_cell *cell)
{
	const char *v = PQgetvalue(r, row, col);
	size_t len = (size_t)PQgetlength(r, row, col), n;
	int rc = -EPX_E_DB_QUERY;

	if (PQftype(r, col) != PG_BYTEA_OID)
		return db_cell_set(cell, v, len);
	if (len < 2 || v[0] != '\\' || v[1] != 'x' || (len - 2) % 2)
		return rc;
	n = (len - 2) / 2;
	rc = db_cell_set(cell, NULL, n);
	if (rc < 0)
		return rc;
	return hex_decode(v + 2, len - 2, (uint8_t *)cell->p, n) < 0 ? -EPX_E_DB_QUERY : 0;
}

static int store_pg_collect(PGresult *r, struct db_res *res)
{
	int nr = PQntuples(r), nc = PQnfields(r), i, j;
	uint64_t changes;
	int rc = -ENOMEM;

	if ((size_t)nr * (size_t)nc > DB_CELLS_MAX)
		return -EPX_E_DB_TOOBIG;
	rc = db_res_alloc(res, (size_t)nr, (size_t)nc);
	if (rc < 0)
		return rc;
	for (i = 0; i < nr; i++)
		for (j = 0; j < nc; j++) {
			struct db_cell *cell = &res->cells[(size_t)i * (size_t)nc + (size_t)j];

			if (PQgetisnull(r, i, j)) {
				cell->null = 1;
				continue;
			}
			rc = store_pg_cell(r, i, j, cell);
			if (rc < 0)
				return rc;
		}
	if (num_str_u64(PQcmdTuples(r), UINT64_MAX, &changes) == 0)
		res->changes = changes;     /* "" for a statement that changes nothing */
	return 0;
}

static PGresult *store_pg_run(struct pg_conn *c, const char *sql, const struct db_arg *a,
			size_t n, int *rc)
{
	char ints[DB_ARGS_MAX][24], name[16];
	const char *vals[DB_ARGS_MAX];
	int lens[DB_ARGS_MAX], fmts[DB_ARGS_MAX];
	size_t i;

	for (i = 0; i < n; i++) {
		lens[i] = 0;
		fmts[i] = 0;
		vals[i] = NULL;
		if (a[i].t == DB_INT) {
			snprintf(ints[i], sizeof(ints[i]), "%" PRId64, a[i].i);
			vals[i] = ints[i];
		} else if (a[i].t == DB_TEXT) {
			vals[i] = a[i].p;
		} else if (a[i].t == DB_BLOB) {
			vals[i] = a[i].len ? a[i].p : "";
			lens[i] = (int)a[i].len;
			fmts[i] = 1;
		}
	}
	/* no arguments (BEGIN, COMMIT, ROLLBACK, DDL): run as it is, so that
	 * a ROLLBACK never depends on preparing anything in an aborted
	 * transaction */
	if (n == 0)
		return PQexec(c->pg, sql);
	*rc = store_pg_prepare(c, sql, n, name);
	if (*rc < 0)
		return NULL;
	return PQexecPrepared(c->pg, name, (int)n, vals, lens, fmts, 0);
}

static int store_pg_query(void *conn, const char *sql, const struct db_arg *args,
		    size_t nargs, struct db_res *res)
{
	struct pg_conn *c = conn;
	struct db_res tmp = { 0 };
	PGresult *r = NULL;
	int rc = -EPX_E_DB_QUERY, idle, st;

	if (nargs > DB_ARGS_MAX)
		return -EINVAL;
	if (PQstatus(c->pg) == CONNECTION_BAD) {
		/* lost earlier (server restart): reconnect now; a transaction
		 * that was open is gone, and the caller's COMMIT will fail */
		store_pg_cache_clear(c);
		PQreset(c->pg);
		if (PQstatus(c->pg) != CONNECTION_OK) {
			fprintf(stderr, "store: postgres: reconnect: %s", PQerrorMessage(c->pg));
			return -EPX_E_DB_OPEN;
		}
	}
	idle = PQtransactionStatus(c->pg) == PQTRANS_IDLE;
	r = store_pg_run(c, sql, args, nargs, &rc);
	if (PQstatus(c->pg) == CONNECTION_BAD && idle) {
		PQclear(r);
		store_pg_cache_clear(c);
		PQreset(c->pg);
		if (PQstatus(c->pg) != CONNECTION_OK)
			return -EPX_E_DB_OPEN;
		r = store_pg_run(c, sql, args, nargs, &rc);
	}
	if (!r)
		return rc < 0 ? rc : -EPX_E_DB_QUERY;
	st = PQresultStatus(r);
	if (st != PGRES_TUPLES_OK && st != PGRES_COMMAND_OK) {
		rc = store_pg_err(r);
		goto out;
	}
	rc = store_pg_collect(r, &tmp);
out:
	PQclear(r);
	if (rc == 0 && res)
		*res = tmp;
	else
		db_res_free(&tmp);
	return rc;
}

const struct db_ops store_pg_ops = {
	.name = "postgres",
	.open = store_pg_open,
	.close = store_pg_close,
	.query = store_pg_query,
	.begin_sql = "BEGIN",
	.has_table_sql = "SELECT 1 FROM pg_tables WHERE schemaname = current_schema()"
			 " AND tablename = $1",
	/* one chain: appenders of all processes take turns */
	.audit_lock_sql = "SELECT pg_advisory_xact_lock(4242001)",
	.migrate_lock_sql = "SELECT pg_advisory_xact_lock(4242000)",
	.blob_type = "BYTEA",
	.serial_type = "BIGSERIAL PRIMARY KEY",
};
