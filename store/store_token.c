/* store_token: boot sessions, single-use tokens, boot credentials, join
 * credentials and operator credentials.
 *
 * Guarantees: a secret leaves this file only once, as hex into the caller's
 * buffer; the store keeps SHA-256 hex.  store_token_redeem's success is
 * decided by ONE conditional UPDATE ... RETURNING (unused, unexpired,
 * matching purpose/host/session, session still open), which both backends
 * execute atomically, so concurrent redemptions of one token yield exactly
 * one success.  Refusals are diagnosed by a second read and audited with
 * STORE_HASHPFX_HEX digits of the hash, at a bounded cost: per action,
 * code and detail (the host named, the token's purpose and host), the
 * first STORE_REFUSAL_BURST of a STORE_REFUSAL_WINDOW-second window are
 * appended in full, the rest counted and appended as one summary with
 * their number when the window is over (store_refusals_flush). */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "lib/err.h"
#include "lib/hex.h"
#include "lib/rand.h"
#include "store/store.h"
#include "store/store_db.h"

static const char *const purposes[] = {
	"manifest", "kernel", "initramfs", "cmdline", "join", "joincred", "report",
	"boot", "cluster", NULL
};

int store_purpose_valid(const char *p)
{
	size_t i;

	if (!p)
		return 0;
	for (i = 0; purposes[i]; i++)
		if (strcmp(p, purposes[i]) == 0)
			return 1;
	return 0;
}

static int store_token_session_purpose(const char *p)
{
	return store_purpose_valid(p) && strcmp(p, "boot") && strcmp(p, "cluster");
}

static int store_token_valid_session_id(const char *id)
{
	return hex_check_str(id, STORE_SESSION_HEX) == 0;
}

static int store_token_valid_state(const char *st)
{
	size_t n = st ? strlen(st) : 0, i;

	if (n < 1 || n > STORE_STATE_MAX)
		return 0;
	for (i = 0; i < n; i++)
		if (!((st[i] >= 'a' && st[i] <= 'z') || st[i] == '-'))
			return 0;
	return 1;
}

/* The refusals of this process counted but not appended yet: one slot per
 * action and line (code and detail) in the current window; when every
 * slot is taken, slot 0 counts the rest under the line "other" (a count
 * is never dropped, so the summaries add up to every refusal). */
#define STORE_REFUSAL_SLOTS 64
static struct store_token_refusal {
	char action[24];
	char line[STORE_TEXT_MAX + 1];
	int64_t window;                 /* its first refusal's window */
	uint64_t n;                     /* refusals in that window */
} store_token_refusals[STORE_REFUSAL_SLOTS];
static pthread_mutex_t store_token_refusals_lock = PTHREAD_MUTEX_INITIALIZER;

/* Appends the summary of a slot whose window is over.  Lock held. */
static void store_token_refusal_summary(struct store *s, size_t i)
{
	char detail[STORE_TEXT_MAX + 1];
	struct store_token_refusal *r = &store_token_refusals[i];

	if (r->n > STORE_REFUSAL_BURST) {
		snprintf(detail, sizeof(detail), "%" PRIu64 " more in %d s from %" PRId64 ": %.150s",
			 r->n - STORE_REFUSAL_BURST, STORE_REFUSAL_WINDOW,
			 r->window * STORE_REFUSAL_WINDOW, r->line);
		(void)store_audit_append(s, "store", r->action, "summary", detail);
	}
	r->n = 0;
	r->action[0] = '\0';
}

void store_refusals_flush(struct store *s, int all)
{
	int64_t w = store_now(s) / STORE_REFUSAL_WINDOW;
	size_t i;

	pthread_mutex_lock(&store_token_refusals_lock);
	for (i = 0; i < STORE_REFUSAL_SLOTS; i++)
		if (store_token_refusals[i].n && (all || store_token_refusals[i].window != w))
			store_token_refusal_summary(s, i);
	pthread_mutex_unlock(&store_token_refusals_lock);
}

/* Counts one refusal; 1 if it is among the first STORE_REFUSAL_BURST of
 * its kind in this window (to be appended in full). */
static int store_token_refusal_count(struct store *s, const char *action, const char *line)
{
	int64_t w = store_now(s) / STORE_REFUSAL_WINDOW;
	size_t i, free_slot = STORE_REFUSAL_SLOTS;
	struct store_token_refusal *r = NULL;
	int full;

	pthread_mutex_lock(&store_token_refusals_lock);
	for (i = 0; i < STORE_REFUSAL_SLOTS; i++) {
		r = &store_token_refusals[i];
		if (r->n && r->window != w)
			store_token_refusal_summary(s, i);
		if (r->n && !strcmp(r->action, action) && !strcmp(r->line, line))
			break;
		if (!r->n && free_slot == STORE_REFUSAL_SLOTS)
			free_slot = i;
	}
	if (i == STORE_REFUSAL_SLOTS) {
		r = &store_token_refusals[free_slot < STORE_REFUSAL_SLOTS ? free_slot : 0];
		if (!r->n) {
			st_copy(r->action, sizeof(r->action), action);
			st_copy(r->line, sizeof(r->line),
				free_slot < STORE_REFUSAL_SLOTS ? line : "other");
			r->window = w;
		}
	}
	full = ++r->n <= STORE_REFUSAL_BURST;
	pthread_mutex_unlock(&store_token_refusals_lock);
	return full;
}

