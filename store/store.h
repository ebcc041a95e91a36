/* store: epoxyd's persistent state behind one interface, two backends.
 *
 * Guarantees to epoxyd and epoxyctl:
 * - tokens and credentials are 256 bits from getrandom(2), handed to the
 *   caller exactly once as 64 lowercase hex digits and stored only as their
 *   SHA-256; the store never logs or persists a live token;
 * - a token redemption is ONE atomic conditional update (unused, unexpired,
 *   matching host/session/purpose, session open): two redemptions of one
 *   token never both succeed, whatever the number of connections, threads
 *   or epoxyd processes sharing one PostgreSQL;
 * - every refusal returns a distinct -EPX_E_TOK_* code and is appended to the
 *   audit log with at most the first 8 hex digits of the token's HASH; past
 *   STORE_REFUSAL_BURST of one kind (action, code, detail) in a window of
 *   STORE_REFUSAL_WINDOW seconds, a refusal is only counted, and the count
 *   appended as one "summary" entry after the window (a stranger's cost to
 *   the audit log is bounded; the entries still add up to every refusal);
 * - the audit log is append-only and hash-chained (each entry carries the
 *   SHA-256 of the previous one); store_audit_verify() detects an altered,
 *   removed or reordered entry;
 * - SQLite: WAL, synchronous=FULL, busy_timeout on every connection, so an
 *   acknowledged redemption survives a crash; PostgreSQL: default
 *   synchronous_commit=on;
 * - schema migrations are versioned and applied in order at store_open();
 *   opening an up-to-date store changes nothing; a store written by a newer
 *   epoxy is refused (-EPX_E_DB_SCHEMA).
 *
 * Threads: a struct store is ONE connection.  Use one struct store per thread
 * (SQLite: each has its own connection and waits up to STORE_BUSY_MS for the
 * write lock; PostgreSQL: each has its own libpq connection).  Never share one
 * between threads without a lock of your own.
 *
 * Conventions: every function returns 0 or a negative code (-errno or
 * -EPX_E_*, see lib/errors.def range 2000-2199).  Input strings are
 * NUL-terminated and validated against the caps below (-EPX_E_DB_INVALID
 * otherwise).  Output structs are caller-owned fixed-size buffers; the only
 * heap result is store_release_manifest()'s buffer, which the caller free()s.
 * List functions call cb(item, arg) per row: cb returns 0 to go on, > 0 to
 * stop early (the list function then returns 0), < 0 to abort (returned). */
#ifndef EPOXY_STORE_H
#define EPOXY_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "lib/grant.h"
#include "lib/label.h"
#include "lib/nodeproto.h"

struct store;

/* ------------------------------------------------------------------ caps */
#define STORE_URI_MAX        1024  /* "sqlite:/path" or "postgres:<conninfo>" */
#define STORE_BUSY_MS        10000 /* SQLite busy_timeout */
#define STORE_NAME_MAX       LABEL_HOST_MAX /* host names: LABEL_HOST (lib/label.h) */
#define STORE_LABEL_MAX      LABEL_TAG_MAX  /* site, hwclass, channel, group: LABEL_TAG */
#define STORE_MAC_LEN        17    /* "52-54-00-12-34-56"; ':' accepted on input */
#define STORE_MACS_MAX       8     /* MACs per host */
#define STORE_ADDR_MAX       LABEL_ADDR_MAX /* one address: LABEL_ADDR */
#define STORE_ADDRS_MAX      4     /* addresses per host */
#define STORE_GROUPS_MAX     8     /* node groups per host */
#define STORE_STATE_MAX      LABEL_WORD_MAX /* host/session state: LABEL_WORD */
#define STORE_STAGE_MAX      NODEPROTO_STAGE_MAX /* report stage: LABEL_WORD */
#define STORE_CODE_MAX       NODEPROTO_CODE_MAX  /* "EPOXY-E1234" or "" */
#define STORE_TAIL_MAX       NODEPROTO_TAIL_MAX  /* console tail bytes in a report */
#define STORE_TEXT_MAX       1024  /* site description, audit detail: printable ASCII */
#define STORE_ACTOR_MAX      LABEL_ACTOR_MAX /* audit actor/action: LABEL_ACTOR */
#define STORE_SUBJECT_MAX    128   /* audit subject: printable ASCII, no space */
#define STORE_MANIFEST_MAX   (16 * 1024) /* as docs/protocol.md */
#define STORE_TTL_MAX        (7 * 86400) /* longest token lifetime, seconds */
#define STORE_REISSUE_MAX    8     /* resume tokens per artifact per session */
#define STORE_LIST_MAX       100000 /* rows one list call returns at most */

#define STORE_TOKEN_BYTES    32
#define STORE_TOKEN_HEX      64    /* + NUL: char tok[STORE_TOKEN_HEX + 1] */
#define STORE_SESSION_BYTES  8
#define STORE_SESSION_HEX    16
#define STORE_HASH_HEX       64
#define STORE_HASHPFX_HEX    8     /* what logs may show of a token's hash */

/* --------------------------------------------------------- open / close */

/* Opens uri: "sqlite:/path/file.db" (created if missing, mode 0600) or
 * "postgres:<libpq conninfo>" (e.g. "postgres:host=/tmp/pg port=15432
 * dbname=epoxy user=epoxy").  Applies pending migrations (in a transaction,
 * serialised between processes).  *out is NULL on failure.
 * Errors: -EPX_E_DB_URI, -EPX_E_DB_BACKEND (backend not built in),
 * -EPX_E_DB_OPEN, -EPX_E_DB_SCHEMA (store newer than us), -EPX_E_DB_MIGRATE. */
int store_open(struct store **out, const char *uri);
void store_close(struct store *s);   /* NULL is fine */
/* Takes the write lock and releases it (a write transaction that changes
 * nothing): epoxyd's start-up proof that it can write its store after the
 * privilege drop.  Returns 0 or the backend's code. */
int store_check_write(struct store *s);

/* Clock used for every time-dependent call (issue, redeem, expiry, audit,
 * reports).  Default: time(NULL).  Tests inject a fake clock.  now(arg) must
 * return unix seconds. */
void store_set_clock(struct store *s, int64_t (*now)(void *arg), void *arg);
int64_t store_now(struct store *s);

/* "sqlite" or "postgres". */
const char *store_backend(const struct store *s);
/* Current schema version (highest applied migration). */
int store_schema_version(struct store *s, int *version);
/* Highest schema version this build knows. */
int store_schema_latest(void);

