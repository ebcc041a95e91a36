/* store: the backend-independent core of epoxyd's store.
 *
 * Guarantees: URIs select a backend; migrations run in order inside one
 * serialised write transaction; tokens and credentials are generated here
 * (getrandom, 256 bits), returned once as hex and persisted only as
 * SHA-256 hex; a redemption is a single conditional UPDATE, and the reason
 * of a refusal is diagnosed afterwards and audited with an 8-digit prefix
 * of the token's hash, never the token; the audit log is a SHA-256 chain
 * appended under a store-wide lock.  Secrets in local buffers are wiped
 * with explicit_bzero before return. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lib/err.h"
#include "lib/hex.h"
#include "lib/label.h"
#include "lib/num.h"
#include "lib/rand.h"
#include "lib/sha256.h"
#include "store/store.h"
#include "store/store_db.h"

#define SQL_MAX 4096   /* a migration statement after substitution */

/* ------------------------------------------------------------ db helpers */

void db_res_free(struct db_res *r)
{
	size_t i;

	if (!r)
		return;
	if (r->cells)
		for (i = 0; i < r->nrows * r->ncols; i++)
			free(r->cells[i].p);
	free(r->cells);
	memset(r, 0, sizeof(*r));
}

int db_res_alloc(struct db_res *r, size_t nrows, size_t ncols)
{
	memset(r, 0, sizeof(*r));
	if (nrows && ncols > DB_CELLS_MAX / nrows)
		return -EPX_E_DB_TOOBIG;
	r->cells = calloc(nrows * ncols + 1, sizeof(*r->cells));
	if (!r->cells)
		return -ENOMEM;
	r->nrows = nrows;
	r->ncols = ncols;
	return 0;
}

int db_cell_set(struct db_cell *c, const void *p, size_t len)
{
	c->p = malloc(len + 1);
	if (!c->p)
		return -ENOMEM;
	if (p && len)
		memcpy(c->p, p, len);
	else if (len)
		memset(c->p, 0, len);
	c->p[len] = '\0';
	c->len = len;
	c->null = 0;
	return 0;
}

static const struct db_cell *store_db_cell(const struct db_res *r, size_t row, size_t col)
{
	if (!r || row >= r->nrows || col >= r->ncols)
		return NULL;
	return &r->cells[row * r->ncols + col];
}

const char *db_text(const struct db_res *r, size_t row, size_t col)
{
	const struct db_cell *c = store_db_cell(r, row, col);

	return c && !c->null && c->p ? c->p : "";
}

int64_t db_int(const struct db_res *r, size_t row, size_t col)
{
	const char *t = db_text(r, row, col);
	int64_t v;

	/* both backends print integers in num's one spelling; NULL is 0 */
	return num_parse_i64(t, strlen(t), INT64_MIN, INT64_MAX, &v) == 0 ? v : 0;
}

int db_isnull(const struct db_res *r, size_t row, size_t col)
{
	const struct db_cell *c = store_db_cell(r, row, col);

	return !c || c->null;
}

size_t db_len(const struct db_res *r, size_t row, size_t col)
{
	const struct db_cell *c = store_db_cell(r, row, col);

	return c && !c->null ? c->len : 0;
}

int st_q(struct store *s, const char *sql, const struct db_arg *a, size_t n,
	 struct db_res *res)
{
	if (res)
		memset(res, 0, sizeof(*res));
	return s->ops->query(s->conn, sql, a, n, res);
}

int st_begin(struct store *s)
{
	return Q0(s, s->ops->begin_sql, NULL);
}

int st_end(struct store *s, int rc)
{
	if (rc == 0) {
		rc = Q0(s, "COMMIT", NULL);
		if (rc == 0)
			return 0;
	}
	Q0(s, "ROLLBACK", NULL);
	return rc;
}

void st_copy(char *dst, size_t cap, const char *src)
{
	size_t n = strlen(src);

	if (cap == 0)
		return;
	if (n > cap - 1)
		n = cap - 1;
	memcpy(dst, src, n);
	dst[n] = '\0';
}