int store_audit_refusal(struct store *s, const char *actor, const char *action,
			const char *subject, const char *detail)
{
	if (!store_token_refusal_count(s, action, detail))
		return 0;
	return store_audit_append(s, actor, action, subject, detail);
}

/* Audits a refused secret: subject "hash:<8 hex>" of the hash, never the
 * value; past its kind's burst only counted (store_token_refusal_count). */
static void store_token_audit_refusal(struct store *s, const char *action, const char *hash,
			  int reason, const char *detail)
{
	char subject[32], line[STORE_TEXT_MAX + 1], code[16];

	if (hash && strlen(hash) >= STORE_HASHPFX_HEX)
		snprintf(subject, sizeof(subject), "hash:%.*s", STORE_HASHPFX_HEX, hash);
	else
		snprintf(subject, sizeof(subject), "hash:none");
	snprintf(line, sizeof(line), "%s %s", epx_code(reason, code, sizeof(code)), detail);
	if (!store_token_refusal_count(s, action, line))
		return;
	/* a failed audit append must not turn a refusal into anything else */
	(void)store_audit_append(s, "store", action, subject, line);
}

/* ------------------------------------------------------------ sessions */

static int store_token_host_exists(struct store *s, const char *host)
{
	struct db_res r;
	int rc = Q(s, "SELECT 1 FROM hosts WHERE name = $1", &r, A_TEXT(host));

	if (rc < 0)
		return rc;
	rc = r.nrows ? 0 : -EPX_E_DB_NOTFOUND;
	db_res_free(&r);
	return rc;
}

static int store_token_hash_equal(const char *a, const char *b);

/* The host's credential columns, its row locked until the transaction
 * ends: a revoke, rotate or delete of the host waits for the session being
 * opened (and then closes it), or the open waits and sees the change.
 * PostgreSQL locks the row; SQLite's write transaction (BEGIN IMMEDIATE)
 * already excludes every other writer. */
static int store_token_host_lock(struct store *s, const char *host, struct db_res *r)
{
	return Q(s, strcmp(s->ops->name, "postgres") ?
		 "SELECT cred_hash, cred_revoked, cred_pending, cred_pending_at FROM hosts"
		 " WHERE name = $1" :
		 "SELECT cred_hash, cred_revoked, cred_pending, cred_pending_at FROM hosts"
		 " WHERE name = $1 FOR UPDATE", r, A_TEXT(host));
}

static int store_token_session_insert(struct store *s, const char *host, const char *nonce_hex,
			  uint32_t version, const char *hwclass,
			  char id_hex[STORE_SESSION_HEX + 1])
{
	uint8_t id[STORE_SESSION_BYTES];
	int rc = -EPX_E_DB_INVALID, tries;

	for (tries = 0; tries < 4; tries++) {
		rc = rand_bytes(id, sizeof(id));
		if (rc < 0)
			return rc;
		hex_encode(id, sizeof(id), id_hex);
		rc = Q(s, "INSERT INTO sessions (id, host, nonce, version, hwclass, state,"
		       " opened, closed) VALUES ($1, $2, $3, $4, $5, 'open', $6, 0)", NULL,
		       A_TEXT(id_hex), A_TEXT(host), A_TEXT(nonce_hex), A_INT(version),
		       A_TEXT(hwclass), A_INT(store_now(s)));
		if (rc != -EPX_E_DB_EXISTS)   /* 2^-64 collision: draw again */
			break;
	}
	return rc;
}

static int store_token_session_args_ok(const char *host, const char *nonce_hex, const char *hwclass)
{
	uint8_t nonce[STORE_TOKEN_BYTES];

	return store_valid_hostname(host) && nonce_hex &&
	       strnlen(nonce_hex, STORE_TOKEN_HEX + 1) == STORE_TOKEN_HEX &&
	       hex_decode(nonce_hex, STORE_TOKEN_HEX, nonce, sizeof(nonce)) == 0 &&
	       store_valid_label(hwclass);
}