/* -------------------------------------------------------------- sites */
struct store_site {
	char name[STORE_LABEL_MAX + 1];
	char description[STORE_TEXT_MAX + 1];
	int64_t created;
};
int store_site_add(struct store *s, const char *name, const char *description); /* -EPX_E_DB_EXISTS */
int store_site_get(struct store *s, const char *name, struct store_site *out);  /* -EPX_E_DB_NOTFOUND */
int store_site_delete(struct store *s, const char *name); /* refused (-EPX_E_DB_INUSE) while hosts use it */
int store_site_list(struct store *s, int (*cb)(const struct store_site *, void *), void *arg);

/* -------------------------------------------------------------- hosts */
struct store_host {
	char name[STORE_NAME_MAX + 1];
	char site[STORE_LABEL_MAX + 1];          /* "" or an existing site */
	char hwclass[STORE_LABEL_MAX + 1];       /* required */
	char channel[STORE_LABEL_MAX + 1];       /* release channel, default "stable" */
	uint32_t pinned_version;                 /* 0: follow channel/group pins */
	int reinstall;                           /* 0/1 */
	int boot_direct;                         /* HTTPS boot option: 0 stage0 (iPXE), 1 the stage1 UKI */
	size_t n_macs;
	char macs[STORE_MACS_MAX][STORE_MAC_LEN + 1]; /* canonical lowercase hyphen form */
	size_t n_addrs;
	char addrs[STORE_ADDRS_MAX][STORE_ADDR_MAX + 1];
	size_t n_groups;
	char groups[STORE_GROUPS_MAX][STORE_LABEL_MAX + 1];
	/* read-only below: set by the store */
	int has_credential;                      /* a boot credential hash is stored */
	int credential_revoked;
	char state[STORE_STATE_MAX + 1];         /* "enrolled" at add; epoxyd sets others */
	char last_stage[STORE_STAGE_MAX + 1];    /* from the last report */
	char last_status[8];                     /* "ok" / "fail" / "" */
	char last_code[STORE_CODE_MAX + 1];
	size_t last_tail_len;
	char last_tail[STORE_TAIL_MAX + 1];      /* console tail, NUL-terminated too */
	int64_t created, updated, last_seen;
};
/* Validates (names, MACs, addresses, groups, labels; MACs unique across the
 * fleet: -EPX_E_DB_EXISTS) and inserts.  Read-only fields are ignored. */
int store_host_add(struct store *s, const struct store_host *h);
/* Replaces the editable fields (site .. groups) of the existing host h->name. */
int store_host_update(struct store *s, const struct store_host *h);
int store_host_get(struct store *s, const char *name, struct store_host *out);
/* mac in either "52-54-00-12-34-56" or "52:54:00:12:34:56", any case. */
int store_host_by_mac(struct store *s, const char *mac, struct store_host *out);
/* Deletes host, its MACs, credential and tokens; keeps reports and audit. */
int store_host_delete(struct store *s, const char *name);
int store_host_list(struct store *s, int (*cb)(const struct store_host *, void *), void *arg);
int store_host_set_state(struct store *s, const char *name, const char *state);
int store_host_set_reinstall(struct store *s, const char *name, int flag);
/* "direct" or "ipxe": the stored name of boot_direct's value */
const char *store_boot_path(int boot_direct);
/* Mark the host seen now (epoxyd calls it on each authenticated request). */
int store_host_touch(struct store *s, const char *name);

/* ------------------------------------------ boot credential of a host */
/* Generates a fresh credential, stores its hash (replacing any old one,
 * clearing the revoked flag) and writes the hex value to cred_hex once. */
int store_cred_issue(struct store *s, const char *host, char cred_hex[STORE_TOKEN_HEX + 1]);
/* Revokes: later checks fail with -EPX_E_CRED_REVOKED; every open boot
 * session of the host is closed (state "revoked"), so its tokens die too. */
/* Two-phase issue (issue 13): store_cred_pend makes a new credential
 * pending, the old one still works; store_cred_confirm (or the node's
 * first session with it) makes it the host's credential and ends the old
 * one and its sessions. -EPX_E_CRED_PENDING: no such pending credential.
 * (store_cred_issue above replaces the credential at once, for tools that
 * hold the store directly.) */
int store_cred_pend(struct store *s, const char *host, char cred_hex[STORE_TOKEN_HEX + 1]);
int store_cred_confirm(struct store *s, const char *host, const char *cred_hex);
int store_cred_revoke(struct store *s, const char *host);
/* Checks cred_hex for host (constant-time compare of hashes).
 * Errors: -EPX_E_CRED_FORMAT, -EPX_E_CRED_UNKNOWN (no host or no credential),
 * -EPX_E_CRED_BAD, -EPX_E_CRED_REVOKED.  Failures are audited (hash prefix). */
int store_cred_check(struct store *s, const char *host, const char *cred_hex);

/* ------------------------------------------------------- boot sessions */
struct store_session {
	char id[STORE_SESSION_HEX + 1];
	char host[STORE_NAME_MAX + 1];
	char nonce[STORE_TOKEN_HEX + 1];   /* the agent's nonce (public) */
	uint32_t version;                  /* release served */
	char hwclass[STORE_LABEL_MAX + 1];
	char state[STORE_STATE_MAX + 1];   /* "open", then "ok", "failed", "revoked", "expired" */
	int64_t opened, closed;            /* closed 0 while open */
};
/* Opens a session (8 random bytes as id) for an existing host.  nonce_hex:
 * 64 hex digits.  id_hex receives the 16-hex id. */
int store_session_open(struct store *s, const char *host, const char *nonce_hex,
		       uint32_t version, const char *hwclass,
		       char id_hex[STORE_SESSION_HEX + 1]);
/* Checks host's boot credential (active, or pending: then confirmed) and
 * opens a session in one transaction that locks the host's row, so that a
 * concurrent revoke, rotate or delete either sees the session and closes
 * it or is seen by this check; refusals as store_cred_check. */
int store_session_open_cred(struct store *s, const char *host, const char *cred_hex,
			    const char *nonce_hex, uint32_t version, const char *hwclass,
			    char id_hex[STORE_SESSION_HEX + 1]);
int store_session_get(struct store *s, const char *id_hex, struct store_session *out);
/* Closes an open session with a final state ("ok", "failed", ...).
 * -EPX_E_SESS_CLOSED if it was not open. */