/* ---------------------------------------------------------- validation */

int store_valid_hostname(const char *t)
{
	return label_check_str(LABEL_HOST, t) == 0;
}

int store_valid_label(const char *t)
{
	return label_check_str(LABEL_TAG, t) == 0;
}

int store_valid_code(const char *c)
{
	int num, rc;

	if (c && !c[0])
		return 1;
	/* a code this registry does not know is a newer agent's: kept */
	rc = epx_code_parse(c, &num);
	return rc == 0 || rc == -ENOENT;
}

int st_valid_text(const char *t, size_t max)
{
	if (!t || strlen(t) > max)
		return 0;
	for (; *t; t++)
		if (*t < 0x20 || *t > 0x7e)
			return 0;
	return 1;
}

int store_mac_canon(const char *mac, char out[STORE_MAC_LEN + 1])
{
	char in[STORE_MAC_LEN + 1];   /* copy: callers may pass out == mac */
	int i;

	if (!mac || strnlen(mac, STORE_MAC_LEN + 1) != STORE_MAC_LEN)
		return -EPX_E_DB_INVALID;
	memcpy(in, mac, sizeof(in));
	for (i = 0; i < 6; i++) {
		const char *p = in + 3 * i;
		uint8_t b;

		if (i < 5 && p[2] != '-' && p[2] != ':')
			return -EPX_E_DB_INVALID;
		if (i > 0 && p[-1] != in[2])
			return -EPX_E_DB_INVALID;  /* one separator style */
		/* MACs are typed by people: either case, one output */
		if (hex_nibble_ci(p[0]) < 0 || hex_nibble_ci(p[1]) < 0)
			return -EPX_E_DB_INVALID;
		b = (uint8_t)(hex_nibble_ci(p[0]) << 4 | hex_nibble_ci(p[1]));
		hex_encode(&b, 1, out + 3 * i);
		if (i < 5)
			out[3 * i + 2] = '-';
	}
	out[STORE_MAC_LEN] = '\0';
	return 0;
}

/* ------------------------------------------------------------- secrets */

int st_secret_new(char hex[STORE_TOKEN_HEX + 1], char hash[STORE_HASH_HEX + 1])
{
	uint8_t raw[STORE_TOKEN_BYTES], h[SHA256_LEN];
	int rc = rand_bytes(raw, sizeof(raw));

	if (rc < 0)
		goto out;
	hex_encode(raw, sizeof(raw), hex);
	sha256_buf(raw, sizeof(raw), h);
	hex_encode(h, sizeof(h), hash);
out:
	explicit_bzero(raw, sizeof(raw));
	return rc;
}

int st_secret_hash(const char *hex, char hash[STORE_HASH_HEX + 1])
{
	uint8_t raw[STORE_TOKEN_BYTES], h[SHA256_LEN];
	int rc = -EINVAL;

	if (!hex || strnlen(hex, STORE_TOKEN_HEX + 1) != STORE_TOKEN_HEX)
		return rc;
	if (hex_decode(hex, STORE_TOKEN_HEX, raw, sizeof(raw)) < 0)
		goto out;
	sha256_buf(raw, sizeof(raw), h);
	hex_encode(h, sizeof(h), hash);
	rc = 0;
out:
	explicit_bzero(raw, sizeof(raw));
	return rc;
}

/* ----------------------------------------------------------- open/close */

static int64_t store_clock_real(void *arg)
{
	(void)arg;
	return (int64_t)time(NULL);
}

void store_set_clock(struct store *s, int64_t (*now)(void *arg), void *arg)
{
	s->now = now ? now : store_clock_real;
	s->now_arg = arg;
}

int64_t store_now(struct store *s)
{
	return s->now(s->now_arg);
}

const char *store_backend(const struct store *s)
{
	return s->ops->name;
}

int store_schema_latest(void)
{
	return store_migrations[store_migrations_n - 1].version;
}