int store_session_open(struct store *s, const char *host, const char *nonce_hex,
		       uint32_t version, const char *hwclass,
		       char id_hex[STORE_SESSION_HEX + 1])
{
	struct db_res r;
	int rc = -EPX_E_DB_INVALID;

	if (!store_token_session_args_ok(host, nonce_hex, hwclass))
		return rc;
	rc = st_begin(s);
	if (rc < 0)
		return rc;
	rc = store_token_host_lock(s, host, &r);
	if (rc == 0) {
		if (r.nrows == 0)
			rc = -EPX_E_DB_NOTFOUND;
		db_res_free(&r);
	}
	if (rc == 0)
		rc = store_token_session_insert(s, host, nonce_hex, version, hwclass, id_hex);
	return st_end(s, rc);
}

/* Closes the host's open sessions (their tokens die with them). */
static int store_token_sessions_close(struct store *s, const char *host, const char *state)
{
	return Q(s, "UPDATE sessions SET state = $3, closed = $2"
		 " WHERE host = $1 AND state = 'open'", NULL, A_TEXT(host),
		 A_INT(store_now(s)), A_TEXT(state));
}

#define CRED_PENDING_TTL (7 * 86400)

/* Checks cred against the locked row r: the active credential, or the
 * pending one (which its first use confirms). */
static int store_token_cred_match(struct store *s, const char *host, const struct db_res *r,
		      const char *hash)
{
	if (r->nrows == 0)
		return -EPX_E_CRED_UNKNOWN;
	if (!db_isnull(r, 0, 0) && store_token_hash_equal(db_text(r, 0, 0), hash))
		return db_int(r, 0, 1) ? -EPX_E_CRED_REVOKED : 0;
	if (!db_isnull(r, 0, 2) && store_token_hash_equal(db_text(r, 0, 2), hash) &&
	    db_int(r, 0, 3) + CRED_PENDING_TTL > store_now(s))
		return 1;
	return db_isnull(r, 0, 0) && db_isnull(r, 0, 2) ? -EPX_E_CRED_UNKNOWN : -EPX_E_CRED_BAD;
}

/* Makes the pending credential the host's one: the old credential and the
 * sessions opened with it end in the same transaction. */
static int store_token_cred_promote(struct store *s, const char *host, const char *how)
{
	struct db_res r;
	int rc = Q(s, "UPDATE hosts SET cred_hash = cred_pending, cred_revoked = 0,"
		   " cred_pending = NULL, cred_pending_at = 0, updated = $2"
		   " WHERE name = $1 AND cred_pending IS NOT NULL", &r, A_TEXT(host),
		   A_INT(store_now(s)));

	if (rc == 0 && r.changes == 0)
		rc = -EPX_E_CRED_PENDING;
	db_res_free(&r);
	if (rc == 0)
		rc = store_token_sessions_close(s, host, "rotated");
	if (rc == 0)
		rc = st_audit_locked(s, "store", "credential.confirm", host, how);
	return rc;
}

int store_session_open_cred(struct store *s, const char *host, const char *cred_hex,
			    const char *nonce_hex, uint32_t version, const char *hwclass,
			    char id_hex[STORE_SESSION_HEX + 1])
{
	char hash[STORE_HASH_HEX + 1];
	struct db_res r;
	int rc = -EPX_E_CRED_FORMAT, m;

	if (!store_token_session_args_ok(host, nonce_hex, hwclass))
		return -EPX_E_DB_INVALID;
	if (st_secret_hash(cred_hex, hash) < 0) {
		store_token_audit_refusal(s, "credential.refused", NULL, rc, host);
		return rc;
	}
	rc = st_begin(s);
	if (rc < 0)
		return rc;
	rc = store_token_host_lock(s, host, &r);
	if (rc < 0)
		return st_end(s, rc);
	m = store_token_cred_match(s, host, &r, hash);
	db_res_free(&r);
	if (m < 0) {
		st_end(s, m);
		store_token_audit_refusal(s, "credential.refused", hash, m, host);
		return m;
	}
	rc = m == 1 ? store_token_cred_promote(s, host, "by its first use") : 0;
	if (rc == 0)
		rc = store_token_session_insert(s, host, nonce_hex, version, hwclass, id_hex);
	return st_end(s, rc);
}

static void store_token_session_row(const struct db_res *r, size_t i, struct store_session *o)
{
	memset(o, 0, sizeof(*o));
	st_copy(o->id, sizeof(o->id), db_text(r, i, 0));
	st_copy(o->host, sizeof(o->host), db_text(r, i, 1));
	st_copy(o->nonce, sizeof(o->nonce), db_text(r, i, 2));
	o->version = (uint32_t)db_int(r, i, 3);
	st_copy(o->hwclass, sizeof(o->hwclass), db_text(r, i, 4));
	st_copy(o->state, sizeof(o->state), db_text(r, i, 5));
	o->opened = db_int(r, i, 6);
	o->closed = db_int(r, i, 7);
}

#define SESSION_COLS "id, host, nonce, version, hwclass, state, opened, closed"