int store_session_close(struct store *s, const char *id_hex, const char *state);
/* Closes every session still open that was opened before `before` (unix
 * seconds) as "expired": a node that died mid-boot leaves no live session
 * (and so no live token) behind.  *n (may be NULL) gets the count. */
int store_session_expire(struct store *s, int64_t before, uint64_t *n);
/* Sessions of host, newest first (host NULL: all), at most limit rows. */
int store_session_list(struct store *s, const char *host, size_t limit,
		       int (*cb)(const struct store_session *, void *), void *arg);

/* --------------------------------------------------------------- tokens */
/* Purposes: the protocol's "manifest", "kernel", "initramfs", "cmdline",
 * "join", "joincred", "report"; plus "boot" (one-time boot token from
 * `epoxyctl token issue`, no session) and "cluster" (the join credential
 * served on /v1/joincred). */
int store_purpose_valid(const char *purpose);

/* What a successful redemption tells the caller. */
struct store_token_info {
	char host[STORE_NAME_MAX + 1];
	char session[STORE_SESSION_HEX + 1]; /* "" for boot/cluster tokens */
	char purpose[16];
	uint32_t reissue;                     /* 0 = first token, n = n-th resume token */
	int64_t expires;
};

/* Issues a token for host+session+purpose living ttl seconds
 * (1..STORE_TTL_MAX).  session must be an open session of host.
 * tok_hex receives the value ONCE; the caller must explicit_bzero it after
 * sending.  Purposes "boot" and "cluster" are not valid here. */
int store_token_issue(struct store *s, const char *host, const char *session,
		      const char *purpose, int64_t ttl, char tok_hex[STORE_TOKEN_HEX + 1]);
/* Issues the n-th resume token of (session, purpose) for Epoxy-Next-Token:
 * -EPX_E_TOK_REISSUE once STORE_REISSUE_MAX were issued (atomic counter). */
int store_token_reissue(struct store *s, const char *host, const char *session,
			const char *purpose, int64_t ttl, char tok_hex[STORE_TOKEN_HEX + 1]);
/* Redeems tok_hex for purpose; host and/or session may be NULL (not checked:
 * the token then tells who the caller is, via *info, which may be NULL).
 * Success marks it used in the same atomic statement.
 * Refusals (each audited, with at most STORE_HASHPFX_HEX digits of the hash):
 * -EPX_E_TOK_FORMAT, -EPX_E_TOK_UNKNOWN, -EPX_E_TOK_USED, -EPX_E_TOK_EXPIRED,
 * -EPX_E_TOK_HOST, -EPX_E_TOK_SESSION, -EPX_E_TOK_PURPOSE,
 * -EPX_E_TOK_CLOSED (its session is no longer open).
 * The reason is diagnosed after the atomic update failed; a race can only
 * change which refusal is reported, never turn a refusal into success. */
/* What store_token_redeem would decide, without spending the token: 0 and
 * info (and the host's addresses, space-separated, "" when unbound) when
 * it would redeem now; else the refusal, diagnosed and audited the same
 * way.  A caller validates the request against info, then redeems with
 * host and session bound to info's. */
#define STORE_ADDRS_TEXT (STORE_ADDRS_MAX * (STORE_ADDR_MAX + 1))
int store_token_peek(struct store *s, const char *tok_hex, const char *purpose,
		     struct store_token_info *info, char addrs[STORE_ADDRS_TEXT + 1]);
int store_token_redeem(struct store *s, const char *tok_hex, const char *purpose,
		       const char *host, const char *session,
		       struct store_token_info *info);

/* One-time boot token (`epoxyctl token issue`): purpose "boot", no session. */
int store_boot_token_issue(struct store *s, const char *host, int64_t ttl,
			   char tok_hex[STORE_TOKEN_HEX + 1]);
/* Redeems it for host (NULL: any host; *info tells which). */
int store_boot_token_redeem(struct store *s, const char *tok_hex, const char *host,
			    struct store_token_info *info);

/* Join credential (purpose "cluster"), issued for a session's joincred
 * request; its hash is kept, with issued/used times. */
int store_joincred_issue(struct store *s, const char *host, const char *session,
			 int64_t ttl, char cred_hex[STORE_TOKEN_HEX + 1]);
int store_joincred_redeem(struct store *s, const char *cred_hex, const char *host,
			  struct store_token_info *info);

/* Deletes tokens that expired or were used before `before` (unix seconds).
 * A replay of a purged token is then refused as -EPX_E_TOK_UNKNOWN. */
int store_token_purge(struct store *s, int64_t before, uint64_t *deleted);

/* After restoring a backup: tokens spent after the backup would be unspent
 * again.  This closes every open boot session (state "restored", killing
 * their tokens) and marks every unused boot token and join credential used;
 * audited.  Nodes then simply open new sessions; operators re-issue boot
 * tokens.  *n (may be NULL) gets sessions + tokens fenced. */
int store_restore_fence(struct store *s, uint64_t *n);

/* ------------------------------------------------------------- releases */
enum store_role { STORE_ROLE_KERNEL, STORE_ROLE_INITRAMFS, STORE_ROLE_CMDLINE,
		  STORE_ROLE_JOIN, STORE_ROLES };
const char *store_role_name(enum store_role r);        /* "kernel" ... */
int store_role_parse(const char *name, enum store_role *out);

struct store_release {
	uint32_t version;                    /* > 0 */
	char hwclass[STORE_LABEL_MAX + 1];
	int64_t expires;                     /* manifest's expires */
	int64_t published;                   /* set by the store */
	char manifest_sha256[STORE_HASH_HEX + 1]; /* set by the store */
	struct {
		uint64_t length;
		char sha256[STORE_HASH_HEX + 1]; /* content address under objects/ */
	} art[STORE_ROLES];
};
/* Records a release: r (parsed and verified by the caller from manifest,
 * e.g. with lib/manifest.h) plus the manifest bytes verbatim (<=
 * STORE_MANIFEST_MAX).  (hwclass, version) is unique: -EPX_E_DB_EXISTS.
 * The store computes manifest_sha256.  The artifact bytes must already be
 * under the data dir (store_object_put). */
int store_release_publish(struct store *s, const struct store_release *r,
			  const uint8_t *manifest, size_t manifest_len);
int store_release_get(struct store *s, const char *hwclass, uint32_t version,
		      struct store_release *out);