int store_schema_version(struct store *s, int *version)
{
	struct db_res r;
	int rc = Q0(s, "SELECT MAX(version) FROM schema_version", &r);

	if (rc < 0)
		return rc;
	*version = (int)db_int(&r, 0, 0);
	db_res_free(&r);
	return 0;
}

/* Replaces {blob} and {serial} with the backend's spelling. */
static int store_schema_subst(const struct db_ops *ops, const char *in, char *out, size_t cap)
{
	size_t o = 0, n;
	const char *rep;

	while (*in) {
		rep = NULL;
		if (strncmp(in, "{blob}", 6) == 0) {
			rep = ops->blob_type;
			in += 6;
		} else if (strncmp(in, "{serial}", 8) == 0) {
			rep = ops->serial_type;
			in += 8;
		}
		if (rep) {
			n = strlen(rep);
			if (n >= cap - o)
				return -EPX_E_DB_TOOBIG;
			memcpy(out + o, rep, n);
			o += n;
			continue;
		}
		if (cap - o < 2)
			return -EPX_E_DB_TOOBIG;
		out[o++] = *in++;
	}
	out[o] = '\0';
	return 0;
}

static int store_migrate_one(struct store *s, const struct store_migration *m)
{
	char sql[SQL_MAX];
	size_t i;
	int rc = -EPX_E_DB_MIGRATE;

	for (i = 0; m->stmts[i]; i++) {
		rc = store_schema_subst(s->ops, m->stmts[i], sql, sizeof(sql));
		if (rc == 0)
			rc = Q0(s, sql, NULL);
		if (rc < 0)
			return rc;
	}
	return Q(s, "INSERT INTO schema_version (version, applied) VALUES ($1, $2)",
		 NULL, A_INT(m->version), A_INT(store_now(s)));
}

/* Fast path: an up-to-date store needs no write lock at open. */
static int store_schema_current(struct store *s)
{
	struct db_res r;
	int rc = Q(s, s->ops->has_table_sql, &r, A_TEXT("schema_version")), v = 0;

	if (rc < 0)
		return rc;
	rc = r.nrows ? 0 : 1;
	db_res_free(&r);
	if (rc)
		return 0;     /* fresh store */
	rc = store_schema_version(s, &v);
	if (rc < 0)
		return rc;
	if (v > store_schema_latest())
		return -EPX_E_DB_SCHEMA;
	return v == store_schema_latest();
}

static int store_migrate(struct store *s)
{
	int rc = -EPX_E_DB_MIGRATE, cur = 0;
	size_t i;

	rc = store_schema_current(s);
	if (rc != 0)
		return rc < 0 ? rc : 0;
	rc = st_begin(s);
	if (rc < 0)
		return rc;
	if (s->ops->migrate_lock_sql) {
		rc = Q0(s, s->ops->migrate_lock_sql, NULL);
		if (rc < 0)
			goto out;
	}
	rc = Q0(s, "CREATE TABLE IF NOT EXISTS schema_version (version BIGINT PRIMARY KEY,"
		" applied BIGINT NOT NULL)", NULL);
	if (rc < 0)
		goto out;
	rc = store_schema_version(s, &cur);
	if (rc < 0)
		goto out;
	if (cur > store_schema_latest()) {
		rc = -EPX_E_DB_SCHEMA;
		goto out;
	}
	for (i = 0; i < store_migrations_n; i++) {
		if (store_migrations[i].version <= cur)
			continue;
		rc = store_migrate_one(s, &store_migrations[i]);
		if (rc < 0) {
			rc = -EPX_E_DB_MIGRATE;
			goto out;
		}
	}
	rc = 0;
out:
	return st_end(s, rc);
}

static int store_uri_backend(const char *uri, const struct db_ops **ops, const char **rest)
{
	if (strncmp(uri, "sqlite:", 7) == 0) {
		*ops = &store_sqlite_ops;
		*rest = uri + 7;
		return 0;
	}
	if (strncmp(uri, "postgres:", 9) == 0 || strncmp(uri, "postgresql:", 11) == 0) {
		if (!store_pg_built)
			return -EPX_E_DB_BACKEND;
		*ops = &store_pg_ops;
		*rest = strchr(uri, ':') + 1;
		return 0;
	}
	return -EPX_E_DB_URI;
}

