/* store_inventory: each host's inventory (issue 16 point 3; store.h).
 *
 * Guarantees: the stored text changes only through store_inventory_put,
 * which compares, keeps the previous text and audits a change in one
 * write transaction: two epoxyd instances on one PostgreSQL store that
 * receive the same changed report audit it once (the second sees it
 * stored already). */
#include <string.h>

#include "lib/err.h"
#include "lib/hex.h"
#include "store/store_db.h"

/* Printable ASCII and newlines, 1..STORE_INVENTORY_MAX bytes. */
static int store_inventory_body_ok(const char *b)
{
	size_t n = b ? strlen(b) : 0, i;

	if (n == 0 || n > STORE_INVENTORY_MAX)
		return 0;
	for (i = 0; i < n; i++)
		if (b[i] != '\n' && (b[i] < 0x20 || b[i] > 0x7e))
			return 0;
	return 1;
}

static int store_inventory_args_ok(const char *host, const char *session,
				   const char *body, const char *detail)
{
	return store_valid_hostname(host) && session &&
	       hex_check_str(session, STORE_SESSION_HEX) == 0 &&
	       store_inventory_body_ok(body) && st_valid_text(detail, STORE_INV_DETAIL_MAX);
}

int store_inventory_put(struct store *s, const char *host, const char *session,
			const char *body, const char *detail, int *changed)
{
	int64_t now = store_now(s);
	struct db_res r;
	int rc = -EPX_E_DB_INVALID;

	*changed = 0;
	if (!store_inventory_args_ok(host, session, body, detail))
		return rc;
	rc = st_begin(s);
	if (rc < 0)
		return rc;
	rc = Q(s, "SELECT body FROM host_inventory WHERE host = $1", &r, A_TEXT(host));
	if (rc == 0 && r.nrows == 0)
		rc = Q(s, "INSERT INTO host_inventory (host, body, prev, session, reported,"
		       " changed) VALUES ($1, $2, '', $3, $4, 0)", NULL, A_TEXT(host),
		       A_TEXT(body), A_TEXT(session), A_INT(now));
	else if (rc == 0 && !(*changed = strcmp(db_text(&r, 0, 0), body) != 0))
		rc = Q(s, "UPDATE host_inventory SET session = $2, reported = $3"
		       " WHERE host = $1", NULL, A_TEXT(host), A_TEXT(session), A_INT(now));
	else if (rc == 0)
		rc = Q(s, "UPDATE host_inventory SET prev = body, body = $2, session = $3,"
		       " reported = $4, changed = $4 WHERE host = $1", NULL, A_TEXT(host),
		       A_TEXT(body), A_TEXT(session), A_INT(now));
	db_res_free(&r);
	if (rc == 0 && *changed)
		rc = st_audit_locked(s, "epoxyd", "host.inventory-changed", host, detail);
	rc = st_end(s, rc);
	if (rc < 0)
		*changed = 0;
	return rc;
}

int store_inventory_get(struct store *s, const char *host, struct store_inventory *out)
{
	struct db_res r;
	int rc = -EPX_E_DB_INVALID;

	memset(out, 0, sizeof(*out));
	if (!store_valid_hostname(host))
		return rc;
	rc = Q(s, "SELECT body, prev, session, reported, changed FROM host_inventory"
	       " WHERE host = $1", &r, A_TEXT(host));
	if (rc == 0 && r.nrows != 1)
		rc = -EPX_E_DB_NOTFOUND;
	if (rc == 0) {
		st_copy(out->body, sizeof(out->body), db_text(&r, 0, 0));
		st_copy(out->prev, sizeof(out->prev), db_text(&r, 0, 1));
		st_copy(out->session, sizeof(out->session), db_text(&r, 0, 2));
		out->reported = db_int(&r, 0, 3);
		out->changed = db_int(&r, 0, 4);
	}
	db_res_free(&r);
	return rc;
}

int store_inventory_changed(struct store *s, const char *host, int64_t *changed)
{
	struct db_res r;
	int rc = -EPX_E_DB_INVALID;

	*changed = 0;
	if (!store_valid_hostname(host))
		return rc;
	rc = Q(s, "SELECT changed FROM host_inventory WHERE host = $1", &r, A_TEXT(host));
	if (rc == 0 && r.nrows == 1)
		*changed = db_int(&r, 0, 0);
	db_res_free(&r);
	return rc;
}