int store_session_get(struct store *s, const char *id_hex, struct store_session *out)
{
	struct db_res r;
	int rc = -EPX_E_SESS_UNKNOWN;

	if (!store_token_valid_session_id(id_hex))
		return rc;
	rc = Q(s, "SELECT " SESSION_COLS " FROM sessions WHERE id = $1", &r, A_TEXT(id_hex));
	if (rc < 0)
		return rc;
	if (r.nrows)
		store_token_session_row(&r, 0, out);
	rc = r.nrows ? 0 : -EPX_E_SESS_UNKNOWN;
	db_res_free(&r);
	return rc;
}

int store_session_close(struct store *s, const char *id_hex, const char *state)
{
	struct db_res r;
	int rc = -EPX_E_DB_INVALID;

	if (!store_token_valid_session_id(id_hex) || !store_token_valid_state(state) || !strcmp(state, "open"))
		return rc;
	rc = Q(s, "UPDATE sessions SET state = $2, closed = $3 WHERE id = $1 AND state = 'open'"
	       " RETURNING id", &r, A_TEXT(id_hex), A_TEXT(state), A_INT(store_now(s)));
	if (rc < 0)
		return rc;
	if (r.nrows == 0) {
		db_res_free(&r);
		rc = Q(s, "SELECT 1 FROM sessions WHERE id = $1", &r, A_TEXT(id_hex));
		if (rc < 0)
			return rc;
		rc = r.nrows ? -EPX_E_SESS_CLOSED : -EPX_E_SESS_UNKNOWN;
	}
	db_res_free(&r);
	return rc;
}

int store_session_expire(struct store *s, int64_t before, uint64_t *n)
{
	struct db_res r;
	int rc = Q(s, "UPDATE sessions SET state = 'expired', closed = $2"
		   " WHERE state = 'open' AND opened < $1", &r, A_INT(before),
		   A_INT(store_now(s)));

	if (rc < 0)
		return rc;
	if (n)
		*n = r.changes;
	db_res_free(&r);
	return 0;
}

int store_session_list(struct store *s, const char *host, size_t limit,
		       int (*cb)(const struct store_session *, void *), void *arg)
{
	struct store_session o;
	struct db_res r;
	size_t i;
	int rc = -EPX_E_DB_INVALID;

	if (host && !store_valid_hostname(host))
		return rc;
	if (limit > STORE_LIST_MAX)
		limit = STORE_LIST_MAX;
	rc = Q(s, "SELECT " SESSION_COLS " FROM sessions WHERE (CAST($1 AS TEXT) IS NULL"
	       " OR host = $1) ORDER BY opened DESC, id LIMIT $2", &r, A_OPT(host),
	       A_INT(limit));
	if (rc < 0)
		return rc;
	for (i = 0; i < r.nrows; i++) {
		store_token_session_row(&r, i, &o);
		rc = cb(&o, arg);
		if (rc != 0)
			break;
	}
	db_res_free(&r);
	return rc < 0 ? rc : 0;
}

/* -------------------------------------------------------------- tokens */

static int store_token_insert(struct store *s, const char *host, const char *session,
			const char *purpose, int64_t ttl, int64_t reissue,
			char tok_hex[STORE_TOKEN_HEX + 1])
{
	char hash[STORE_HASH_HEX + 1];
	int64_t now = store_now(s);
	int rc = -EPX_E_DB_INVALID;

	if (ttl < 1 || ttl > STORE_TTL_MAX)
		return rc;
	rc = st_secret_new(tok_hex, hash);
	if (rc < 0)
		return rc;
	rc = Q(s, "INSERT INTO tokens (hash, host, session, purpose, issued, expires_at,"
	       " used_at, reissue) VALUES ($1, $2, $3, $4, $5, $6, NULL, $7)", NULL,
	       A_TEXT(hash), A_TEXT(host), A_TEXT(session), A_TEXT(purpose),
	       A_INT(now), A_INT(now + ttl), A_INT(reissue));
	if (rc < 0)
		explicit_bzero(tok_hex, STORE_TOKEN_HEX + 1);
	return rc;
}

/* The session must exist, be open and belong to host. */
static int store_token_session_check(struct store *s, const char *host, const char *session)
{
	struct store_session ss;
	int rc = store_session_get(s, session, &ss);

	if (rc < 0)
		return rc;
	if (strcmp(ss.host, host) != 0)
		return -EPX_E_TOK_HOST;
	if (strcmp(ss.state, "open") != 0)
		return -EPX_E_SESS_CLOSED;
	return 0;
}

int store_token_issue(struct store *s, const char *host, const char *session,
		      const char *purpose, int64_t ttl, char tok_hex[STORE_TOKEN_HEX + 1])
{
	int rc = -EPX_E_DB_INVALID;

	if (!store_valid_hostname(host) || !store_token_session_purpose(purpose))
		return rc;
	rc = store_token_session_check(s, host, session);
	if (rc < 0)
		return rc;
	return store_token_insert(s, host, session, purpose, ttl, 0, tok_hex);
}