int store_open(struct store **out, const char *uri)
{
	const struct db_ops *ops = NULL;
	const char *rest = NULL;
	struct store *s = NULL;
	int rc = -EPX_E_DB_URI;

	*out = NULL;
	if (!uri || strnlen(uri, STORE_URI_MAX + 1) > STORE_URI_MAX)
		return rc;
	rc = store_uri_backend(uri, &ops, &rest);
	if (rc < 0)
		return rc;
	if (!*rest)
		return -EPX_E_DB_URI;
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->ops = ops;
	store_set_clock(s, NULL, NULL);
	rc = ops->open(&s->conn, rest);
	if (rc < 0)
		goto fail;
	rc = store_migrate(s);
	if (rc < 0)
		goto fail;
	*out = s;
	return 0;
fail:
	store_close(s);
	return rc;
}

int store_check_write(struct store *s)
{
	int rc = st_begin(s);

	if (rc < 0)
		return rc;
	return Q0(s, "ROLLBACK", NULL);
}

void store_close(struct store *s)
{
	if (!s)
		return;
	if (s->conn)
		s->ops->close(s->conn);
	free(s);
}

/* -------------------------------------------------------------- audit */

void store_audit_hash(const struct store_audit *e, char out[STORE_HASH_HEX + 1])
{
	char buf[STORE_HASH_HEX + 5 * STORE_TEXT_MAX];
	uint8_t h[SHA256_LEN];
	int n;

	/* fields never contain '\n' (validated), so this encoding is unambiguous */
	n = snprintf(buf, sizeof(buf),
		     "epoxy-audit 1\nprev %s\nseq %" PRId64 "\ntime %" PRId64
		     "\nactor %s\naction %s\nsubject %s\ndetail %s\n",
		     e->prev, e->seq, e->time, e->actor, e->action, e->subject, e->detail);
	if (n < 0 || (size_t)n >= sizeof(buf))
		n = 0;  /* cannot happen with validated fields; hashes "" then */
	sha256_buf(buf, (size_t)n, h);
	hex_encode(h, sizeof(h), out);
}

static int store_audit_valid(const char *actor, const char *action, const char *subject,
		       const char *detail)
{
	return label_check_str(LABEL_ACTOR, actor) == 0 &&
	       label_check_str(LABEL_ACTOR, action) == 0 &&
	       st_valid_text(subject, STORE_SUBJECT_MAX) && !strchr(subject, ' ') &&
	       st_valid_text(detail, STORE_TEXT_MAX);
}

int st_audit_locked(struct store *s, const char *actor, const char *action,
		    const char *subject, const char *detail)
{
	struct store_audit e;
	struct db_res r;
	int rc = -EPX_E_DB_INVALID;

	if (!store_audit_valid(actor, action, subject, detail))
		return rc;
	if (s->ops->audit_lock_sql) {
		rc = Q0(s, s->ops->audit_lock_sql, NULL);
		if (rc < 0)
			return rc;
	}
	rc = Q0(s, "SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1", &r);
	if (rc < 0)
		return rc;
	memset(&e, 0, sizeof(e));
	e.seq = r.nrows ? db_int(&r, 0, 0) + 1 : 1;
	st_copy(e.prev, sizeof(e.prev), r.nrows ? db_text(&r, 0, 1) :
		"0000000000000000000000000000000000000000000000000000000000000000");
	db_res_free(&r);
	e.time = store_now(s);
	st_copy(e.actor, sizeof(e.actor), actor);
	st_copy(e.action, sizeof(e.action), action);
	st_copy(e.subject, sizeof(e.subject), subject);
	st_copy(e.detail, sizeof(e.detail), detail);
	store_audit_hash(&e, e.hash);
	return Q(s, "INSERT INTO audit (seq, time, actor, action, subject, detail, prev, hash)"
		 " VALUES ($1, $2, $3, $4, $5, $6, $7, $8)", NULL,
		 A_INT(e.seq), A_INT(e.time), A_TEXT(e.actor), A_TEXT(e.action),
		 A_TEXT(e.subject), A_TEXT(e.detail), A_TEXT(e.prev), A_TEXT(e.hash));
}