/* Manifest bytes; *buf is malloc'd, caller free()s. */
int store_release_manifest(struct store *s, const char *hwclass, uint32_t version,
			   uint8_t **buf, size_t *len);
int store_release_list(struct store *s, int (*cb)(const struct store_release *, void *), void *arg);

/* Channels: name -> version.  version 0 deletes the channel. */
int store_channel_set(struct store *s, const char *channel, uint32_t version);
int store_channel_get(struct store *s, const char *channel, uint32_t *version);
/* Canary: hosts in group that follow channel get version instead
 * (version 0 removes the pin). */
int store_group_pin(struct store *s, const char *group, const char *channel, uint32_t version);
/* The release a host must boot: the host's pin, else the highest group pin
 * among its groups for its channel, else the version of a rollout in
 * progress on its channel that moved it, else its channel; then the release of
 * that version for the host's hwclass.  -EPX_E_DB_NORELEASE if none. */
int store_host_release(struct store *s, const char *host, struct store_release *out);

/* dbx updates (issue 13 point 10): the fleet's forbidden-signature database
 * updates, stored verbatim; the current one is the last published. */
#define STORE_DBX_MAX (32 * 1024)            /* = DBX_UPDATE_MAX (lib/dbx.h) */
struct store_dbx {
	char sha256[STORE_HASH_HEX + 1];
	uint32_t hashes;                     /* image hashes it retires */
	int64_t published;
	char actor[STORE_ACTOR_MAX + 1];
	size_t length;
};
/* Records buf (the caller checked its shape) by actor; writes its SHA-256
 * hex.  -EPX_E_DB_TOOBIG over STORE_DBX_MAX. */
int store_dbx_publish(struct store *s, const uint8_t *buf, size_t len,
		      uint32_t nhash, const char *actor,
		      char sha256_hex[STORE_HASH_HEX + 1]);
/* The update with this SHA-256 hex (NULL: the current one), and with buf
 * non-NULL its bytes (malloc'd, caller frees).  -EPX_E_DB_NOTFOUND if none. */
int store_dbx_get(struct store *s, const char *sha256_hex, struct store_dbx *out,
		  uint8_t **buf, size_t *len);

/* Content-addressed artifact files: <datadir>/objects/<sha256hex>.
 * store_object_put copies src_path there (write tmp, fsync, rename),
 * computing its SHA-256 and length while copying. */
int store_object_put(const char *datadir, const char *src_path,
		     char sha256_hex[STORE_HASH_HEX + 1], uint64_t *length);
/* Path of an object; -ENAMETOOLONG if it does not fit in len. */
int store_object_path(const char *datadir, const char *sha256_hex, char *path, size_t len);

/* ----------------------------------------------------- reports / events */
struct store_report {
	int64_t id;                          /* set by the store */
	char host[STORE_NAME_MAX + 1];
	char session[STORE_SESSION_HEX + 1]; /* "" if none */
	char stage[STORE_STAGE_MAX + 1];
	char status[8];                      /* "ok" or "fail" */
	char code[STORE_CODE_MAX + 1];       /* "EPOXY-E1234" or "" */
	size_t tail_len;                     /* <= STORE_TAIL_MAX, any bytes but NUL */
	char tail[STORE_TAIL_MAX + 1];
	int64_t time;                        /* set by the store */
};
/* Appends a report and updates the host's last_* fields in one transaction. */
int store_report_add(struct store *s, const struct store_report *r);
/* Newest first, at most limit (host NULL: all hosts). */
int store_report_list(struct store *s, const char *host, size_t limit,
		      int (*cb)(const struct store_report *, void *), void *arg);

/* ---------------------------------------------------------------- admins */
/* Creates (or replaces) an operator credential; value written once. */
int store_admin_issue(struct store *s, const char *name, char cred_hex[STORE_TOKEN_HEX + 1]);
int store_admin_revoke(struct store *s, const char *name);
/* Finds the admin whose credential this is; name_out gets its name.
 * -EPX_E_CRED_FORMAT, -EPX_E_CRED_UNKNOWN, -EPX_E_CRED_REVOKED. */
int store_admin_check(struct store *s, const char *cred_hex, char name_out[STORE_ACTOR_MAX + 1]);

/* Refusals of credentials and tokens past their burst (see above): the
 * counts of every window that is over are appended as summaries; all = 1
 * also the current window's (at shutdown).  Called by housekeeping. */
#define STORE_REFUSAL_WINDOW 60
#define STORE_REFUSAL_BURST 5
void store_refusals_flush(struct store *s, int all);
/* A caller's own refusal, audited like the store's: in full for the first
 * STORE_REFUSAL_BURST of its kind (action and detail) in a window, then
 * counted into the window's summary.  0 or the append's error. */
int store_audit_refusal(struct store *s, const char *actor, const char *action,
			const char *subject, const char *detail);
/* The same check without the audit entry of a refusal: for callers that
 * audit refusals themselves, in a bounded way (epoxyd's admin lockout). */
int store_admin_check_quiet(struct store *s, const char *cred_hex,
			    char name_out[STORE_ACTOR_MAX + 1]);

/* ------------------------------------------------------------ audit log */
struct store_audit {
	int64_t seq;                          /* 1, 2, 3 ... */
	int64_t time;
	char actor[STORE_ACTOR_MAX + 1];      /* "epoxyd", "admin:alice", "ctl" ... */
	char action[STORE_ACTOR_MAX + 1];     /* "token.refused", "host.add" ... */
	char subject[STORE_SUBJECT_MAX + 1];  /* host name, session id, hash prefix */
	char detail[STORE_TEXT_MAX + 1];
	char prev[STORE_HASH_HEX + 1];        /* hash of entry seq-1 (zeros for 1) */
	char hash[STORE_HASH_HEX + 1];        /* SHA-256 over prev and this entry */
};
/* Appends one entry (serialised across connections and processes). */
int store_audit_append(struct store *s, const char *actor, const char *action,
		       const char *subject, const char *detail);
/* Recomputes the whole chain.  0, or -EPX_E_AUDIT_BROKEN with *bad_seq set
 * to the first entry that does not verify (bad_seq may be NULL). */
int store_audit_verify(struct store *s, int64_t *bad_seq);
/* Entries with seq > after, oldest first, at most limit. */
int store_audit_list(struct store *s, int64_t after, size_t limit,
		     int (*cb)(const struct store_audit *, void *), void *arg);