int store_token_reissue(struct store *s, const char *host, const char *session,
			const char *purpose, int64_t ttl, char tok_hex[STORE_TOKEN_HEX + 1])
{
	struct db_res r;
	int64_t n;
	int rc = -EPX_E_DB_INVALID;

	if (!store_valid_hostname(host) || !store_token_session_purpose(purpose))
		return rc;
	rc = store_token_session_check(s, host, session);
	if (rc < 0)
		return rc;
	/* one atomic counter step; refused once the cap is reached */
	rc = Q(s, "INSERT INTO token_reissues (session, purpose, n) VALUES ($1, $2, 1)"
	       " ON CONFLICT (session, purpose) DO UPDATE SET n = token_reissues.n + 1"
	       " WHERE token_reissues.n < $3 RETURNING n", &r,
	       A_TEXT(session), A_TEXT(purpose), A_INT(STORE_REISSUE_MAX));
	if (rc < 0)
		return rc;
	n = r.nrows ? db_int(&r, 0, 0) : 0;
	db_res_free(&r);
	if (n == 0)
		return -EPX_E_TOK_REISSUE;
	return store_token_insert(s, host, session, purpose, ttl, n, tok_hex);
}

/* Why did the conditional update match nothing?  Diagnosis only. */
static int store_token_diagnose(struct store *s, const char *hash, const char *purpose,
			  const char *host, const char *session, char *detail, size_t cap)
{
	struct db_res r;
	int64_t now = store_now(s);
	int rc = Q(s, "SELECT t.host, t.session, t.purpose, t.used_at, t.expires_at,"
		   " ss.state FROM tokens t LEFT JOIN sessions ss ON ss.id = t.session"
		   " WHERE t.hash = $1", &r, A_TEXT(hash));

	if (rc < 0)
		return rc;
	snprintf(detail, cap, "purpose=%s host=%s", purpose, host ? host : "-");
	if (r.nrows == 0)
		rc = -EPX_E_TOK_UNKNOWN;
	else if (host && strcmp(db_text(&r, 0, 0), host))
		rc = -EPX_E_TOK_HOST;
	else if (session && strcmp(db_text(&r, 0, 1), session))
		rc = -EPX_E_TOK_SESSION;
	else if (strcmp(db_text(&r, 0, 2), purpose))
		rc = -EPX_E_TOK_PURPOSE;
	else if (!db_isnull(&r, 0, 3))
		rc = -EPX_E_TOK_USED;
	else if (db_int(&r, 0, 4) <= now)
		rc = -EPX_E_TOK_EXPIRED;
	else
		rc = -EPX_E_TOK_CLOSED;
	if (r.nrows)
		snprintf(detail, cap, "purpose=%s host=%s token-host=%s token-purpose=%s",
			 purpose, host ? host : "-", db_text(&r, 0, 0), db_text(&r, 0, 2));
	db_res_free(&r);
	return rc;
}

static int store_token_redeem_as(struct store *s, const char *tok_hex, const char *purpose,
			const char *host, const char *session,
			struct store_token_info *info, int fmt_err)
{
	char hash[STORE_HASH_HEX + 1], detail[STORE_TEXT_MAX + 1];
	struct db_res r;
	int64_t now = store_now(s);
	int rc = fmt_err;

	if (st_secret_hash(tok_hex, hash) < 0) {
		store_token_audit_refusal(s, "token.refused", NULL, rc, "malformed");
		return rc;
	}
	if ((host && !store_valid_hostname(host)) || (session && !store_token_valid_session_id(session)))
		return -EPX_E_DB_INVALID;
	rc = Q(s, "UPDATE tokens SET used_at = $2 WHERE hash = $1 AND purpose = $3"
	       " AND used_at IS NULL AND expires_at > $2"
	       " AND (CAST($4 AS TEXT) IS NULL OR host = $4)"
	       " AND (CAST($5 AS TEXT) IS NULL OR session = $5)"
	       " AND (purpose IN ('boot', 'cluster') OR EXISTS (SELECT 1 FROM sessions"
	       "  WHERE sessions.id = tokens.session AND sessions.state = 'open'))"
	       " RETURNING host, session, purpose, reissue, expires_at", &r,
	       A_TEXT(hash), A_INT(now), A_TEXT(purpose), A_OPT(host), A_OPT(session));
	if (rc < 0)
		return rc;
	if (r.nrows == 1) {
		if (info) {
			memset(info, 0, sizeof(*info));
			st_copy(info->host, sizeof(info->host), db_text(&r, 0, 0));
			st_copy(info->session, sizeof(info->session), db_text(&r, 0, 1));
			st_copy(info->purpose, sizeof(info->purpose), db_text(&r, 0, 2));
			info->reissue = (uint32_t)db_int(&r, 0, 3);
			info->expires = db_int(&r, 0, 4);
		}
		db_res_free(&r);
		return 0;
	}
	db_res_free(&r);
	rc = store_token_diagnose(s, hash, purpose, host, session, detail, sizeof(detail));
	store_token_audit_refusal(s, "token.refused", hash, rc, detail);
	return rc;
}