int store_audit_append(struct store *s, const char *actor, const char *action,
		       const char *subject, const char *detail)
{
	int rc = -EPX_E_DB_INVALID, tries;

	if (!store_audit_valid(actor, action, subject, detail))
		return rc;
	for (tries = 0; tries < 5; tries++) {
		rc = st_begin(s);
		if (rc < 0)
			return rc;
		rc = st_end(s, st_audit_locked(s, actor, action, subject, detail));
		if (rc != -EPX_E_DB_EXISTS && rc != -EPX_E_DB_BUSY)
			break;
	}
	return rc;
}

static void store_audit_row(const struct db_res *r, size_t i, struct store_audit *e)
{
	memset(e, 0, sizeof(*e));
	e->seq = db_int(r, i, 0);
	e->time = db_int(r, i, 1);
	st_copy(e->actor, sizeof(e->actor), db_text(r, i, 2));
	st_copy(e->action, sizeof(e->action), db_text(r, i, 3));
	st_copy(e->subject, sizeof(e->subject), db_text(r, i, 4));
	st_copy(e->detail, sizeof(e->detail), db_text(r, i, 5));
	st_copy(e->prev, sizeof(e->prev), db_text(r, i, 6));
	st_copy(e->hash, sizeof(e->hash), db_text(r, i, 7));
}

#define AUDIT_PAGE 1000

int store_audit_list(struct store *s, int64_t after, size_t limit,
		     int (*cb)(const struct store_audit *, void *), void *arg)
{
	struct store_audit e;
	struct db_res r;
	size_t i;
	int rc;

	if (limit > STORE_LIST_MAX)
		limit = STORE_LIST_MAX;
	rc = Q(s, "SELECT seq, time, actor, action, subject, detail, prev, hash FROM audit"
	       " WHERE seq > $1 ORDER BY seq LIMIT $2", &r, A_INT(after), A_INT(limit));
	if (rc < 0)
		return rc;
	for (i = 0; i < r.nrows; i++) {
		store_audit_row(&r, i, &e);
		rc = cb(&e, arg);
		if (rc != 0)
			break;
	}
	db_res_free(&r);
	return rc < 0 ? rc : 0;
}

int store_audit_verify(struct store *s, int64_t *bad_seq)
{
	char prev[STORE_HASH_HEX + 1], want[STORE_HASH_HEX + 1];
	struct store_audit e;
	struct db_res r;
	int64_t next = 1;
	size_t i;
	int rc;

	memset(prev, '0', STORE_HASH_HEX);
	prev[STORE_HASH_HEX] = '\0';
	for (;;) {
		rc = Q(s, "SELECT seq, time, actor, action, subject, detail, prev, hash"
		       " FROM audit WHERE seq >= $1 ORDER BY seq LIMIT $2", &r,
		       A_INT(next), A_INT(AUDIT_PAGE));
		if (rc < 0)
			return rc;
		for (i = 0; i < r.nrows; i++) {
			store_audit_row(&r, i, &e);
			store_audit_hash(&e, want);
			if (e.seq != next || strcmp(e.prev, prev) != 0 ||
			    strcmp(e.hash, want) != 0) {
				if (bad_seq)
					*bad_seq = next;
				db_res_free(&r);
				return -EPX_E_AUDIT_BROKEN;
			}
			memcpy(prev, e.hash, sizeof(prev));
			next++;
		}
		i = r.nrows;
		db_res_free(&r);
		if (i < AUDIT_PAGE)
			return 0;
	}
}