/* The hash an entry must carry (exposed for tests and external verifiers). */
void store_audit_hash(const struct store_audit *e, char out[STORE_HASH_HEX + 1]);

/* --------------------------------------------------- validation helpers */
/* 1 valid, 0 not: label_check LABEL_HOST / LABEL_TAG (lib/label.h) */
int store_valid_hostname(const char *s);
int store_valid_label(const char *s);
/* 1 if c is "" or a console code as epx_code() spells it (epx_code_parse(),
 * known to this registry or not) */
int store_valid_code(const char *c);
/* Canonicalises a MAC into out ("52-54-00-12-34-56"); -EPX_E_DB_INVALID.
 * out may be the input buffer itself. */
int store_mac_canon(const char *in, char out[STORE_MAC_LEN + 1]);

/* ------------------------------------- node certificates (issue 14) */
/* Serials of the node client certificates epoxyd issued (server/nodeid.h):
 * STORE_SERIAL_HEX lowercase hex digits.  store_nodecert_add records one
 * for host (bound to the host's boot credential of that moment; audited
 * "nodecert.issued"); -EPX_E_NID_REVOKED if the host is gone.
 * store_nodecert_check: 0 while the serial is recorded for host, unexpired,
 * not revoked, and the host exists with the same unrevoked boot credential
 * and was not re-created since; else -EPX_E_NID_REVOKED.
 * store_nodecert_heartbeat: the same check, then marks the host seen and,
 * the first time, "joined" (*first = 1, audited "node.joined").
 * store_nodecert_revoke: revokes every certificate of host (*n: how many;
 * n may be NULL).
 * store_nodecert_latest: the newest certificate (issued last, then ending
 * last) issued to host since it was (last) added, and the host's last
 * heartbeat with any of them; -EPX_E_DB_NOTFOUND when there is none. */
#define STORE_SERIAL_HEX     32
struct store_nodecert {
	char serial[STORE_SERIAL_HEX + 1];
	int64_t not_before, not_after;
	int revoked;                    /* this one revoked (host revokes: see check) */
	int64_t last_heartbeat;         /* 0: none yet */
};
int store_nodecert_add(struct store *s, const char *serial, const char *host,
		       int64_t not_before, int64_t expires);
int store_nodecert_latest(struct store *s, const char *host, struct store_nodecert *out);
int store_nodecert_check(struct store *s, const char *serial, const char *host);
int store_nodecert_heartbeat(struct store *s, const char *serial, const char *host,
			     int *first);
int store_nodecert_revoke(struct store *s, const char *host, uint64_t *n);

/* ------------------------------------------ inventory (issue 16 point 3) */
/* What the node said it is at its boots (lib/inventory.h; epoxyd stores
 * only the canonical text of a report that passed inventory_parse).
 * store_inventory_put: in one transaction with its audit entry: the first
 * report of a host is stored; one equal to the stored one only refreshes
 * session and time; one that differs keeps the stored one as prev, sets
 * changed to now, and appends ONE audit entry "host.inventory-changed"
 * (detail: what differs, printable ASCII, at most STORE_INV_DETAIL_MAX):
 * *changed = 1 then, else 0.  body: 1..STORE_INVENTORY_MAX bytes of
 * printable ASCII and '\n'.  A deleted host's inventory goes with it.
 * store_inventory_get: -EPX_E_DB_NOTFOUND when the host never reported. */
#define STORE_INVENTORY_MAX NODEPROTO_INV_MAX
#define STORE_INV_DETAIL_MAX 200
struct store_inventory {
	char body[STORE_INVENTORY_MAX + 1];      /* the latest report */
	char prev[STORE_INVENTORY_MAX + 1];      /* before the last change; "" */
	char session[STORE_SESSION_HEX + 1];     /* of the latest report */
	int64_t reported;                        /* time of the latest report */
	int64_t changed;                         /* time of the last change; 0 never */
};
int store_inventory_put(struct store *s, const char *host, const char *session,
			const char *body, const char *detail, int *changed);
int store_inventory_get(struct store *s, const char *host, struct store_inventory *out);
/* When host's inventory last changed (0: never or no inventory): the
 * fleet list's light query. */
int store_inventory_changed(struct store *s, const char *host, int64_t *changed);

/* ------------------------------------ sliver usage (issue 14 point 7) */
/* The last sensor snapshot each host's node manager sent with a heartbeat
 * (lib/usage.h's canonical line; the store parses it once more and keeps
 * only what parses): at is the node's clock when it took it, received the
 * server's when the heartbeat came.  One row per host, replaced by each
 * snapshot; deleted with the host. */
struct store_usage {
	int64_t at, received;
	char body[USAGE_BYTES_MAX + 1];
};
/* 0, -EPX_E_DB_INVALID (host, at or body) or a store error. */
int store_usage_put(struct store *s, const char *host, int64_t at, const char *body);
/* 0, or -EPX_E_DB_NOTFOUND when host never sent one. */
int store_usage_get(struct store *s, const char *host, struct store_usage *out);

/* ----------------------------------------- slices and images (issue 14) */
/* The SliceDB.  A slice has a name (STORE_SLICE_NAME_MAX), an owner site
 * (an existing site), an expiry (unix seconds), an image vref
 * ("sha256:<64 hex>", a published image), an entry command (printable
 * ASCII, 1..STORE_ENTRY_MAX bytes), its nodes (hosts and node groups) and
 * resource attributes with explicit units (store_attrs[] names each, its
 * unit, range and built-in default; 0 means "no limit" for every one but
 * cpu_share).  An attribute is set at one of three scopes: the slice's
 * default, a node group, a host; store_sliver_get()/store_sliver_list()
 * resolve it for a host: the host's own value, else the value of the
 * first of the host's groups (in the host's own order) that has one, else
 * the slice default, else the built-in default.  A slice whose expiry has
 * passed is never resolved (it vanishes from every node without an
 * operator); it stays listed until deleted or renewed.
 * Grants (schema v14): the privileged operations a slice's slivers may
 * ask the node's epoxy-priv for, lib/grant.h's canonical list, slice
 * scope only (no precedence); resolved with the sliver like the rest.
 * Images: a root filesystem tarball published content-addressed
 * (objects/<sha256>); the store keeps its name, length and publisher. */