int store_token_peek(struct store *s, const char *tok_hex, const char *purpose,
		     struct store_token_info *info, char addrs[STORE_ADDRS_TEXT + 1])
{
	char hash[STORE_HASH_HEX + 1], detail[STORE_TEXT_MAX + 1];
	struct db_res r;
	int64_t now = store_now(s);
	int rc = -EPX_E_TOK_FORMAT;

	if (!store_token_session_purpose(purpose))
		return -EPX_E_DB_INVALID;
	if (st_secret_hash(tok_hex, hash) < 0) {
		store_token_audit_refusal(s, "token.refused", NULL, rc, "malformed");
		return rc;
	}
	rc = Q(s, "SELECT t.host, t.session, t.purpose, t.reissue, t.expires_at, h.addrs"
	       " FROM tokens t JOIN sessions ss ON ss.id = t.session AND ss.state = 'open'"
	       " LEFT JOIN hosts h ON h.name = t.host"
	       " WHERE t.hash = $1 AND t.purpose = $2 AND t.used_at IS NULL"
	       " AND t.expires_at > $3", &r, A_TEXT(hash), A_TEXT(purpose), A_INT(now));
	if (rc < 0)
		return rc;
	if (r.nrows == 1) {
		memset(info, 0, sizeof(*info));
		st_copy(info->host, sizeof(info->host), db_text(&r, 0, 0));
		st_copy(info->session, sizeof(info->session), db_text(&r, 0, 1));
		st_copy(info->purpose, sizeof(info->purpose), db_text(&r, 0, 2));
		info->reissue = (uint32_t)db_int(&r, 0, 3);
		info->expires = db_int(&r, 0, 4);
		st_copy(addrs, STORE_ADDRS_TEXT + 1, db_text(&r, 0, 5));
		db_res_free(&r);
		return 0;
	}
	db_res_free(&r);
	rc = store_token_diagnose(s, hash, purpose, NULL, NULL, detail, sizeof(detail));
	store_token_audit_refusal(s, "token.refused", hash, rc, detail);
	return rc;
}

int store_token_redeem(struct store *s, const char *tok_hex, const char *purpose,
		       const char *host, const char *session,
		       struct store_token_info *info)
{
	if (!store_token_session_purpose(purpose))
		return -EPX_E_DB_INVALID;
	return store_token_redeem_as(s, tok_hex, purpose, host, session, info, -EPX_E_TOK_FORMAT);
}

int store_boot_token_issue(struct store *s, const char *host, int64_t ttl,
			   char tok_hex[STORE_TOKEN_HEX + 1])
{
	int rc = -EPX_E_DB_INVALID;

	if (!store_valid_hostname(host))
		return rc;
	rc = store_token_host_exists(s, host);
	if (rc < 0)
		return rc;
	return store_token_insert(s, host, "", "boot", ttl, 0, tok_hex);
}

int store_boot_token_redeem(struct store *s, const char *tok_hex, const char *host,
			    struct store_token_info *info)
{
	return store_token_redeem_as(s, tok_hex, "boot", host, NULL, info, -EPX_E_TOK_FORMAT);
}

int store_joincred_issue(struct store *s, const char *host, const char *session,
			 int64_t ttl, char cred_hex[STORE_TOKEN_HEX + 1])
{
	int rc = -EPX_E_DB_INVALID;

	if (!store_valid_hostname(host) || !store_token_valid_session_id(session))
		return rc;
	rc = store_token_session_check(s, host, session);
	if (rc < 0)
		return rc;
	return store_token_insert(s, host, session, "cluster", ttl, 0, cred_hex);
}

int store_joincred_redeem(struct store *s, const char *cred_hex, const char *host,
			  struct store_token_info *info)
{
	return store_token_redeem_as(s, cred_hex, "cluster", host, NULL, info, -EPX_E_CRED_FORMAT);
}

int store_token_purge(struct store *s, int64_t before, uint64_t *deleted)
{
	struct db_res r;
	int rc = Q(s, "DELETE FROM tokens WHERE expires_at < $1 OR used_at < $1", &r,
		   A_INT(before));

	if (rc < 0)
		return rc;
	if (deleted)
		*deleted = r.changes;
	db_res_free(&r);
	return 0;
}

/* ----------------------------------------------------- boot credentials */

