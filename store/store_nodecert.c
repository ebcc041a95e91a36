/* store_nodecert: node client certificates, serial -> host (issue 14).
 *
 * Guarantees: a certificate is good only while its row says so AND its
 * host still exists with the boot credential it had when the certificate
 * was issued, unrevoked, created no later than the certificate: deleting
 * the host, revoking or replacing its boot credential, or deleting and
 * re-adding a host of the same name ends every certificate issued before,
 * at the node's very next request (epoxyd asks on each one).  The host
 * becomes "joined" only through store_nodecert_heartbeat(). */
#include <stdio.h>
#include <string.h>

#include "lib/err.h"
#include "lib/hex.h"
#include "store/store_db.h"

static int store_nodecert_valid(const char *serial, const char *host)
{
	return serial && hex_check_str(serial, STORE_SERIAL_HEX) == 0 &&
		store_valid_hostname(host);
}

int store_nodecert_add(struct store *s, const char *serial, const char *host,
		       int64_t not_before, int64_t expires)
{
	char detail[16 + STORE_SERIAL_HEX];
	struct db_res r;
	int rc = -EPX_E_DB_INVALID;

	if (!store_nodecert_valid(serial, host))
		return rc;
	rc = st_begin(s);
	if (rc < 0)
		return rc;
	rc = Q(s, "SELECT COALESCE(cred_hash, '') FROM hosts WHERE name = $1", &r,
	       A_TEXT(host));
	if (rc == 0 && r.nrows != 1)
		rc = -EPX_E_NID_REVOKED;
	if (rc == 0)
		rc = Q(s, "INSERT INTO node_certs (serial, host, cred_hash, issued,"
		       " expires_at, revoked, last_seen, not_before)"
		       " VALUES ($1, $2, $3, $4, $5, 0, 0, $6)",
		       NULL, A_TEXT(serial), A_TEXT(host), A_TEXT(db_text(&r, 0, 0)),
		       A_INT(store_now(s)), A_INT(expires), A_INT(not_before));
	db_res_free(&r);
	snprintf(detail, sizeof(detail), "serial=%s", serial);
	if (rc == 0)
		rc = st_audit_locked(s, "epoxyd", "nodecert.issued", host, detail);
	return st_end(s, rc);
}

static int store_nodecert_good(struct store *s, const char *serial, const char *host)
{
	struct db_res r;
	int rc = Q(s, "SELECT c.serial FROM node_certs c JOIN hosts h ON h.name = c.host"
		   " WHERE c.serial = $1 AND c.host = $2 AND c.revoked = 0"
		   " AND h.cred_revoked = 0 AND COALESCE(h.cred_hash, '') = c.cred_hash"
		   " AND c.issued >= h.created AND c.expires_at >= $3", &r,
		   A_TEXT(serial), A_TEXT(host), A_INT(store_now(s)));

	if (rc == 0 && r.nrows != 1)
		rc = -EPX_E_NID_REVOKED;
	db_res_free(&r);
	return rc;
}

int store_nodecert_check(struct store *s, const char *serial, const char *host)
{
	if (!store_nodecert_valid(serial, host))
		return -EPX_E_NID_REVOKED;
	return store_nodecert_good(s, serial, host);
}

int store_nodecert_heartbeat(struct store *s, const char *serial, const char *host,
			     int *first)
{
	int64_t now = store_now(s);
	struct db_res r;
	int rc;

	*first = 0;
	if (!store_nodecert_valid(serial, host))
		return -EPX_E_NID_REVOKED;
	rc = st_begin(s);
	if (rc < 0)
		return rc;
	rc = store_nodecert_good(s, serial, host);
	if (rc == 0)
		rc = Q(s, "UPDATE node_certs SET last_seen = $2 WHERE serial = $1", NULL,
		       A_TEXT(serial), A_INT(now));
	if (rc == 0)
		rc = Q(s, "UPDATE hosts SET state = 'joined', updated = $2, last_seen = $2"
		       " WHERE name = $1 AND state <> 'joined'", &r, A_TEXT(host), A_INT(now));
	if (rc == 0) {
		*first = r.changes > 0;
		db_res_free(&r);
		rc = *first ? st_audit_locked(s, "epoxyd", "node.joined", host, "first heartbeat") :
			Q(s, "UPDATE hosts SET last_seen = $2 WHERE name = $1", NULL,
			  A_TEXT(host), A_INT(now));
	}
	return st_end(s, rc);
}

int store_nodecert_revoke(struct store *s, const char *host, uint64_t *n)
{
	struct db_res r;
	int rc = -EPX_E_DB_INVALID;

	if (!store_valid_hostname(host))
		return rc;
	rc = Q(s, "UPDATE node_certs SET revoked = 1 WHERE host = $1 AND revoked = 0", &r,
	       A_TEXT(host));
	if (rc == 0 && n)
		*n = r.changes;
	db_res_free(&r);
	return rc;
}

int store_nodecert_latest(struct store *s, const char *host, struct store_nodecert *out)
{
	static const char *const since = " FROM node_certs c JOIN hosts h ON h.name = c.host"
		" WHERE c.host = $1 AND c.issued >= h.created";
	char sql[256];
	struct db_res r;
	int rc = -EPX_E_DB_INVALID;

	memset(out, 0, sizeof(*out));
	if (!store_valid_hostname(host))
		return rc;
	snprintf(sql, sizeof(sql), "SELECT c.serial, c.not_before, c.expires_at, c.revoked%s"
		 " ORDER BY c.issued DESC, c.expires_at DESC, c.serial LIMIT 1", since);
	rc = Q(s, sql, &r, A_TEXT(host));
	if (rc == 0 && r.nrows != 1)
		rc = -EPX_E_DB_NOTFOUND;
	if (rc == 0) {
		snprintf(out->serial, sizeof(out->serial), "%s", db_text(&r, 0, 0));
		out->not_before = db_int(&r, 0, 1);
		out->not_after = db_int(&r, 0, 2);
		out->revoked = db_int(&r, 0, 3) != 0;
	}
	db_res_free(&r);
	if (rc < 0)
		return rc;
	snprintf(sql, sizeof(sql), "SELECT COALESCE(MAX(c.last_seen), 0)%s", since);
	rc = Q(s, sql, &r, A_TEXT(host));
	if (rc == 0 && r.nrows == 1)
		out->last_heartbeat = db_int(&r, 0, 0);
	db_res_free(&r);
	return rc;
}