#define STORE_SLICE_NAME_MAX   32
#define STORE_ENTRY_MAX        1024
#define STORE_VREF_LEN         (7 + STORE_HASH_HEX)   /* "sha256:" + hex */
#define STORE_SLICES_MAX       4096  /* slices in the store */
#define STORE_SLICE_NODES_MAX  1024  /* hosts + groups of one slice */
#define STORE_SLICE_ATTRS_MAX  4096  /* attribute rows of one slice */
#define STORE_SLIVERS_MAX      SLIVERSET_MAX_SLIVERS /* live slivers one host may be given */
#define STORE_SLICE_LIFE_MIN   60
#define STORE_SLICE_LIFE_MAX   (56 * 86400)
#define STORE_IMAGES_MAX       4096
#define STORE_IMAGE_MAX        ((uint64_t)16 << 30) /* bytes of one image */

enum store_attr {
	STORE_ATTR_CPU_SHARE,           /* cpu.weight, relative (1..10000) */
	STORE_ATTR_CPU_PCT,             /* cpu.max, percent of one CPU; 0 none */
	STORE_ATTR_MEM_MAX,             /* bytes; 0 none */
	STORE_ATTR_TASKS_MAX,           /* pids.max; 0 none */
	STORE_ATTR_DISK_MAX,            /* bytes (project quota); 0 none */
	STORE_ATTR_NET_MIN_RATE,        /* bit/s guaranteed; 0 none */
	STORE_ATTR_NET_MAX_RATE,        /* bit/s ceiling; 0 none */
	STORE_ATTR_NET_MAX_BYTES_PER_DAY, /* bytes sent per day; 0 none */
	STORE_ATTR_N
};
struct store_attr_def {
	const char *name;   /* the attribute's one spelling, "cpu_share" ... */
	const char *unit;   /* "weight", "percent", "bytes", "tasks", "bit/s" */
	uint64_t min, max;  /* inclusive range of a set value */
	uint64_t def;       /* built-in default */
};
extern const struct store_attr_def store_attrs[STORE_ATTR_N];
/* 0 and *out, or -EPX_E_SLICE_ATTR. */
int store_attr_parse(const char *name, enum store_attr *out);
/* 1 valid, 0 not: [a-z0-9][a-z0-9._-]{0,STORE_SLICE_NAME_MAX-1} */
int store_valid_slice(const char *name);

enum store_scope { STORE_SCOPE_SLICE, STORE_SCOPE_GROUP, STORE_SCOPE_HOST };

struct store_slice {
	char name[STORE_SLICE_NAME_MAX + 1];
	char site[STORE_LABEL_MAX + 1];
	int64_t expires;
	char vref[STORE_VREF_LEN + 1];
	char entry[STORE_ENTRY_MAX + 1];
	/* read-only below: set by the store */
	int64_t created, updated;
	size_t n_hosts, n_groups, n_overrides; /* overrides: group and host rows */
	uint32_t attr_set;                  /* bit a: a slice default for attr a */
	uint64_t attr[STORE_ATTR_N];        /* slice defaults (built-in if unset) */
	char grants[GRANT_LIST_MAX + 1];    /* lib/grant.h's list; "" none */
};
/* A slice's resolved attributes on one host: what the host runs. */
struct store_sliver {
	char slice[STORE_SLICE_NAME_MAX + 1];
	char site[STORE_LABEL_MAX + 1];
	int64_t expires;
	char vref[STORE_VREF_LEN + 1];
	char entry[STORE_ENTRY_MAX + 1];
	uint64_t attr[STORE_ATTR_N];
	char grants[GRANT_LIST_MAX + 1];    /* the slice's */
};
/* One attribute change: unset = 1 removes the value at that scope. */
struct store_attr_change {
	enum store_attr attr;
	uint64_t value;
	int unset;
};
/* One row of a slice's nodes or attribute values. */
struct store_slice_row {
	enum store_scope scope;             /* GROUP or HOST for nodes */
	char target[STORE_NAME_MAX + STORE_LABEL_MAX + 1]; /* host, group, "" */
	enum store_attr attr;               /* attribute rows only */
	uint64_t value;
};

/* Adds sl (name, site, expires, vref, entry; the rest ignored).  Errors:
 * -EPX_E_SLICE_NAME, _SITE, _IMAGE, _ENTRY, _EXPIRY (expires not within
 * [now + LIFE_MIN, now + LIFE_MAX]), _TOOMANY, -EPX_E_DB_EXISTS. */
int store_slice_add(struct store *s, const struct store_slice *sl);
/* -EPX_E_SLICE_NOTFOUND when there is no such slice (expired: found). */
int store_slice_get(struct store *s, const char *name, struct store_slice *out);
int store_slice_list(struct store *s, int (*cb)(const struct store_slice *, void *), void *arg);
/* Replaces vref and/or entry (NULL: unchanged). */
int store_slice_update(struct store *s, const char *name, const char *vref,
		       const char *entry);
/* The slice's grants := its grants + add - del (lists of grants
 * separated by ',' or ' ', NULL: none; lib/grant.h's grant_list_edit)
 * in one transaction; *out (GRANT_LIST_MAX + 1 bytes, may be NULL) the
 * new list.  Errors: -EPX_E_SLICE_GRANT, _SECRET, _NOGRANT, _GRANTS,
 * _NOTFOUND. */
int store_slice_grant(struct store *s, const char *name, const char *add, const char *del,
		      char *out);
/* New expiry, checked as at add. */
int store_slice_renew(struct store *s, const char *name, int64_t expires);
/* Deletes the slice, its nodes and attribute values. */
int store_slice_delete(struct store *s, const char *name);
/* Adds (add = 1) or removes hosts and groups, all or none.  A host must
 * exist; adding a node already in the slice, or removing one that is not,
 * is -EPX_E_SLICE_NODE; removing a node removes its attribute values. */
int store_slice_nodes(struct store *s, const char *name, int add,
		      const char *const *hosts, size_t n_hosts,
		      const char *const *groups, size_t n_groups);
/* Sets or unsets attribute values at one scope (target: "" for the slice,
 * else a group label or an existing host), all or none; each value is
 * checked against its range (-EPX_E_SLICE_RANGE). */
int store_slice_attrs(struct store *s, const char *name, enum store_scope scope,
		      const char *target, const struct store_attr_change *ch, size_t n);
/* The slice's nodes (attr_rows = 0) or group and host attribute values
 * (attr_rows = 1), sorted. */
int store_slice_rows(struct store *s, const char *name, int attr_rows,
		     int (*cb)(const struct store_slice_row *, void *), void *arg);