static int store_token_cred_new(struct store *s, const char *host, char cred_hex[STORE_TOKEN_HEX + 1], int pending)
{
	char hash[STORE_HASH_HEX + 1];
	int rc = -EPX_E_DB_INVALID;

	if (!store_valid_hostname(host))
		return rc;
	rc = st_secret_new(cred_hex, hash);
	if (rc < 0)
		return rc;
	rc = st_begin(s);
	if (rc < 0)
		goto out;
	{
		struct db_res r;

		rc = Q(s, pending ?
		       "UPDATE hosts SET cred_pending = $2, cred_pending_at = $3, updated = $3"
		       " WHERE name = $1" :
		       "UPDATE hosts SET cred_hash = $2, cred_revoked = 0, cred_pending = NULL,"
		       " cred_pending_at = 0, updated = $3 WHERE name = $1",
		       &r, A_TEXT(host), A_TEXT(hash), A_INT(store_now(s)));
		if (rc == 0 && r.changes == 0)
			rc = -EPX_E_DB_NOTFOUND;
		db_res_free(&r);
	}
	if (rc == 0)
		rc = st_audit_locked(s, "store", pending ? "credential.pending" :
				     "credential.issue", host, "");
	rc = st_end(s, rc);
out:
	if (rc < 0)
		explicit_bzero(cred_hex, STORE_TOKEN_HEX + 1);
	return rc;
}

int store_cred_issue(struct store *s, const char *host, char cred_hex[STORE_TOKEN_HEX + 1])
{
	return store_token_cred_new(s, host, cred_hex, 0);
}

int store_cred_pend(struct store *s, const char *host, char cred_hex[STORE_TOKEN_HEX + 1])
{
	return store_token_cred_new(s, host, cred_hex, 1);
}

int store_cred_confirm(struct store *s, const char *host, const char *cred_hex)
{
	char hash[STORE_HASH_HEX + 1];
	struct db_res r;
	int rc = -EPX_E_CRED_FORMAT;

	if (!store_valid_hostname(host))
		return -EPX_E_DB_INVALID;
	if (st_secret_hash(cred_hex, hash) < 0)
		return rc;
	rc = st_begin(s);
	if (rc < 0)
		return rc;
	rc = store_token_host_lock(s, host, &r);
	if (rc == 0) {
		if (r.nrows == 0)
			rc = -EPX_E_DB_NOTFOUND;
		else if (db_isnull(&r, 0, 2) || !store_token_hash_equal(db_text(&r, 0, 2), hash))
			rc = -EPX_E_CRED_PENDING;
		db_res_free(&r);
	}
	if (rc == 0)
		rc = store_token_cred_promote(s, host, "by the operator");
	return st_end(s, rc);
}

int store_cred_revoke(struct store *s, const char *host)
{
	struct db_res r;
	int rc = -EPX_E_DB_INVALID;

	if (!store_valid_hostname(host))
		return rc;
	rc = st_begin(s);
	if (rc < 0)
		return rc;
	rc = Q(s, "UPDATE hosts SET cred_revoked = 1, cred_pending = NULL, cred_pending_at = 0,"
	       " updated = $2 WHERE name = $1", &r,
	       A_TEXT(host), A_INT(store_now(s)));
	if (rc == 0 && r.changes == 0)
		rc = -EPX_E_DB_NOTFOUND;
	db_res_free(&r);
	if (rc == 0)
		rc = Q(s, "UPDATE sessions SET state = 'revoked', closed = $2"
		       " WHERE host = $1 AND state = 'open'", NULL, A_TEXT(host),
		       A_INT(store_now(s)));
	if (rc == 0)
		rc = st_audit_locked(s, "store", "credential.revoke", host, "");
	return st_end(s, rc);
}

/* constant-time comparison of two hex hashes of equal length */
static int store_token_hash_equal(const char *a, const char *b)
{
	unsigned char d = 0;
	size_t i;

	if (strlen(a) != STORE_HASH_HEX || strlen(b) != STORE_HASH_HEX)
		return 0;
	for (i = 0; i < STORE_HASH_HEX; i++)
		d |= (unsigned char)(a[i] ^ b[i]);
	return d == 0;
}

int store_cred_check(struct store *s, const char *host, const char *cred_hex)
{
	char hash[STORE_HASH_HEX + 1];
	struct db_res r;
	int rc = -EPX_E_CRED_FORMAT;

	if (!store_valid_hostname(host))
		return -EPX_E_CRED_UNKNOWN;
	if (st_secret_hash(cred_hex, hash) < 0) {
		store_token_audit_refusal(s, "credential.refused", NULL, rc, host);
		return rc;
	}
	rc = Q(s, "SELECT cred_hash, cred_revoked FROM hosts WHERE name = $1", &r,
	       A_TEXT(host));
	if (rc < 0)
		return rc;
	if (r.nrows == 0 || db_isnull(&r, 0, 0))
		rc = -EPX_E_CRED_UNKNOWN;
	else if (!store_token_hash_equal(db_text(&r, 0, 0), hash))
		rc = -EPX_E_CRED_BAD;
	else if (db_int(&r, 0, 1))
		rc = -EPX_E_CRED_REVOKED;
	else
		rc = 0;
	db_res_free(&r);
	if (rc < 0)
		store_token_audit_refusal(s, "credential.refused", hash, rc, host);
	return rc;
}

