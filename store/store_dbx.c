/* store_dbx: the fleet's dbx updates (issue 13 point 10).
 *
 * Guarantees: an update is stored verbatim (at most STORE_DBX_MAX bytes)
 * with its SHA-256, computed here; updates are never changed or deleted,
 * and the current one is the one published last (highest id), on every
 * epoxyd instance that shares the store.  The store does not judge the
 * bytes: epoxyd checks their shape (lib/dbx.h) before it publishes them,
 * and the firmware checks their signature. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/err.h"
#include "lib/hex.h"
#include "lib/sha256.h"
#include "store/store_db.h"

int store_dbx_publish(struct store *s, const uint8_t *buf, size_t len,
		      uint32_t nhash, const char *actor,
		      char sha256_hex[STORE_HASH_HEX + 1])
{
	uint8_t h[SHA256_LEN];

	if (!buf || len == 0 || nhash == 0 || !actor || !*actor)
		return -EPX_E_DB_INVALID;
	if (len > STORE_DBX_MAX)
		return -EPX_E_DB_TOOBIG;
	sha256_buf(buf, len, h);
	hex_encode(h, sizeof(h), sha256_hex);
	return Q(s, "INSERT INTO dbx_updates (sha256, hashes, published, actor, body)"
		 " VALUES ($1, $2, $3, $4, $5)", NULL, A_TEXT(sha256_hex),
		 A_INT(nhash), A_INT(store_now(s)), A_TEXT(actor), A_BLOB(buf, len));
}

static const char store_dbx_cols[] =
	"SELECT sha256, hashes, published, actor, body FROM dbx_updates";

static int store_dbx_row(struct db_res *r, struct store_dbx *out, uint8_t **buf,
			 size_t *len)
{
	size_t n = db_len(r, 0, 4);

	memset(out, 0, sizeof(*out));
	if (db_len(r, 0, 0) != STORE_HASH_HEX || n == 0 || n > STORE_DBX_MAX)
		return -EPX_E_DB_INVALID;
	memcpy(out->sha256, db_text(r, 0, 0), STORE_HASH_HEX);
	out->hashes = (uint32_t)db_int(r, 0, 1);
	out->published = db_int(r, 0, 2);
	snprintf(out->actor, sizeof(out->actor), "%s", db_text(r, 0, 3));
	out->length = n;
	if (!buf)
		return 0;
	*buf = malloc(n);
	if (!*buf)
		return -ENOMEM;
	memcpy(*buf, db_text(r, 0, 4), n);
	*len = n;
	return 0;
}

int store_dbx_get(struct store *s, const char *sha256_hex, struct store_dbx *out,
		  uint8_t **buf, size_t *len)
{
	char sql[sizeof(store_dbx_cols) + 64];
	struct db_res r;
	int rc;

	if (buf)
		*buf = NULL;
	if (sha256_hex && hex_check_str(sha256_hex, STORE_HASH_HEX) < 0)
		return -EPX_E_DB_INVALID;
	snprintf(sql, sizeof(sql), "%s%s ORDER BY id DESC LIMIT 1", store_dbx_cols,
		 sha256_hex ? " WHERE sha256 = $1" : "");
	rc = sha256_hex ? Q(s, sql, &r, A_TEXT(sha256_hex)) : Q0(s, sql, &r);
	if (rc < 0)
		return rc;
	rc = r.nrows ? store_dbx_row(&r, out, buf, len) : -EPX_E_DB_NOTFOUND;
	db_res_free(&r);
	return rc;
}