/* The slice's sliver on host, resolved (see above): -EPX_E_SLICE_NOTFOUND
 * when the slice is unknown or expired, or host is not one of its nodes
 * (directly or through one of its groups). */
int store_sliver_get(struct store *s, const char *slice, const char *host,
		     struct store_sliver *out);
/* Every live sliver of host, sorted by slice name; -EPX_E_SLICE_TOOMANY
 * past STORE_SLIVERS_MAX. */
int store_sliver_list(struct store *s, const char *host,
		      int (*cb)(const struct store_sliver *, void *), void *arg);

/* The serial of host's sliver set (issue 14 point 2): digest_hex (64 hex)
 * names the content of the set epoxyd built for host.  The first call for
 * a host starts at 1; a call with another digest than the last one adds 1,
 * in one atomic update, so the serial grows strictly on every change that
 * reaches the host (a slice edit, an expiry, a group change) whatever
 * caused it and however many epoxyd share the store; the same digest keeps
 * the serial.  Kept across deletion and re-creation of the host. */
int store_sliver_serial(struct store *s, const char *host, const char *digest_hex,
			uint64_t *serial);

struct store_image {
	char sha256[STORE_HASH_HEX + 1];
	char name[STORE_LABEL_MAX + 1];
	uint64_t length;
	int64_t published;
	char actor[STORE_ACTOR_MAX + 1];
};
/* Records an image whose object is already in place.  -EPX_E_DB_EXISTS
 * for the same sha256, -EPX_E_SLICE_TOOMANY past STORE_IMAGES_MAX. */
int store_image_add(struct store *s, const struct store_image *im);
int store_image_get(struct store *s, const char *sha256_hex, struct store_image *out);
int store_image_list(struct store *s, int (*cb)(const struct store_image *, void *), void *arg);
/* The measurement archive (issue 15 point 3).  An experiment: a LABEL_TAG
 * name not starting with '.', its datatypes (comma-separated LABEL_TAG
 * names, at most STORE_EXP_DATATYPES_MAX bytes, checked by epoxyd), its
 * embargo in days (0..STORE_EMBARGO_DAYS_MAX) and the slice that runs it
 * (LABEL_TAG or "").  store_experiment_put creates (-EPX_E_DB_EXISTS) or
 * sets (-EPX_E_DB_NOTFOUND) one, audited "experiment.create|set" by actor
 * (LABEL_ACTOR, "epoxyd" when NULL) in the same transaction.
 * store_experiment_delete removes one that no recorded bundle names
 * (-EPX_E_EXP_BUSY otherwise: its bundles would silently turn private),
 * audited "experiment.delete".
 * A bundle: host, experiment, sha256, size, stored time; public_at is
 * stored + the experiment's embargo_days (now, not when it was stored).
 * store_bundle_add records one, idempotent (*existed = 1 the second
 * time), audited "archive.stored".  store_bundle_list filters by
 * experiment and sha256 (NULL: any) and, with public_only, keeps only
 * the bundles of a registered experiment whose embargo ended by the
 * store's clock (a bundle of an unregistered one is never public).
 * store_bundle_find does the same with a node filter, a stored-time window
 * [since, until) (0: open) and a row cap (0: STORE_BUNDLES_LIST_MAX),
 * oldest first; every filter is checked before the query.
 * location says where the bytes are (STORE_BUNDLE_LOCAL, _S3_PRIVATE,
 * _S3_PUBLIC; "" on add means local); a bundle in STORE_BUNDLE_S3_PRIVATE
 * is never public, whatever its embargo says, until store_bundle_move
 * (compare-and-set: 0, or -EPX_E_DB_NOTFOUND when it is not at from any
 * more) records that housekeeping moved it, audited "archive.moved".
 * name is the bundle's archive name (lib/bundlename.h; "" for a bundle
 * recorded before schema v15): checked by bundlename_parse, its node and
 * experiment the record's, unique among all bundles (store_bundle_add
 * refuses another bundle's name with -EPX_E_ARC_NAMETAKEN; the same
 * bundle again is *existed = 1, whatever name it came with, and out, when
 * not NULL, gets the recorded row).  store_bundle_by_name finds one by
 * its name (-EPX_E_DB_NOTFOUND). */
#define STORE_EXP_DATATYPES_MAX 1024
#define STORE_EMBARGO_DAYS_MAX 3650
#define STORE_BUNDLE_NAME_MAX 400       /* lib/bundlename.h's BUNDLENAME_MAX */
struct store_experiment {
	char name[STORE_LABEL_MAX + 1];
	char datatypes[STORE_EXP_DATATYPES_MAX + 1];
	int64_t embargo_days;
	char slice[STORE_LABEL_MAX + 1];
	int64_t created, updated;
};
int store_experiment_put(struct store *s, const struct store_experiment *e, int create,
			 const char *actor);
int store_experiment_delete(struct store *s, const char *name, const char *actor);
int store_experiment_get(struct store *s, const char *name, struct store_experiment *out);
int store_experiment_list(struct store *s,
			  int (*cb)(const struct store_experiment *, void *), void *arg);
struct store_bundle {
	char host[STORE_NAME_MAX + 1];
	char experiment[STORE_LABEL_MAX + 1];
	char sha256[65];
	int64_t size, stored, public_at;
	char location[16];
	char name[STORE_BUNDLE_NAME_MAX + 1];   /* "" before v15 */
};
#define STORE_BUNDLE_LOCAL "local"
#define STORE_BUNDLE_S3_PRIVATE "s3-private"
#define STORE_BUNDLE_S3_PUBLIC "s3-public"
int store_bundle_move(struct store *s, const struct store_bundle *b, const char *from,
		      const char *to);
int store_bundle_add(struct store *s, const struct store_bundle *b, int *existed,
		     struct store_bundle *out);
int store_bundle_by_name(struct store *s, const char *name, struct store_bundle *out);
int store_bundle_get(struct store *s, const char *host, const char *experiment,
		     const char *sha256, struct store_bundle *out);
int store_bundle_list(struct store *s, const char *experiment, const char *sha256,
		      int public_only, int (*cb)(const struct store_bundle *, void *), void *arg);