/* ---------------------------------------------------------------- admins */

int store_admin_issue(struct store *s, const char *name, char cred_hex[STORE_TOKEN_HEX + 1])
{
	char hash[STORE_HASH_HEX + 1];
	int rc = -EPX_E_DB_INVALID;

	if (!store_valid_label(name))
		return rc;
	rc = st_secret_new(cred_hex, hash);
	if (rc < 0)
		return rc;
	rc = st_begin(s);
	if (rc < 0)
		goto out;
	rc = Q(s, "INSERT INTO admins (name, cred_hash, revoked, created) VALUES ($1, $2, 0, $3)"
	       " ON CONFLICT (name) DO UPDATE SET cred_hash = $2, revoked = 0, created = $3",
	       NULL, A_TEXT(name), A_TEXT(hash), A_INT(store_now(s)));
	if (rc == 0)
		rc = st_audit_locked(s, "store", "admin.issue", name, "");
	rc = st_end(s, rc);
out:
	if (rc < 0)
		explicit_bzero(cred_hex, STORE_TOKEN_HEX + 1);
	return rc;
}

int store_admin_revoke(struct store *s, const char *name)
{
	struct db_res r;
	int rc = -EPX_E_DB_INVALID;

	if (!store_valid_label(name))
		return rc;
	rc = st_begin(s);
	if (rc < 0)
		return rc;
	rc = Q(s, "UPDATE admins SET revoked = 1 WHERE name = $1", &r, A_TEXT(name));
	if (rc == 0 && r.changes == 0)
		rc = -EPX_E_DB_NOTFOUND;
	db_res_free(&r);
	if (rc == 0)
		rc = st_audit_locked(s, "store", "admin.revoke", name, "");
	return st_end(s, rc);
}

static int store_token_admin_check(struct store *s, const char *cred_hex,
		       char name_out[STORE_ACTOR_MAX + 1], int audit)
{
	char hash[STORE_HASH_HEX + 1];
	struct db_res r;
	int rc = -EPX_E_CRED_FORMAT;

	if (st_secret_hash(cred_hex, hash) < 0) {
		if (audit)
			store_token_audit_refusal(s, "admin.refused", NULL, rc, "");
		return rc;
	}
	rc = Q(s, "SELECT name, revoked FROM admins WHERE cred_hash = $1", &r, A_TEXT(hash));
	if (rc < 0)
		return rc;
	if (r.nrows == 0)
		rc = -EPX_E_CRED_UNKNOWN;
	else if (db_int(&r, 0, 1))
		rc = -EPX_E_CRED_REVOKED;
	else
		rc = 0;
	if (rc == 0 && name_out)
		st_copy(name_out, STORE_ACTOR_MAX + 1, db_text(&r, 0, 0));
	db_res_free(&r);
	if (rc < 0 && audit)
		store_token_audit_refusal(s, "admin.refused", hash, rc, "");
	return rc;
}

int store_admin_check(struct store *s, const char *cred_hex, char name_out[STORE_ACTOR_MAX + 1])
{
	return store_token_admin_check(s, cred_hex, name_out, 1);
}

int store_admin_check_quiet(struct store *s, const char *cred_hex,
			    char name_out[STORE_ACTOR_MAX + 1])
{
	return store_token_admin_check(s, cred_hex, name_out, 0);
}

int store_restore_fence(struct store *s, uint64_t *n)
{
	char detail[64];
	struct db_res r = { 0 };
	uint64_t total = 0;
	int64_t now = store_now(s);
	int rc = st_begin(s);

	if (rc < 0)
		return rc;
	rc = Q(s, "UPDATE sessions SET state = 'restored', closed = $1 WHERE state = 'open'",
	       &r, A_INT(now));
	total += r.changes;
	db_res_free(&r);
	if (rc == 0)
		rc = Q(s, "UPDATE tokens SET used_at = $1 WHERE used_at IS NULL"
		       " AND purpose IN ('boot', 'cluster')", &r, A_INT(now));
	total += r.changes;
	db_res_free(&r);
	snprintf(detail, sizeof(detail), "fenced=%llu", (unsigned long long)total);
	if (rc == 0)
		rc = st_audit_locked(s, "store", "restore.fence", "all", detail);
	rc = st_end(s, rc);
	if (rc == 0 && n)
		*n = total;
	return rc;
}
