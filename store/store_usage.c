/* store_usage: each host's last sensor snapshot (issue 14 point 7;
 * store.h).
 *
 * Guarantees: a body reaches SQL only when lib/usage.h parses it and it
 * is that parse's canonical form (formatted again and compared), so what
 * the admin API reads back is always one valid snapshot; the row is
 * replaced in one statement (INSERT ... ON CONFLICT DO UPDATE, in both
 * SQLite and PostgreSQL), so two epoxyd instances never leave two. */
#include <stdlib.h>
#include <string.h>

#include "lib/err.h"
#include "lib/usage.h"
#include "store/store_db.h"

/* 1 when body is one canonical snapshot taken at at */
static int store_usage_ok(int64_t at, const char *body)
{
	struct usage *u = malloc(sizeof(*u));
	char *again = malloc(USAGE_BYTES_MAX + 1);
	size_t n = body ? strnlen(body, USAGE_BYTES_MAX + 1) : 0, len = 0;
	int ok = u && again && n > 0 && n <= USAGE_BYTES_MAX &&
		usage_parse(u, body, n) == 0 && u->at == at &&
		usage_format(u, again, USAGE_BYTES_MAX + 1, &len) == 0 && len == n &&
		!memcmp(again, body, n);

	free(u);
	free(again);
	return ok;
}

int store_usage_put(struct store *s, const char *host, int64_t at, const char *body)
{
	if (!store_valid_hostname(host) || !store_usage_ok(at, body))
		return -EPX_E_DB_INVALID;
	return Q(s, "INSERT INTO host_usage (host, at, received, body) VALUES ($1, $2, $3, $4)"
		 " ON CONFLICT (host) DO UPDATE SET at = excluded.at,"
		 " received = excluded.received, body = excluded.body", NULL,
		 A_TEXT(host), A_INT(at), A_INT(store_now(s)), A_TEXT(body));
}

int store_usage_get(struct store *s, const char *host, struct store_usage *out)
{
	struct db_res r;
	int rc;

	memset(out, 0, sizeof(*out));
	if (!store_valid_hostname(host))
		return -EPX_E_DB_INVALID;
	rc = Q(s, "SELECT at, received, body FROM host_usage WHERE host = $1", &r,
	       A_TEXT(host));
	if (rc == 0 && r.nrows != 1)
		rc = -EPX_E_DB_NOTFOUND;
	if (rc == 0) {
		out->at = db_int(&r, 0, 0);
		out->received = db_int(&r, 0, 1);
		st_copy(out->body, sizeof(out->body), db_text(&r, 0, 2));
	}
	db_res_free(&r);
	return rc;
}