#define STORE_BUNDLES_LIST_MAX 100000
struct store_bundle_query {
	const char *experiment, *host, *sha256;  /* NULL: any */
	const char *location;                    /* NULL: any */
	int64_t since, until;                    /* stored in [since, until); 0: open */
	size_t limit;                            /* 0: STORE_BUNDLES_LIST_MAX */
	int public_only;
};
int store_bundle_find(struct store *s, const struct store_bundle_query *q,
		      int (*cb)(const struct store_bundle *, void *), void *arg);

/* ---------------------------------------------- rollouts (issue 16 point 2) */
/* A rollout moves the hosts of a channel from the channel's version to a
 * new one in waves, so a bad release reaches few hosts:
 * - the hosts taken are those that follow the channel without a pin (a
 *   host pin or a group pin for the channel): a pinned host is never
 *   moved; they are ordered round-robin across sites (sites by name, hosts
 *   by name within a site), so the canaries (wave 0) come from as many
 *   sites as there are canaries, and every later wave of step_pct % of
 *   the hosts is spread the same way;
 * - a moved host is served the new version at its next session
 *   (store_host_release); a host not yet moved keeps the channel's old
 *   version, whatever happens to the rollout;
 * - store_rollout_tick() classifies the moved hosts: "joined" once the host
 *   is joined (its node certificate heartbeat) after a session of the new
 *   version opened since its move; "failed" when it is in state "failed"
 *   after such a session; "gone" when it was deleted, re-pinned or left the
 *   channel.  More than max_failures failed hosts halt the rollout (no host
 *   moves any more; abort sends the moved ones back).  When no host of the
 *   current wave is still "moved", and wait seconds later, the next wave is
 *   moved; after the last one the channel is set to the new version and the
 *   rollout is "done";
 * - every change is one transaction that first updates the rollout's row
 *   (a row lock on PostgreSQL, the write lock on SQLite) and moves hosts
 *   with an update conditional on state 'waiting': however many epoxyd
 *   share the store, and across restarts, a host is moved at most once per
 *   rollout and a wave at most once;
 * - at most one rollout per channel is running, paused or halted (a unique
 *   index): a second start is -EPX_E_RO_ACTIVE;
 * - start, pause, resume, abort and every wave, halt and completion append
 *   an audit entry in the same transaction. */
#define STORE_ROLLOUT_WAIT_MAX (30 * 86400)  /* seconds between waves */
#define STORE_ROLLOUT_FAIL_MAX 100000        /* --max-failures */
#define STORE_ROLLOUT_ARG_MAX  24            /* bytes of one spec argument */
#define STORE_ROLLOUT_STATE_MAX 8            /* "running" "paused" "halted" "done" "aborted" */

struct store_rollout_spec {
	uint32_t canary;        /* hosts in wave 0, or */
	uint32_t canary_pct;    /* percent of the hosts (rounded up); one is 0 */
	uint32_t step_pct;      /* percent of the hosts per later wave (rounded up) */
	uint32_t max_failures;  /* failed hosts tolerated; one more halts */
	int64_t wait;           /* seconds between a wave's completion and the next */
};

/* Parses the operator's spelling (NULL: the default): canary "N" (1 to
 * STORE_LIST_MAX, default 1) or "P%" (1-100), step "P%" (1-100, default
 * 25%), max_failures "F" (0 to STORE_ROLLOUT_FAIL_MAX, default 0), wait a
 * duration "N" or "N" followed by s, m, h or d (at most
 * STORE_ROLLOUT_WAIT_MAX seconds, default 0); numbers through lib/num,
 * each argument at most STORE_ROLLOUT_ARG_MAX bytes.  -EPX_E_RO_SPEC. */
int store_rollout_spec_parse(const char *canary, const char *step,
			     const char *max_failures, const char *wait,
			     struct store_rollout_spec *out);

struct store_rollout {
	int64_t id;
	char channel[STORE_LABEL_MAX + 1];
	uint32_t version, from_version;
	char state[STORE_ROLLOUT_STATE_MAX + 1];
	int64_t wave, waves;            /* current wave (0: canaries), wave count */
	struct store_rollout_spec spec;
	int64_t wave_done;              /* when the current wave completed, 0: not */
	char actor[STORE_ACTOR_MAX + 1];
	int64_t created, updated;
	/* counts of its hosts by state */
	uint64_t hosts, waiting, moved, joined, failed, gone;
	uint64_t wave_hosts, wave_left; /* hosts of the current wave, of them still moved */
};

/* Starts a rollout of channel to version (> 0, != the channel's version,
 * which must exist: -EPX_E_RO_CHANNEL) and moves its canaries.
 * -EPX_E_RO_ACTIVE, -EPX_E_RO_NOHOSTS, -EPX_E_RO_SPEC, -EPX_E_DB_INVALID.
 * out (may be NULL) gets the rollout as started. */
int store_rollout_start(struct store *s, const char *actor, const char *channel,
			uint32_t version, const struct store_rollout_spec *spec,
			struct store_rollout *out);
/* The channel's rollout in progress, else its latest one
 * (-EPX_E_RO_NONE when it never had one). */
int store_rollout_get(struct store *s, const char *channel, struct store_rollout *out);
/* The latest rollout of every channel, by channel name. */
int store_rollout_list(struct store *s, int (*cb)(const struct store_rollout *, void *),
		       void *arg);
/* verb "pause" (running -> paused), "resume" (paused -> running; a halted
 * one is -EPX_E_RO_HALTED), "abort" (running, paused or halted ->
 * aborted: every moved host goes back to the channel's version).
 * -EPX_E_RO_NONE, -EPX_E_RO_STATE, -EPX_E_DB_INVALID. */
int store_rollout_set(struct store *s, const char *actor, const char *channel,
		      const char *verb, struct store_rollout *out);
/* Advances every running rollout as far as it can now (see above);
 * *changes (may be NULL) counts waves moved, halts and completions.
 * Idempotent: callers may run it from every epoxyd as often as they like. */
int store_rollout_tick(struct store *s, uint64_t *changes);
/* Hosts of a rollout in wave order, then by the order they were placed in;
 * a failed one with the host's last error code (its failure), else code "". */
struct store_rollout_host {
	char host[STORE_NAME_MAX + 1];
	char site[STORE_LABEL_MAX + 1];
	int64_t wave;
	char state[STORE_ROLLOUT_STATE_MAX + 1];
	int64_t moved_at, done_at;
	char code[STORE_CODE_MAX + 1];
};
int store_rollout_hosts(struct store *s, int64_t id,
			int (*cb)(const struct store_rollout_host *, void *), void *arg);

#endif
