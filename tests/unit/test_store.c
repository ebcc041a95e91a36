/* test_store: the store's table tests, run against one backend per run.
 *
 * Default: a fresh SQLite file in a temp dir.  With EPOXY_TEST_PG=<libpq
 * conninfo> the same tables run against that PostgreSQL database (wiped
 * first; tests/store/t_store_pg.sh starts a real server for it), and with
 * EPOXY_TEST_PGDATA=<dir> its data directory is scanned for secrets too.
 * EPOXY_TEST_TOKENS (default 2000) and EPOXY_TEST_THREADS (default 4) size
 * the double-spend race.  Covers: URIs, migrations, validation, hosts,
 * sessions, every token refusal (fake clock), reissue cap, boot tokens,
 * join and boot credentials, admins, releases and channel resolution,
 * reports, audit chain verify and tamper detection, concurrent redemption,
 * and that no issued secret appears in the database files or stderr. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/err.h"
#include "lib/hex.h"
#include "lib/sha256.h"
#include "store/store.h"
#include "store/store_db.h"
#include "tests/test.h"

static int64_t fake_now = 1763784000;
void test_store_slices(struct store *s, int64_t *now); /* test_store_slice.c */
void test_store_archive(struct store *s, int64_t *now); /* test_store_archive.c */
void test_store_rollouts(struct store *s, int64_t *now); /* test_store_rollout.c */
void test_store_usage(struct store *s, int64_t *now); /* test_store_usage.c */
static int64_t fake_clock(void *arg)
{
	(void)arg;
	return fake_now;
}

static char uri[STORE_URI_MAX + 1];
static char tmpdir[256];
static const char *pg;

/* every secret the store handed out, to scan for at the end */
static char (*secrets)[STORE_TOKEN_HEX + 1];
static size_t n_secrets, cap_secrets;
static pthread_mutex_t secrets_lock = PTHREAD_MUTEX_INITIALIZER;

static void keep(const char *hex)
{
	pthread_mutex_lock(&secrets_lock);
	if (n_secrets == cap_secrets) {
		cap_secrets = cap_secrets ? 2 * cap_secrets : 1024;
		secrets = realloc(secrets, cap_secrets * sizeof(*secrets));
		if (!secrets)
			abort();
	}
	memcpy(secrets[n_secrets++], hex, STORE_TOKEN_HEX + 1);
	pthread_mutex_unlock(&secrets_lock);
}

static struct store *open_store(void)
{
	struct store *s = NULL;
	int rc = store_open(&s, uri);

	if (rc < 0) {
		fprintf(stderr, "cannot open %s: %s\n", uri, epx_strerror(rc));
		exit(1);
	}
	store_set_clock(s, fake_clock, NULL);
	return s;
}

static void pg_wipe(void)
{
	struct store *s;

	if (store_open(&s, uri) < 0) {
		fprintf(stderr, "cannot open %s\n", uri);
		exit(1);
	}
	if (Q0(s, "DROP SCHEMA public CASCADE", NULL) < 0 ||
	    Q0(s, "CREATE SCHEMA public", NULL) < 0)
		exit(1);
	store_close(s);
}

static const char *code(int rc)
{
	static char b[4][16];
	static int i;

	i = (i + 1) % 4;
	return rc == 0 ? "0" : epx_code(rc, b[i], sizeof(b[i]));
}

#define eq(got, want, fmt, ...) do { int g_ = (got), w_ = (want); \
	ok(g_ == w_, fmt ": got %s want %s", ##__VA_ARGS__, code(g_), code(w_)); } while (0)

/* ------------------------------------------------------------------ URIs */
static void t_uri(void)
{
	static const struct { const char *uri; int rc; } t[] = {
		{ "", -EPX_E_DB_URI }, { "sqlite:", -EPX_E_DB_URI },
		{ "mysql://x", -EPX_E_DB_URI }, { "postgres", -EPX_E_DB_URI },
		{ "sqlite", -EPX_E_DB_URI }, { "SQLITE:/tmp/x", -EPX_E_DB_URI },
		{ "sqlite:/nonexistent-dir/x/y.db", -EPX_E_DB_OPEN },
		{ "postgres:host=/nonexistent port=1 connect_timeout=1", -EPX_E_DB_OPEN },
	};
	char big[STORE_URI_MAX + 16];
	struct store *s = (struct store *)1;
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		int want = t[i].rc;

		/* a build without the PostgreSQL backend refuses postgres: URIs */
		if (!store_pg_built && !strncmp(t[i].uri, "postgres:", 9))
			want = -EPX_E_DB_BACKEND;
		eq(store_open(&s, t[i].uri), want, "uri '%s'", t[i].uri);
		ok(s == NULL, "uri '%s': no store on failure", t[i].uri);
	}
	memset(big, 'a', sizeof(big) - 1);
	memcpy(big, "sqlite:/", 8);
	big[sizeof(big) - 1] = '\0';
	eq(store_open(&s, big), -EPX_E_DB_URI, "uri longer than STORE_URI_MAX");
	eq(store_open(&s, NULL), -EPX_E_DB_URI, "NULL uri");
}

/* ------------------------------------------------------------ migrations */
static void t_migrations(void)
{
	struct store *s = open_store(), *s2;
	struct db_res r;
	int v = -1, rc;

	ok(store_schema_version(s, &v) == 0 && v == store_schema_latest(),
	   "schema at latest version %d (got %d)", store_schema_latest(), v);
	ok(Q0(s, "SELECT COUNT(*) FROM schema_version", &r) == 0 &&
	   db_int(&r, 0, 0) == (int64_t)store_migrations_n,
	   "one schema_version row per migration");
	db_res_free(&r);
	s2 = open_store();   /* reopen: nothing to do, nothing fails */
	ok(Q0(s2, "SELECT COUNT(*) FROM schema_version", &r) == 0 &&
	   db_int(&r, 0, 0) == (int64_t)store_migrations_n,
	   "reopening applies no migration twice");
	db_res_free(&r);
	store_close(s2);
	/* upgrade path: a store at version 1 gets version 2 applied at open */
	ok(Q0(s, "DROP INDEX tokens_session", NULL) == 0 &&
	   Q0(s, "DROP INDEX tokens_expires", NULL) == 0 &&
	   Q0(s, "ALTER TABLE hosts DROP COLUMN cred_pending", NULL) == 0 &&
	   Q0(s, "ALTER TABLE hosts DROP COLUMN cred_pending_at", NULL) == 0 &&
	   Q0(s, "DROP TABLE node_certs", NULL) == 0 &&
	   Q0(s, "DROP TABLE dbx_updates", NULL) == 0 &&
	   Q0(s, "DROP TABLE images", NULL) == 0 && Q0(s, "DROP TABLE slices", NULL) == 0 &&
	   Q0(s, "DROP TABLE slice_nodes", NULL) == 0 && Q0(s, "DROP TABLE slice_attrs", NULL) == 0 &&
	   Q0(s, "DROP TABLE sliver_serials", NULL) == 0 &&
	   Q0(s, "DROP TABLE experiments", NULL) == 0 &&
	   Q0(s, "DROP TABLE archive_bundles", NULL) == 0 &&
	   Q0(s, "DROP TABLE host_inventory", NULL) == 0 &&
	   Q0(s, "DROP TABLE rollouts", NULL) == 0 &&
	   Q0(s, "DROP TABLE rollout_hosts", NULL) == 0 &&
	   Q0(s, "ALTER TABLE hosts DROP COLUMN boot_path", NULL) == 0 &&
	   Q0(s, "DROP TABLE host_usage", NULL) == 0 &&
	   Q0(s, "DELETE FROM schema_version WHERE version >= 2", NULL) == 0,
	   "roll the store back to schema version 1");
	s2 = open_store();
	v = -1;
	rc = store_schema_version(s2, &v);
	ok(rc == 0 && v == store_schema_latest(), "reopen migrates 1 -> latest (%d)", v);
	ok(Q0(s2, "CREATE INDEX tokens_session ON tokens (session, purpose)", NULL) ==
	   -EPX_E_DB_QUERY, "version 2's index exists again");
	ok(Q0(s2, "SELECT COUNT(*) FROM host_inventory", NULL) == 0,
	   "version 9's inventory table exists again");
	ok(Q0(s2, "SELECT COUNT(*) FROM host_usage", NULL) == 0,
	   "version 13's usage table exists again");
	store_close(s2);
	ok(Q(s, "INSERT INTO schema_version (version, applied) VALUES ($1, 0)", NULL,
	     A_INT(store_schema_latest() + 1)) == 0, "simulate a newer schema");
	s2 = NULL;
	eq(store_open(&s2, uri), -EPX_E_DB_SCHEMA, "newer schema refused");
	ok(Q(s, "DELETE FROM schema_version WHERE version = $1", NULL,
	     A_INT(store_schema_latest() + 1)) == 0, "remove the newer schema row");
	ok(strcmp(store_backend(s), pg ? "postgres" : "sqlite") == 0, "backend name %s",
	   store_backend(s));
	if (!pg) {	/* durability settings of every SQLite connection */
		struct stat st;
		char path[300];

		ok(Q0(s, "PRAGMA journal_mode", &r) == 0 && !strcmp(db_text(&r, 0, 0), "wal"),
		   "sqlite journal_mode=wal (%s)", db_text(&r, 0, 0));
		db_res_free(&r);
		ok(Q0(s, "PRAGMA synchronous", &r) == 0 && db_int(&r, 0, 0) == 2,
		   "sqlite synchronous=FULL (%s)", db_text(&r, 0, 0));
		db_res_free(&r);
		ok(Q0(s, "PRAGMA busy_timeout", &r) == 0 && db_int(&r, 0, 0) == STORE_BUSY_MS,
		   "sqlite busy_timeout=%d (%s)", STORE_BUSY_MS, db_text(&r, 0, 0));
		db_res_free(&r);
		snprintf(path, sizeof(path), "%s/store.db", tmpdir);
		ok(stat(path, &st) == 0 && (st.st_mode & 077) == 0, "store.db mode 0600 (%o)",
		   st.st_mode & 0777);
	} else {
		ok(Q0(s, "SHOW synchronous_commit", &r) == 0 && !strcmp(db_text(&r, 0, 0), "on"),
		   "postgres synchronous_commit=on (%s)", db_text(&r, 0, 0));
		db_res_free(&r);
		ok(Q0(s, "SHOW fsync", &r) == 0 && !strcmp(db_text(&r, 0, 0), "on"),
		   "postgres fsync=on (%s)", db_text(&r, 0, 0));
		db_res_free(&r);
	}
	store_close(s);
}

/* ------------------------------------------------------------ validation */
static void t_validation(void)
{
	static const struct { const char *s; int ok; } hosts[] = {
		{ "node1", 1 }, { "a", 1 }, { "n-1.site.example", 1 },
		{ "", 0 }, { "Node1", 0 }, { "node_1", 0 }, { "node 1", 0 },
		{ "-node", 0 }, { ".node", 0 }, { "node/1", 0 }, { "nöde", 0 },
		{ "node\n", 0 }, { "node;rm", 0 }, { "${x}", 0 },
		{ "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", 1 },
		{ "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", 0 },
	};
	static const struct { const char *in, *out; } macs[] = {
		{ "52-54-00-12-34-56", "52-54-00-12-34-56" },
		{ "52:54:00:12:34:56", "52-54-00-12-34-56" },
		{ "52:54:00:AB:cd:EF", "52-54-00-ab-cd-ef" },
		{ "52-54:00-12-34-56", NULL }, { "5254.0012.3456", NULL },
		{ "52-54-00-12-34", NULL }, { "52-54-00-12-34-567", NULL },
		{ "52-54-00-12-34-5g", NULL }, { "", NULL }, { "52_54_00_12_34_56", NULL },
		{ "52-54-00-12-34-5", NULL },
	};
	char out[STORE_MAC_LEN + 1];
	size_t i;
	int rc;

	for (i = 0; i < sizeof(hosts) / sizeof(hosts[0]); i++)
		ok(store_valid_hostname(hosts[i].s) == hosts[i].ok, "hostname #%zu '%.*s' valid=%d",
		   i, (int)strcspn(hosts[i].s, "\n"), hosts[i].s, hosts[i].ok);
	ok(!store_valid_hostname(NULL), "NULL hostname invalid");
	for (i = 0; i < sizeof(macs) / sizeof(macs[0]); i++) {
		rc = store_mac_canon(macs[i].in, out);
		if (macs[i].out)
			ok(rc == 0 && !strcmp(out, macs[i].out), "mac '%s' -> %s", macs[i].in,
			   macs[i].out);
		else
			eq(rc, -EPX_E_DB_INVALID, "mac '%s' refused", macs[i].in);
	}
	{	/* in place, as epoxyd's admin API calls it */
		char b1[] = "52:54:00:AB:CD:EF", b2[] = "52:54-00-12-34-56";

		ok(store_mac_canon(b1, b1) == 0 && !strcmp(b1, "52-54-00-ab-cd-ef"),
		   "mac canonicalised in place");
		ok(store_mac_canon(b2, b2) == -EPX_E_DB_INVALID, "mixed separators refused in place");
	}
	ok(store_valid_label("qemu-x86_64.v2") && !store_valid_label("Qemu") &&
	   !store_valid_label("") && !store_valid_label("a b"), "labels");
}

/* ------------------------------------------------------------ hosts etc */
static void host_init(struct store_host *h, const char *name, const char *mac)
{
	memset(h, 0, sizeof(*h));
	snprintf(h->name, sizeof(h->name), "%s", name);
	snprintf(h->hwclass, sizeof(h->hwclass), "qemu-x86_64");
	snprintf(h->site, sizeof(h->site), "lab1");
	if (mac) {
		snprintf(h->macs[0], sizeof(h->macs[0]), "%s", mac);
		h->n_macs = 1;
	}
}

static int count_cb(const void *x, void *arg)
{
	(void)x;
	(*(int *)arg)++;
	return 0;
}

static void t_hosts(struct store *s)
{
	struct store_host h, g;
	int n = 0;

	eq(store_site_add(s, "lab1", "the lab, rack 3"), 0, "site add");
	eq(store_site_add(s, "lab1", "again"), -EPX_E_DB_EXISTS, "site add twice");
	eq(store_site_add(s, "Lab 2", "x"), -EPX_E_DB_INVALID, "site bad name");
	eq(store_site_add(s, "lab2", "tab\there"), -EPX_E_DB_INVALID, "site bad description");

	host_init(&h, "node1", "52:54:00:12:34:56");
	h.n_addrs = 1;
	snprintf(h.addrs[0], sizeof(h.addrs[0]), "10.0.2.15/24");
	h.n_groups = 2;
	snprintf(h.groups[0], sizeof(h.groups[0]), "canary");
	snprintf(h.groups[1], sizeof(h.groups[1]), "rack3");
	eq(store_host_add(s, &h), 0, "host add node1");
	eq(store_host_add(s, &h), -EPX_E_DB_EXISTS, "host add node1 twice");
	host_init(&g, "node2", "52-54-00-12-34-56");
	eq(store_host_add(s, &g), -EPX_E_DB_EXISTS, "MAC already used by node1");
	host_init(&g, "node2", "52-54-00-12-34-57");
	snprintf(g.site, sizeof(g.site), "nosuchsite");
	eq(store_host_add(s, &g), -EPX_E_DB_INVALID, "unknown site refused");
	host_init(&g, "node2", "52-54-00-12-34-57");
	eq(store_host_add(s, &g), 0, "host add node2");
	host_init(&g, "node3", "zz");
	eq(store_host_add(s, &g), -EPX_E_DB_INVALID, "bad MAC refused");
	host_init(&g, "node3", NULL);
	g.n_macs = STORE_MACS_MAX + 1;
	eq(store_host_add(s, &g), -EPX_E_DB_INVALID, "too many MACs refused");
	host_init(&g, "node3", NULL);
	g.n_addrs = 1;
	snprintf(g.addrs[0], sizeof(g.addrs[0]), "10.0.0.1;x");
	eq(store_host_add(s, &g), -EPX_E_DB_INVALID, "bad address refused");
	host_init(&g, "node3", NULL);
	g.hwclass[0] = '\0';
	eq(store_host_add(s, &g), -EPX_E_DB_INVALID, "missing hwclass refused");
	host_init(&g, "Node3", NULL);
	eq(store_host_add(s, &g), -EPX_E_DB_INVALID, "bad host name refused");

	memset(&g, 0, sizeof(g));
	eq(store_host_by_mac(s, "52-54-00-12-34-56", &g), 0, "lookup by MAC");
	ok(!strcmp(g.name, "node1") && g.n_addrs == 1 && !strcmp(g.addrs[0], "10.0.2.15/24") &&
	   g.n_groups == 2 && !strcmp(g.groups[1], "rack3") && !strcmp(g.channel, "stable") &&
	   !strcmp(g.state, "enrolled") && g.created == fake_now, "host fields round-trip");
	eq(store_host_by_mac(s, "52-54-00-00-00-00", &g), -EPX_E_DB_NOTFOUND, "unknown MAC");
	eq(store_host_get(s, "nosuch", &g), -EPX_E_DB_NOTFOUND, "unknown host");

	h.n_macs = 2;
	snprintf(h.macs[1], sizeof(h.macs[1]), "52-54-00-aa-bb-cc");
	h.reinstall = 1;
	eq(store_host_update(s, &h), 0, "host update");
	eq(store_host_by_mac(s, "52:54:00:AA:BB:CC", &g), 0, "new MAC found");
	ok(g.reinstall == 1 && g.n_macs == 2, "update round-trip");
	ok(g.boot_direct == 0, "boot path: ipxe unless set");
	h.boot_direct = 1;
	eq(store_host_update(s, &h), 0, "host update: direct boot path");
	eq(store_host_get(s, "node1", &g), 0, "host get");
	ok(g.boot_direct == 1, "boot path round-trip: direct");
	h.boot_direct = 2;
	eq(store_host_update(s, &h), -EPX_E_DB_INVALID, "boot path 2 refused");
	eq(store_host_get(s, "node1", &g), 0, "host get");
	ok(g.boot_direct == 1, "a refused update changed nothing");
	h.boot_direct = 0;
	eq(store_host_set_state(s, "node1", "booting"), 0, "set state");
	eq(store_host_set_state(s, "node1", "Boot ing"), -EPX_E_DB_INVALID, "bad state");
	eq(store_host_set_state(s, "nosuch", "booting"), -EPX_E_DB_NOTFOUND, "state of unknown");
	eq(store_host_set_reinstall(s, "node1", 0), 0, "clear reinstall");
	eq(store_host_set_reinstall(s, "node1", 2), -EPX_E_DB_INVALID, "reinstall flag 2");
	eq(store_host_touch(s, "node1"), 0, "touch");
	eq(store_site_delete(s, "lab1"), -EPX_E_DB_INUSE, "site in use not deleted");
	eq(store_host_list(s, (int (*)(const struct store_host *, void *))count_cb, &n), 0,
	   "host list");
	ok(n == 2, "two hosts listed (%d)", n);
}

static int host_page_cb(const struct store_host *h, void *arg)
{
	(void)h;
	return ++*(int *)arg == 100 ? 1 : 0;   /* stop early at 100 */
}

/* more hosts than one page; early stop */
static void t_host_pages(struct store *s)
{
	struct store_host h;
	int i, rc = 0, n = 0;
	char name[32];

	for (i = 0; i < 300 && rc == 0; i++) {
		snprintf(name, sizeof(name), "bulk%04d", i);
		host_init(&h, name, NULL);
		rc = store_host_add(s, &h);
	}
	eq(rc, 0, "300 hosts added");
	eq(store_host_list(s, (int (*)(const struct store_host *, void *))count_cb, &n), 0,
	   "list across pages");
	ok(n == 302, "302 hosts listed over two pages (%d)", n);
	n = 0;
	eq(store_host_list(s, host_page_cb, &n), 0, "callback stops early");
	ok(n == 100, "stopped at 100 (%d)", n);
	for (i = 0; i < 300 && rc == 0; i++) {
		snprintf(name, sizeof(name), "bulk%04d", i);
		rc = store_host_delete(s, name);
	}
	eq(rc, 0, "300 hosts deleted");
}

/* ------------------------------------------------------------ tokens */
static int audit_count(struct store *s, const char *action)
{
	struct db_res r;
	int n = -1;

	if (Q(s, "SELECT COUNT(*) FROM audit WHERE action = $1", &r, A_TEXT(action)) == 0)
		n = (int)db_int(&r, 0, 0);
	db_res_free(&r);
	return n;
}

static void t_tokens(struct store *s)
{
	char sid[STORE_SESSION_HEX + 1], sid2[STORE_SESSION_HEX + 1], sid3[17];
	char tk[STORE_TOKEN_HEX + 1], tr[STORE_TOKEN_HEX + 1], tmp[80];
	static const char nonce[] = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";
	struct store_token_info info;
	struct store_session ss;
	int before, i, rc;

	eq(store_session_open(s, "node1", nonce, 7, "qemu-x86_64", sid), 0, "session open");
	eq(store_session_open(s, "node2", nonce, 7, "qemu-x86_64", sid2), 0, "session 2 open");
	eq(store_session_open(s, "nosuch", nonce, 7, "qemu-x86_64", sid3),
	   -EPX_E_DB_NOTFOUND, "session for unknown host");
	eq(store_session_open(s, "node1", "xyz", 7, "qemu-x86_64", sid3),
	   -EPX_E_DB_INVALID, "session with bad nonce");
	eq(store_session_get(s, sid, &ss), 0, "session get");
	ok(!strcmp(ss.host, "node1") && !strcmp(ss.state, "open") && ss.version == 7 &&
	   !strcmp(ss.nonce, nonce), "session fields");

	eq(store_token_issue(s, "node1", sid, "kernel", 300, tk), 0, "issue kernel token");
	keep(tk);
	ok(strlen(tk) == 64 && strspn(tk, "0123456789abcdef") == 64, "token is 64 lowercase hex");
	eq(store_token_issue(s, "node1", sid2, "kernel", 300, tr), -EPX_E_TOK_HOST,
	   "issue on another host's session");
	eq(store_token_issue(s, "node1", sid, "boot", 300, tr), -EPX_E_DB_INVALID,
	   "issue boot purpose via session call");
	eq(store_token_issue(s, "node1", sid, "bogus", 300, tr), -EPX_E_DB_INVALID,
	   "issue unknown purpose");
	eq(store_token_issue(s, "node1", sid, "kernel", 0, tr), -EPX_E_DB_INVALID, "ttl 0");
	eq(store_token_issue(s, "node1", sid, "kernel", STORE_TTL_MAX + 1, tr),
	   -EPX_E_DB_INVALID, "ttl above cap");
	eq(store_token_issue(s, "node1", "0123456789abcdef", "kernel", 300, tr),
	   -EPX_E_SESS_UNKNOWN, "issue on unknown session");

	before = audit_count(s, "token.refused");
	/* refusals before the good redemption: none may consume the token */
	eq(store_token_redeem(s, tk, "kernel", "node2", NULL, NULL), -EPX_E_TOK_HOST, "cross-host");
	eq(store_token_redeem(s, tk, "kernel", "node1", sid2, NULL), -EPX_E_TOK_SESSION,
	   "cross-session");
	eq(store_token_redeem(s, tk, "initramfs", "node1", sid, NULL), -EPX_E_TOK_PURPOSE,
	   "cross-purpose");
	eq(store_token_redeem(s, tk, "report", NULL, NULL, NULL), -EPX_E_TOK_PURPOSE,
	   "cross-purpose, no host given");
	eq(store_token_redeem(s, tk, "boot", NULL, NULL, NULL), -EPX_E_DB_INVALID,
	   "boot purpose via session call");
	eq(store_token_redeem(s, "00", "kernel", NULL, NULL, NULL), -EPX_E_TOK_FORMAT, "short");
	memcpy(tmp, tk, 65);
	tmp[63] = 'g';
	eq(store_token_redeem(s, tmp, "kernel", NULL, NULL, NULL), -EPX_E_TOK_FORMAT, "non-hex");
	snprintf(tmp, sizeof(tmp), "%s0", tk);
	eq(store_token_redeem(s, tmp, "kernel", NULL, NULL, NULL), -EPX_E_TOK_FORMAT, "65 digits");
	eq(store_token_redeem(s, "", "kernel", NULL, NULL, NULL), -EPX_E_TOK_FORMAT, "empty");
	eq(store_token_redeem(s, NULL, "kernel", NULL, NULL, NULL), -EPX_E_TOK_FORMAT, "NULL");
	memcpy(tmp, tk, 65);
	tmp[0] = tmp[0] == '0' ? '1' : '0';
	eq(store_token_redeem(s, tmp, "kernel", NULL, NULL, NULL), -EPX_E_TOK_UNKNOWN,
	   "one digit changed: unknown");
	ok(audit_count(s, "token.refused") == before + 10, "each refusal audited (%d -> %d)",
	   before, audit_count(s, "token.refused"));

	memset(&info, 0, sizeof(info));
	eq(store_token_redeem(s, tk, "kernel", "node1", sid, &info), 0, "good redemption");
	ok(!strcmp(info.host, "node1") && !strcmp(info.session, sid) &&
	   !strcmp(info.purpose, "kernel") && info.reissue == 0 && info.expires == fake_now + 300,
	   "redemption tells host/session/purpose");
	eq(store_token_redeem(s, tk, "kernel", "node1", sid, NULL), -EPX_E_TOK_USED, "replay");
	eq(store_token_redeem(s, tk, "kernel", NULL, NULL, NULL), -EPX_E_TOK_USED,
	   "replay without host");
	for (i = 0; tmp[i]; i++)
		tmp[i] = (char)((tk[i] >= 'a') ? tk[i] - 32 : tk[i]);
	eq(store_token_redeem(s, tmp, "kernel", NULL, NULL, NULL), -EPX_E_TOK_FORMAT,
	   "replay in upper case refused: one spelling of a token (lib/hex.h)");

	/* expiry against the fake clock: valid at expires-1, dead at expires */
	eq(store_token_issue(s, "node1", sid, "manifest", 300, tk), 0, "issue manifest token");
	keep(tk);
	fake_now += 300;
	eq(store_token_redeem(s, tk, "manifest", "node1", sid, NULL), -EPX_E_TOK_EXPIRED,
	   "expired exactly at expiry");
	fake_now -= 1;
	eq(store_token_redeem(s, tk, "manifest", "node1", sid, NULL), 0, "valid 1 s before");
	fake_now -= 299;

	/* closed session: its tokens die */
	eq(store_token_issue(s, "node2", sid2, "report", 1800, tk), 0, "issue report token");
	keep(tk);
	eq(store_session_close(s, sid2, "ok"), 0, "close session 2");
	eq(store_session_close(s, sid2, "ok"), -EPX_E_SESS_CLOSED, "close twice");
	eq(store_session_close(s, "ffffffffffffffff", "ok"), -EPX_E_SESS_UNKNOWN,
	   "close unknown");
	eq(store_session_close(s, sid, "open"), -EPX_E_DB_INVALID, "close into 'open'");
	eq(store_token_redeem(s, tk, "report", "node2", sid2, NULL), -EPX_E_TOK_CLOSED,
	   "token of a closed session");
	eq(store_token_issue(s, "node2", sid2, "report", 1800, tk), -EPX_E_SESS_CLOSED,
	   "no issue on a closed session");

	/* resume tokens: STORE_REISSUE_MAX per artifact per session */
	for (i = 0, rc = 0; i < STORE_REISSUE_MAX && rc == 0; i++) {
		rc = store_token_reissue(s, "node1", sid, "initramfs", 300, tk);
		keep(tk);
	}
	eq(rc, 0, "%d resume tokens issued", STORE_REISSUE_MAX);
	eq(store_token_redeem(s, tk, "initramfs", "node1", sid, &info), 0, "resume token redeems");
	ok(info.reissue == STORE_REISSUE_MAX, "resume counter %u", info.reissue);
	eq(store_token_reissue(s, "node1", sid, "initramfs", 300, tk), -EPX_E_TOK_REISSUE,
	   "one resume token too many");
	eq(store_token_reissue(s, "node1", sid, "cmdline", 300, tk), 0,
	   "other artifact has its own counter");
	keep(tk);

	/* one-time boot tokens */
	eq(store_boot_token_issue(s, "node1", 3600, tk), 0, "boot token issue");
	keep(tk);
	eq(store_boot_token_issue(s, "nosuch", 3600, tr), -EPX_E_DB_NOTFOUND,
	   "boot token for unknown host");
	eq(store_boot_token_redeem(s, tk, "node2", NULL), -EPX_E_TOK_HOST, "boot token cross-host");
	eq(store_token_redeem(s, tk, "kernel", NULL, NULL, NULL), -EPX_E_TOK_PURPOSE,
	   "boot token as kernel token");
	eq(store_boot_token_redeem(s, tk, NULL, &info), 0, "boot token redeems");
	ok(!strcmp(info.host, "node1") && info.session[0] == '\0', "boot token names its host");
	eq(store_boot_token_redeem(s, tk, "node1", NULL), -EPX_E_TOK_USED, "boot token replay");

	/* join credentials */
	eq(store_joincred_issue(s, "node1", sid, 3600, tk), 0, "join credential issue");
	keep(tk);
	eq(store_joincred_redeem(s, "nothex", "node1", NULL), -EPX_E_CRED_FORMAT,
	   "join credential malformed");
	eq(store_joincred_redeem(s, tk, "node2", NULL), -EPX_E_TOK_HOST, "join cred cross-host");
	eq(store_session_close(s, sid, "ok"), 0, "close session 1");
	eq(store_joincred_redeem(s, tk, "node1", NULL), 0,
	   "join credential outlives its session");
	eq(store_joincred_redeem(s, tk, "node1", NULL), -EPX_E_TOK_USED, "join cred once");

	{	/* stale sessions expire, and their tokens with them */
		char es[STORE_SESSION_HEX + 1], et[STORE_TOKEN_HEX + 1];
		struct store_session ess;
		uint64_t ne = 0;

		eq(store_session_open(s, "node2", nonce, 7, "qemu-x86_64", es), 0, "stale session");
		eq(store_token_issue(s, "node2", es, "report", 1800, et), 0, "its report token");
		keep(et);
		eq(store_session_expire(s, fake_now, &ne), 0, "expire: opened before now: none");
		ok(ne == 0, "nothing expired yet (%llu)", (unsigned long long)ne);
		fake_now += 3600;
		eq(store_session_expire(s, fake_now - 1800, &ne), 0, "expire sessions older than 30 min");
		ok(ne >= 1, "stale session expired (%llu)", (unsigned long long)ne);
		fake_now -= 3600;
		eq(store_session_get(s, es, &ess), 0, "get expired session");
		ok(!strcmp(ess.state, "expired"), "state expired (%s)", ess.state);
		eq(store_token_redeem(s, et, "report", "node2", es, NULL), -EPX_E_TOK_CLOSED,
		   "token of an expired session refused");
	}
	{	/* restore fence: open sessions and unused boot tokens die */
		char fs[STORE_SESSION_HEX + 1], ft[STORE_TOKEN_HEX + 1], fb[STORE_TOKEN_HEX + 1];
		uint64_t fenced = 0;

		eq(store_session_open(s, "node2", nonce, 7, "qemu-x86_64", fs), 0, "fence: session");
		eq(store_token_issue(s, "node2", fs, "kernel", 300, ft), 0, "fence: token");
		keep(ft);
		eq(store_boot_token_issue(s, "node2", 300, fb), 0, "fence: boot token");
		keep(fb);
		eq(store_restore_fence(s, &fenced), 0, "restore fence");
		ok(fenced >= 2, "fenced %llu sessions+tokens", (unsigned long long)fenced);
		eq(store_token_redeem(s, ft, "kernel", "node2", fs, NULL), -EPX_E_TOK_CLOSED,
		   "token of a fenced session refused");
		eq(store_boot_token_redeem(s, fb, "node2", NULL), -EPX_E_TOK_USED,
		   "fenced boot token refused");
	}
	{
		uint64_t del = 0;

		fake_now += STORE_TTL_MAX + 10;
		eq(store_token_purge(s, fake_now, &del), 0, "purge");
		ok(del >= 10, "purged %llu tokens", (unsigned long long)del);
		eq(store_boot_token_redeem(s, tk, NULL, NULL), -EPX_E_TOK_UNKNOWN,
		   "purged token is unknown");
		fake_now -= STORE_TTL_MAX + 10;
	}
}

/* ---------------------------------------------------- credentials, admins */
/* node certificates (issue 14): good only while the host lives with the
 * boot credential it had at issue; joined at the first heartbeat */
static void t_nodecert(struct store *s)
{
	static const char s1[] = "4aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", s2[] = "5bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";
	char cred[STORE_TOKEN_HEX + 1];
	struct store_nodecert nc;
	struct store_host h;
	int first = -1;

	host_init(&h, "nc1", "52-54-00-77-00-01");
	eq(store_host_add(s, &h), 0, "nodecert: host nc1");
	eq(store_nodecert_latest(s, "nc1", &nc), -EPX_E_DB_NOTFOUND, "nodecert: none yet to show");
	eq(store_cred_issue(s, "nc1", cred), 0, "nodecert: its boot credential");
	keep(cred);
	eq(store_nodecert_add(s, s1, "nc1", fake_now - 60, fake_now + 3600), 0, "nodecert: recorded");
	eq(store_nodecert_add(s, s1, "nc1", fake_now - 60, fake_now + 3600), -EPX_E_DB_EXISTS, "nodecert: serial once");
	eq(store_nodecert_add(s, s2, "nosuch", fake_now - 60, fake_now + 3600), -EPX_E_NID_REVOKED, "nodecert: unknown host");
	eq(store_nodecert_add(s, "XYZ", "nc1", fake_now - 60, fake_now + 3600), -EPX_E_DB_INVALID, "nodecert: bad serial");
	eq(store_nodecert_check(s, s1, "nc1"), 0, "nodecert: good");
	eq(store_nodecert_check(s, s1, "node1"), -EPX_E_NID_REVOKED, "nodecert: for another host");
	eq(store_nodecert_check(s, s2, "nc1"), -EPX_E_NID_REVOKED, "nodecert: unknown serial");
	eq(store_host_get(s, "nc1", &h), 0, "nodecert: host");
	ok(strcmp(h.state, "joined") != 0, "nodecert: a certificate alone: not joined (%s)", h.state);
	eq(store_nodecert_heartbeat(s, s1, "nc1", &first), 0, "nodecert: heartbeat");
	ok(first == 1, "nodecert: the first joins");
	eq(store_nodecert_heartbeat(s, s1, "nc1", &first), 0, "nodecert: heartbeat again");
	ok(first == 0, "nodecert: the second does not");
	eq(store_host_get(s, "nc1", &h), 0, "nodecert: host after");
	ok(!strcmp(h.state, "joined") && h.last_seen == fake_now, "nodecert: joined, seen now");
	eq(store_nodecert_latest(s, "nc1", &nc), 0, "nodecert: the one to show");
	ok(!strcmp(nc.serial, s1) && nc.not_before == fake_now - 60 &&
	   nc.not_after == fake_now + 3600 && nc.last_heartbeat == fake_now && !nc.revoked,
	   "nodecert: its serial, validity and last heartbeat");
	fake_now += 3601;
	eq(store_nodecert_check(s, s1, "nc1"), -EPX_E_NID_REVOKED, "nodecert: past its end");
	fake_now -= 3601;
	eq(store_cred_revoke(s, "nc1"), 0, "nodecert: revoke the boot credential");
	eq(store_nodecert_check(s, s1, "nc1"), -EPX_E_NID_REVOKED, "nodecert: revoked host");
	eq(store_nodecert_heartbeat(s, s1, "nc1", &first), -EPX_E_NID_REVOKED, "nodecert: no heartbeat");
	eq(store_cred_issue(s, "nc1", cred), 0, "nodecert: a new boot credential");
	keep(cred);
	eq(store_nodecert_check(s, s1, "nc1"), -EPX_E_NID_REVOKED, "nodecert: does not revive it");
	eq(store_nodecert_add(s, s2, "nc1", fake_now - 60, fake_now + 7200), 0, "nodecert: a new one");
	eq(store_nodecert_check(s, s2, "nc1"), 0, "nodecert: works");
	eq(store_nodecert_revoke(s, "nc1", NULL), 0, "nodecert: revoke the host's certificates");
	eq(store_nodecert_check(s, s2, "nc1"), -EPX_E_NID_REVOKED, "nodecert: revoked");
	eq(store_nodecert_latest(s, "nc1", &nc), 0, "nodecert: the newest to show");
	ok(!strcmp(nc.serial, s2) && nc.revoked && nc.last_heartbeat == fake_now,
	   "nodecert: the newest, revoked; the last heartbeat of any");
	eq(store_host_delete(s, "nc1"), 0, "nodecert: delete the host");
	fake_now += 1;          /* (the store's clock counts seconds) */
	eq(store_host_add(s, &h), 0, "nodecert: add it again");
	eq(store_nodecert_latest(s, "nc1", &nc), -EPX_E_DB_NOTFOUND,
	   "nodecert: a re-added host shows none of the old ones");
	fake_now -= 1;
	eq(store_nodecert_check(s, s1, "nc1"), -EPX_E_NID_REVOKED, "nodecert: nothing revived by a re-add");
	eq(store_host_delete(s, "nc1"), 0, "nodecert: clean up");
}

/* The host's inventory (issue 16 point 3): first report stored, an equal
 * one only refreshes, a changed one keeps the previous text and is
 * audited exactly once; invalid input refused; deleted with the host. */
struct inv_audits {
	int n;
	char detail[STORE_TEXT_MAX + 1];
};

static int inv_audit_cb(const struct store_audit *e, void *arg)
{
	struct inv_audits *a = arg;

	if (!strcmp(e->action, "host.inventory-changed") && !strcmp(e->subject, "inv1")) {
		a->n++;
		snprintf(a->detail, sizeof(a->detail), "%s", e->detail);
	}
	return 0;
}

static int inv_audits(struct store *s, char *detail)
{
	struct inv_audits a = { 0, "" };

	store_audit_list(s, 0, 100000, inv_audit_cb, &a);
	if (detail)
		strcpy(detail, a.detail);
	return a.n;
}

static void t_inventory(struct store *s)
{
	static const char sid1[] = "00000000000000a1", sid2[] = "00000000000000a2";
	static const char b1[] = "kind=node&cpus=2\nkind=disk&name=vda&size=1\n";
	static const char b2[] = "kind=node&cpus=2\nkind=disk&name=vdb&size=1\n";
	struct store_inventory *iv = malloc(sizeof(*iv));
	char big[STORE_INVENTORY_MAX + 2], detail[STORE_TEXT_MAX + 1];
	struct store_host h;
	int64_t t = -1;
	int changed = -1;

	host_init(&h, "inv1", "52-54-00-77-00-09");
	eq(store_host_add(s, &h), 0, "inventory: host inv1");
	eq(store_inventory_get(s, "inv1", iv), -EPX_E_DB_NOTFOUND, "inventory: none yet");
	eq(store_inventory_put(s, "inv1", sid1, b1, "", &changed), 0, "inventory: first report");
	ok(changed == 0 && inv_audits(s, NULL) == 0, "inventory: a first report is no change");
	eq(store_inventory_get(s, "inv1", iv), 0, "inventory: read back");
	ok(!strcmp(iv->body, b1) && !iv->prev[0] && !strcmp(iv->session, sid1) &&
	   iv->reported == fake_now && iv->changed == 0, "inventory: body, session, times");
	fake_now += 10;
	eq(store_inventory_put(s, "inv1", sid2, b1, "", &changed), 0, "inventory: same again");
	eq(store_inventory_get(s, "inv1", iv), 0, "inventory: read back");
	ok(changed == 0 && iv->reported == fake_now && !strcmp(iv->session, sid2) &&
	   iv->changed == 0 && inv_audits(s, NULL) == 0, "inventory: same: refreshed, no change");
	fake_now += 10;
	eq(store_inventory_put(s, "inv1", sid1, b2, "disk vda, disk vdb", &changed), 0,
	   "inventory: a disk swapped");
	eq(store_inventory_get(s, "inv1", iv), 0, "inventory: read back");
	ok(changed == 1 && !strcmp(iv->body, b2) && !strcmp(iv->prev, b1) &&
	   iv->changed == fake_now, "inventory: changed: new body, previous kept, time");
	ok(store_inventory_changed(s, "inv1", &t) == 0 && t == fake_now,
	   "inventory: the fleet's light query says when");
	ok(store_inventory_changed(s, "node1", &t) == 0 && t == 0,
	   "inventory: a host without one: never changed");
	ok(inv_audits(s, detail) == 1 && !strcmp(detail, "disk vda, disk vdb"),
	   "inventory: the change audited once ('%s')", detail);
	fake_now += 10;
	eq(store_inventory_put(s, "inv1", sid2, b2, "x", &changed), 0, "inventory: next boot same");
	eq(store_inventory_get(s, "inv1", iv), 0, "inventory: read back");
	ok(changed == 0 && inv_audits(s, NULL) == 1 && iv->changed == fake_now - 10,
	   "inventory: no second audit; the change time stays");
	/* refused input, nothing changed */
	memset(big, 'a', sizeof(big));
	big[sizeof(big) - 1] = '\0';
	eq(store_inventory_put(s, "inv1", sid1, big, "", &changed), -EPX_E_DB_INVALID,
	   "inventory: body over its cap");
	eq(store_inventory_put(s, "inv1", sid1, "", "", &changed), -EPX_E_DB_INVALID,
	   "inventory: empty body");
	eq(store_inventory_put(s, "inv1", sid1, "kind=node\x01\n", "", &changed),
	   -EPX_E_DB_INVALID, "inventory: control byte");
	eq(store_inventory_put(s, "inv1", sid1, "kind=node\xc3\xa9\n", "", &changed),
	   -EPX_E_DB_INVALID, "inventory: non-ASCII byte");
	eq(store_inventory_put(s, "inv1", "XYZ", b1, "", &changed), -EPX_E_DB_INVALID,
	   "inventory: bad session");
	eq(store_inventory_put(s, "Bad Host", sid1, b1, "", &changed), -EPX_E_DB_INVALID,
	   "inventory: bad host");
	eq(store_inventory_put(s, "inv1", sid1, b1, "a\nb", &changed), -EPX_E_DB_INVALID,
	   "inventory: detail with a newline");
	eq(store_inventory_get(s, "inv1", iv), 0, "inventory: read back");
	ok(!strcmp(iv->body, b2) && inv_audits(s, NULL) == 1, "inventory: refusals changed nothing");
	eq(store_host_delete(s, "inv1"), 0, "inventory: delete the host");
	eq(store_inventory_get(s, "inv1", iv), -EPX_E_DB_NOTFOUND, "inventory: gone with the host");
	free(iv);
}

static void t_creds(struct store *s)
{
	char c1[STORE_TOKEN_HEX + 1], c2[STORE_TOKEN_HEX + 1], sid[17], tk[65], name[65];
	static const char nonce[] = "ffeeddccbbaa99887766554433221100ffeeddccbbaa99887766554433221100";
	struct store_host h;
	struct store_session ss;

	eq(store_cred_check(s, "node1", "00" "11"), -EPX_E_CRED_FORMAT, "credential short");
	eq(store_cred_check(s, "node1", nonce), -EPX_E_CRED_UNKNOWN, "no credential enrolled");
	eq(store_cred_issue(s, "node1", c1), 0, "credential issue");
	keep(c1);
	eq(store_cred_issue(s, "nosuch", c2), -EPX_E_DB_NOTFOUND, "credential for unknown host");
	eq(store_cred_check(s, "node1", c1), 0, "credential checks");
	eq(store_cred_check(s, "node2", c1), -EPX_E_CRED_UNKNOWN, "credential of node1 for node2");
	eq(store_cred_check(s, "node1", nonce), -EPX_E_CRED_BAD, "wrong credential");
	eq(store_cred_check(s, "nosuch", c1), -EPX_E_CRED_UNKNOWN, "unknown host");
	eq(store_host_get(s, "node1", &h), 0, "get node1");
	ok(h.has_credential && !h.credential_revoked, "host shows a credential");

	eq(store_session_open(s, "node1", nonce, 7, "qemu-x86_64", sid), 0, "open session");
	eq(store_token_issue(s, "node1", sid, "manifest", 300, tk), 0, "token before revocation");
	keep(tk);
	eq(store_cred_revoke(s, "node1"), 0, "revoke credential");
	eq(store_cred_check(s, "node1", c1), -EPX_E_CRED_REVOKED, "revoked credential refused");
	eq(store_session_get(s, sid, &ss), 0, "session after revocation");
	ok(!strcmp(ss.state, "revoked"), "open session closed as revoked (%s)", ss.state);
	eq(store_token_redeem(s, tk, "manifest", "node1", sid, NULL), -EPX_E_TOK_CLOSED,
	   "token of a revoked credential's session refused");
	eq(store_cred_issue(s, "node1", c2), 0, "re-enroll");
	keep(c2);
	eq(store_cred_check(s, "node1", c1), -EPX_E_CRED_BAD, "old credential dead");
	eq(store_cred_check(s, "node1", c2), 0, "new credential good");
	ok(audit_count(s, "credential.refused") >= 6, "credential refusals audited");

	eq(store_admin_issue(s, "alice", c1), 0, "admin issue");
	keep(c1);
	eq(store_admin_issue(s, "Bad Name", c2), -EPX_E_DB_INVALID, "admin bad name");
	eq(store_admin_check(s, c1, name), 0, "admin check");
	ok(!strcmp(name, "alice"), "admin name");
	eq(store_admin_check(s, nonce, name), -EPX_E_CRED_UNKNOWN, "admin unknown credential");
	eq(store_admin_check(s, "x", name), -EPX_E_CRED_FORMAT, "admin malformed");
	eq(store_admin_revoke(s, "alice"), 0, "admin revoke");
	eq(store_admin_check(s, c1, name), -EPX_E_CRED_REVOKED, "admin revoked");
	eq(store_admin_revoke(s, "bob"), -EPX_E_DB_NOTFOUND, "revoke unknown admin");
}

/* ------------------------------------------------------------- releases */
static void rel_init(struct store_release *r, uint32_t v, const char *hw)
{
	unsigned i;

	memset(r, 0, sizeof(*r));
	r->version = v;
	snprintf(r->hwclass, sizeof(r->hwclass), "%s", hw);
	r->expires = fake_now + 86400;
	for (i = 0; i < STORE_ROLES; i++) {
		r->art[i].length = 100 + i;
		memset(r->art[i].sha256, 'a' + (char)i, STORE_HASH_HEX);
		r->art[i].sha256[STORE_HASH_HEX] = '\0';
	}
}

static void t_releases(struct store *s)
{
	static const uint8_t mf[] = "epoxy-manifest 1\nversion 7\n\x00\xff binary ok\n";
	struct store_release r, o;
	struct store_host h;
	uint8_t *buf = NULL;
	size_t len = 0;
	uint32_t v = 0;

	rel_init(&r, 7, "qemu-x86_64");
	eq(store_release_publish(s, &r, mf, sizeof(mf)), 0, "publish 7");
	eq(store_release_publish(s, &r, mf, sizeof(mf)), -EPX_E_DB_EXISTS, "publish 7 twice");
	rel_init(&r, 8, "qemu-x86_64");
	eq(store_release_publish(s, &r, mf, sizeof(mf)), 0, "publish 8");
	rel_init(&r, 9, "qemu-x86_64");
	eq(store_release_publish(s, &r, mf, sizeof(mf)), 0, "publish 9");
	rel_init(&r, 0, "qemu-x86_64");
	eq(store_release_publish(s, &r, mf, sizeof(mf)), -EPX_E_DB_INVALID, "version 0");
	rel_init(&r, 10, "qemu-x86_64");
	r.art[STORE_ROLE_CMDLINE].length = 4097;
	eq(store_release_publish(s, &r, mf, sizeof(mf)), -EPX_E_DB_INVALID, "cmdline over cap");
	rel_init(&r, 10, "qemu-x86_64");
	r.art[STORE_ROLE_JOIN].sha256[3] = 'G';
	eq(store_release_publish(s, &r, mf, sizeof(mf)), -EPX_E_DB_INVALID, "bad sha256");
	rel_init(&r, 10, "qemu-x86_64");
	eq(store_release_publish(s, &r, mf, STORE_MANIFEST_MAX + 1), -EPX_E_DB_TOOBIG,
	   "manifest over cap");
	eq(store_release_get(s, "qemu-x86_64", 7, &o), 0, "release get");
	ok(o.art[STORE_ROLE_INITRAMFS].length == 101 &&
	   o.art[STORE_ROLE_JOIN].sha256[0] == 'd' && strlen(o.manifest_sha256) == 64,
	   "release fields round-trip");
	eq(store_release_manifest(s, "qemu-x86_64", 7, &buf, &len), 0, "manifest bytes");
	ok(len == sizeof(mf) && buf && !memcmp(buf, mf, len), "manifest bytes exact (binary)");
	free(buf);
	eq(store_release_get(s, "qemu-x86_64", 99, &o), -EPX_E_DB_NOTFOUND, "unknown release");

	eq(store_host_release(s, "node1", &o), -EPX_E_DB_NORELEASE, "no channel yet");
	eq(store_channel_set(s, "stable", 7), 0, "stable -> 7");
	eq(store_channel_get(s, "stable", &v), 0, "channel get");
	ok(v == 7, "stable is 7");
	eq(store_host_release(s, "node2", &o), 0, "node2 follows stable");
	ok(o.version == 7, "node2 gets 7 (%u)", o.version);
	eq(store_group_pin(s, "canary", "stable", 8), 0, "canary pin 8");
	eq(store_host_release(s, "node1", &o), 0, "node1 in canary");
	ok(o.version == 8, "node1 gets canary 8 (%u)", o.version);
	eq(store_host_release(s, "node2", &o), 0, "node2 not in canary");
	ok(o.version == 7, "node2 still 7 (%u)", o.version);
	eq(store_host_get(s, "node1", &h), 0, "get node1");
	h.pinned_version = 9;
	eq(store_host_update(s, &h), 0, "pin node1 to 9");
	eq(store_host_release(s, "node1", &o), 0, "pinned release");
	ok(o.version == 9, "node1 pinned 9 (%u)", o.version);
	h.pinned_version = 55;
	eq(store_host_update(s, &h), 0, "pin node1 to missing 55");
	eq(store_host_release(s, "node1", &o), -EPX_E_DB_NORELEASE, "pin to missing release");
	h.pinned_version = 0;
	eq(store_host_update(s, &h), 0, "unpin");
	eq(store_group_pin(s, "canary", "stable", 0), 0, "remove canary pin");
	eq(store_host_release(s, "node1", &o), 0, "back to channel");
	ok(o.version == 7, "node1 back on 7 (%u)", o.version);
}

/* -------------------------------------------------------------- objects */
static void t_dbx(struct store *s)
{
	static uint8_t big[STORE_DBX_MAX + 1];
	struct store_dbx d;
	char h1[STORE_HASH_HEX + 1], h2[STORE_HASH_HEX + 1];
	uint8_t *buf = NULL;
	size_t len = 0;

	ok(store_dbx_get(s, NULL, &d, &buf, &len) == -EPX_E_DB_NOTFOUND && !buf,
	   "dbx: none published yet");
	ok(store_dbx_publish(s, (const uint8_t *)"first", 5, 1, "alice", h1) == 0,
	   "dbx: publish the first update");
	ok(store_dbx_publish(s, (const uint8_t *)"second!", 7, 2, "bob", h2) == 0,
	   "dbx: publish the second update");
	ok(store_dbx_get(s, NULL, &d, &buf, &len) == 0 && len == 7 &&
	   !memcmp(buf, "second!", 7) && !strcmp(d.sha256, h2) && d.hashes == 2 &&
	   !strcmp(d.actor, "bob") && d.length == 7,
	   "dbx: the current one is the last published, verbatim");
	free(buf);
	buf = NULL;
	ok(store_dbx_get(s, h1, &d, &buf, &len) == 0 && len == 5 && !memcmp(buf, "first", 5),
	   "dbx: an earlier one by its SHA-256");
	free(buf);
	ok(store_dbx_get(s, "00000000000000000000000000000000000000000000000000000000000000ff",
			 &d, NULL, NULL) == -EPX_E_DB_NOTFOUND, "dbx: unknown SHA-256");
	ok(store_dbx_get(s, "ABC", &d, NULL, NULL) == -EPX_E_DB_INVALID, "dbx: malformed SHA-256");
	ok(store_dbx_publish(s, big, sizeof(big), 1, "alice", h1) == -EPX_E_DB_TOOBIG,
	   "dbx: over STORE_DBX_MAX");
	ok(store_dbx_publish(s, big, 10, 0, "alice", h1) == -EPX_E_DB_INVALID,
	   "dbx: an update that retires nothing");
}

static void t_objects(void)
{
	static const char content[] = "kernel bytes \x00\x01 not really a kernel";
	char data[300], src[300], path[400], hex[STORE_HASH_HEX + 1], want[STORE_HASH_HEX + 1];
	uint8_t h[32];
	uint64_t len = 0;
	size_t got = 0;
	char *back;
	FILE *f;

	snprintf(data, sizeof(data), "%s/data", tmpdir);
	snprintf(src, sizeof(src), "%s/kernel.src", tmpdir);
	f = fopen(src, "wb");
	ok(f && fwrite(content, 1, sizeof(content) - 1, f) == sizeof(content) - 1 &&
	   fclose(f) == 0, "write a source file");
	eq(store_object_put(data, src, hex, &len), 0, "object put");
	sha256_buf(content, sizeof(content) - 1, h);
	hex_encode(h, sizeof(h), want);
	ok(!strcmp(hex, want) && len == sizeof(content) - 1, "named by its SHA-256, length %llu",
	   (unsigned long long)len);
	eq(store_object_path(data, hex, path, sizeof(path)), 0, "object path");
	back = test_slurp(path, &got);
	ok(got == len && !memcmp(back, content, got), "object bytes intact");
	free(back);
	eq(store_object_put(data, src, hex, &len), 0, "putting it again is harmless");
	eq(store_object_path(data, hex, path, 20), -ENAMETOOLONG, "path buffer too small");
	eq(store_object_path(data, "../../etc/passwd", path, sizeof(path)), -EPX_E_DB_INVALID,
	   "not a hash: refused");
	hex[5] = 'A';
	eq(store_object_path(data, hex, path, sizeof(path)), -EPX_E_DB_INVALID,
	   "upper-case hash refused");
	snprintf(src, sizeof(src), "%s/missing", tmpdir);
	eq(store_object_put(data, src, hex, &len), -EPX_E_OBJ_IO, "missing source");
}

/* -------------------------------------------------------------- reports */
static int first_report(const struct store_report *r, void *arg)
{
	memcpy(arg, r, sizeof(*r));
	return 1;
}

struct page { int n; int64_t last; int order_ok; };
static int page_cb(const struct store_report *r, void *arg)
{
	struct page *p = arg;

	if (r->id >= p->last)
		p->order_ok = 0;
	p->last = r->id;
	p->n++;
	return 0;
}

static void t_reports(struct store *s)
{
	struct store_report r, o;
	struct store_host h;
	size_t i;

	memset(&r, 0, sizeof(r));
	snprintf(r.host, sizeof(r.host), "node1");
	snprintf(r.stage, sizeof(r.stage), "stage2");
	snprintf(r.status, sizeof(r.status), "fail");
	snprintf(r.code, sizeof(r.code), "EPOXY-E1030");
	for (i = 0; i < STORE_TAIL_MAX; i++)
		r.tail[i] = (char)(1 + i % 255);  /* every byte but NUL, not UTF-8 */
	r.tail_len = STORE_TAIL_MAX;
	eq(store_report_add(s, &r), 0, "report with 4 KiB binary tail");
	memset(&o, 0, sizeof(o));
	eq(store_report_list(s, "node1", 10, first_report, &o), 0, "report list");
	ok(o.tail_len == STORE_TAIL_MAX && !memcmp(o.tail, r.tail, STORE_TAIL_MAX) &&
	   !strcmp(o.code, "EPOXY-E1030") && o.time == fake_now, "report round-trip");
	eq(store_host_get(s, "node1", &h), 0, "host after report");
	ok(!strcmp(h.last_code, "EPOXY-E1030") && !strcmp(h.last_status, "fail") &&
	   h.last_tail_len == STORE_TAIL_MAX && h.last_seen == fake_now, "host last_* updated");
	r.tail_len = STORE_TAIL_MAX + 1;
	eq(store_report_add(s, &r), -EPX_E_DB_INVALID, "tail over cap");
	r.tail_len = 10;
	r.tail[3] = '\0';
	eq(store_report_add(s, &r), -EPX_E_DB_INVALID, "NUL in tail");
	r.tail[3] = 'x';
	snprintf(r.code, sizeof(r.code), "E1030");
	eq(store_report_add(s, &r), -EPX_E_DB_INVALID, "bad code");
	snprintf(r.code, sizeof(r.code), "EPOXY-E");
	eq(store_report_add(s, &r), -EPX_E_DB_INVALID, "code without digits");
	snprintf(r.code, sizeof(r.code), "%s", "");
	snprintf(r.status, sizeof(r.status), "maybe");
	eq(store_report_add(s, &r), -EPX_E_DB_INVALID, "bad status");
	snprintf(r.status, sizeof(r.status), "ok");
	snprintf(r.host, sizeof(r.host), "nosuch");
	eq(store_report_add(s, &r), -EPX_E_DB_NOTFOUND, "report for unknown host");
	snprintf(r.host, sizeof(r.host), "node2");
	snprintf(r.session, sizeof(r.session), "XYZ");
	eq(store_report_add(s, &r), -EPX_E_DB_INVALID, "bad session id");
	r.session[0] = '\0';
	eq(store_report_add(s, &r), 0, "ok report without session");
	{	/* paging: 301 reports come back newest first, all of them, once */
		struct page pg_ = { 0, INT64_MAX, 1 };
		int k, rc = 0;

		for (k = 0; k < 300 && rc == 0; k++)
			rc = store_report_add(s, &r);
		eq(rc, 0, "300 more reports");
		eq(store_report_list(s, "node2", 100000, page_cb, &pg_), 0, "list all of node2");
		ok(pg_.n == 301 && pg_.order_ok, "301 reports, newest first, across pages (%d)",
		   pg_.n);
		pg_.n = 0;
		pg_.last = INT64_MAX;
		eq(store_report_list(s, NULL, 280, page_cb, &pg_), 0, "list 280 of all");
		ok(pg_.n == 280 && pg_.order_ok, "limit 280 honoured across pages (%d)", pg_.n);
	}
}

/* ---------------------------------------------------------------- audit */
static void t_audit(struct store *s)
{
	struct db_res r;
	int64_t bad = 0, n;
	char saved[STORE_TEXT_MAX + 1];

	eq(store_audit_append(s, "admin:alice", "host.add", "node9", "site=lab1"), 0, "append");
	eq(store_audit_append(s, "ctl", "x", "has space", ""), -EPX_E_DB_INVALID,
	   "subject with space");
	eq(store_audit_append(s, "ctl", "x", "s", "new\nline"), -EPX_E_DB_INVALID,
	   "detail with newline");
	eq(store_audit_append(s, "", "x", "s", ""), -EPX_E_DB_INVALID, "empty actor");
	eq(store_audit_verify(s, &bad), 0, "chain verifies");
	ok(Q0(s, "SELECT COUNT(*) FROM audit", &r) == 0, "count");
	n = db_int(&r, 0, 0);
	db_res_free(&r);
	ok(n > 20, "audit holds %lld entries", (long long)n);

	/* tamper: change one detail in the middle */
	ok(Q(s, "SELECT detail FROM audit WHERE seq = $1", &r, A_INT(n / 2)) == 0, "read mid");
	snprintf(saved, sizeof(saved), "%s", db_text(&r, 0, 0));
	db_res_free(&r);
	ok(Q(s, "UPDATE audit SET detail = 'forged' WHERE seq = $1", NULL, A_INT(n / 2)) == 0,
	   "tamper with entry %lld", (long long)(n / 2));
	bad = 0;
	eq(store_audit_verify(s, &bad), -EPX_E_AUDIT_BROKEN, "altered entry detected");
	ok(bad == n / 2, "first bad entry %lld", (long long)bad);
	ok(Q(s, "UPDATE audit SET detail = $2 WHERE seq = $1", NULL, A_INT(n / 2),
	     A_TEXT(saved)) == 0, "restore");
	eq(store_audit_verify(s, &bad), 0, "restored chain verifies");

	/* tamper: recompute an entry's own hash after editing (chain breaks at next) */
	{
		struct store_audit e;

		ok(Q(s, "SELECT seq, time, actor, action, subject, detail, prev, hash FROM audit"
		     " WHERE seq = 3", &r) == 0 && r.nrows == 1, "read entry 3");
		memset(&e, 0, sizeof(e));
		e.seq = 3;
		e.time = db_int(&r, 0, 1);
		snprintf(e.actor, sizeof(e.actor), "%s", db_text(&r, 0, 2));
		snprintf(e.action, sizeof(e.action), "%s", db_text(&r, 0, 3));
		snprintf(e.subject, sizeof(e.subject), "%s", db_text(&r, 0, 4));
		snprintf(e.detail, sizeof(e.detail), "rewritten");
		snprintf(e.prev, sizeof(e.prev), "%s", db_text(&r, 0, 6));
		snprintf(saved, sizeof(saved), "%s|%s", db_text(&r, 0, 5), db_text(&r, 0, 7));
		db_res_free(&r);
		store_audit_hash(&e, e.hash);
		ok(Q(s, "UPDATE audit SET detail = $1, hash = $2 WHERE seq = 3", NULL,
		     A_TEXT(e.detail), A_TEXT(e.hash)) == 0, "rewrite entry 3 with its own hash");
		eq(store_audit_verify(s, &bad), -EPX_E_AUDIT_BROKEN, "rewritten entry detected");
		ok(bad == 4, "detected at the next entry (%lld)", (long long)bad);
		*strchr(saved, '|') = '\0';
		ok(Q(s, "UPDATE audit SET detail = $1, hash = $2 WHERE seq = 3", NULL,
		     A_TEXT(saved), A_TEXT(saved + strlen(saved) + 1)) == 0, "restore entry 3");
		eq(store_audit_verify(s, &bad), 0, "verifies again");
	}
	/* tamper: delete an entry */
	ok(Q(s, "DELETE FROM audit WHERE seq = $1", NULL, A_INT(n - 1)) == 0, "delete one");
	eq(store_audit_verify(s, &bad), -EPX_E_AUDIT_BROKEN, "deleted entry detected");
	ok(bad == n - 1, "gap at %lld", (long long)bad);
}

/* ---------------------------------------------------------- concurrency */
struct race {
	char (*tok)[STORE_TOKEN_HEX + 1];
	atomic_int *wins;
	size_t from, to;
	atomic_int errors, refused_used;
};

static void *race_thread(void *arg)
{
	struct race *r = arg;
	struct store *s = NULL;
	size_t i;
	int rc;

	rc = store_open(&s, uri);
	if (rc < 0) {
		printf("# race thread: open: %s\n", epx_strerror(rc));
		atomic_fetch_add(&r->errors, 1);
		return NULL;
	}
	for (i = r->from; i < r->to; i++) {
		rc = store_token_redeem(s, r->tok[i], "kernel", NULL, NULL, NULL);
		if (rc == 0)
			atomic_fetch_add(&r->wins[i], 1);
		else if (rc == -EPX_E_TOK_USED)
			atomic_fetch_add(&r->refused_used, 1);
		else {
			printf("# race thread: redeem: %s\n", epx_strerror(rc));
			atomic_fetch_add(&r->errors, 1);
		}
	}
	store_close(s);
	return NULL;
}

static size_t race_n;

static void t_race(struct store *s)
{
	const char *e = getenv("EPOXY_TEST_TOKENS"), *et = getenv("EPOXY_TEST_THREADS");
	size_t n = e ? strtoul(e, NULL, 10) : 2000, i, bad = 0, used = 0, errs = 0;
	int threads = et ? atoi(et) : 4, t;
	static const char nonce[] = "abababababababababababababababababababababababababababababababab";
	char sid[STORE_SESSION_HEX + 1];
	struct race r[16];
	pthread_t th[16];
	char (*tok)[STORE_TOKEN_HEX + 1];
	atomic_int *wins;
	int rc = 0;

	if (threads < 2 || threads > 16 || threads % 2)
		threads = 4;
	race_n = n;
	tok = calloc(n, sizeof(*tok));
	wins = calloc(n, sizeof(*wins));
	if (!tok || !wins)
		abort();
	store_set_clock(s, NULL, NULL);   /* threads use the real clock */
	eq(store_session_open(s, "node2", nonce, 7, "qemu-x86_64", sid), 0, "race session");
	for (i = 0; i < n && rc == 0; i++) {
		rc = store_token_issue(s, "node2", sid, "kernel", 3600, tok[i]);
		keep(tok[i]);
	}
	eq(rc, 0, "issued %zu tokens", n);
	/* threads in pairs: both of a pair walk the same slice in the same order,
	 * so every token is redeemed twice at (nearly) the same moment */
	for (t = 0; t < threads; t++) {
		memset(&r[t], 0, sizeof(r[t]));
		r[t].tok = tok;
		r[t].wins = wins;
		r[t].from = n * (size_t)(t / 2) / (size_t)(threads / 2);
		r[t].to = n * (size_t)(t / 2 + 1) / (size_t)(threads / 2);
		pthread_create(&th[t], NULL, race_thread, &r[t]);
	}
	for (t = 0; t < threads; t++) {
		pthread_join(th[t], NULL);
		used += (size_t)atomic_load(&r[t].refused_used);
		errs += (size_t)atomic_load(&r[t].errors);
	}
	for (i = 0; i < n; i++)
		if (atomic_load(&wins[i]) != 1)
			bad++;
	ok(bad == 0, "%zu tokens x 2 concurrent redemptions on %d connections:"
	   " %zu tokens without exactly one success", n, threads, bad);
	ok(used == n && errs == 0, "every loser refused as used (%zu used, %zu other)", used, errs);
	store_set_clock(s, fake_clock, NULL);
	explicit_bzero(tok, n * sizeof(*tok));
	free(tok);
	free(wins);
}

/* ------------------------------------------------------- secret scanning */
static size_t scan_buf(const uint8_t *buf, size_t len, const char *what)
{
	uint8_t raw[STORE_TOKEN_BYTES];
	size_t i, hits = 0;

	for (i = 0; i < n_secrets; i++) {
		if (memmem(buf, len, secrets[i], STORE_TOKEN_HEX))
			hits++;
		if (hex_decode(secrets[i], STORE_TOKEN_HEX, raw, sizeof(raw)) == 0 &&
		    memmem(buf, len, raw, sizeof(raw)))
			hits++;
	}
	if (hits)
		fprintf(stderr, "secret found in %s\n", what);
	return hits;
}

static size_t scan_file(const char *path, size_t *files)
{
	size_t len = 0, hits;
	char *buf;
	struct stat st;

	if (stat(path, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size == 0)
		return 0;
	buf = test_slurp(path, &len);
	hits = scan_buf((uint8_t *)buf, len, path);
	free(buf);
	(*files)++;
	return hits;
}

static size_t scan_dir(const char *dir, size_t *files)
{
	char path[4096];
	struct dirent *d;
	struct stat st;
	size_t hits = 0;
	DIR *dp = opendir(dir);

	if (!dp)
		return 0;
	while ((d = readdir(dp))) {
		if (!strcmp(d->d_name, ".") || !strcmp(d->d_name, ".."))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, d->d_name);
		if (lstat(path, &st) < 0)
			continue;
		if (S_ISDIR(st.st_mode))
			hits += scan_dir(path, files);
		else
			hits += scan_file(path, files);
	}
	closedir(dp);
	return hits;
}

/* while the store is still open, so SQLite's -wal still exists */
static void t_secrets_files(void)
{
	const char *pgdata = getenv("EPOXY_TEST_PGDATA");
	size_t files = 0, hits;
	char path[512];

	ok(n_secrets > race_n + 10, "%zu secrets issued during the run", n_secrets);
	{	/* the scanner itself must see a planted secret, hex and raw */
		uint8_t plant[200] = "prefix ";

		memcpy(plant + 7, secrets[n_secrets / 2], STORE_TOKEN_HEX);
		ok(scan_buf(plant, sizeof(plant), "planted buffer (expected)") == 1,
		   "scanner finds a planted hex secret");
		memset(plant, 0, sizeof(plant));
		hex_decode(secrets[1], STORE_TOKEN_HEX, plant + 50, STORE_TOKEN_BYTES);
		ok(scan_buf(plant, sizeof(plant), "planted buffer (expected)") == 1,
		   "scanner finds a planted raw secret");
	}
	if (!pg) {
		hits = 0;
		snprintf(path, sizeof(path), "%s/store.db", tmpdir);
		hits += scan_file(path, &files);
		snprintf(path, sizeof(path), "%s/store.db-wal", tmpdir);
		hits += scan_file(path, &files);
		ok(hits == 0 && files == 2, "no secret (hex or raw) in store.db or its -wal"
		   " (%zu files, %zu hits)", files, hits);
	} else if (pgdata) {
		hits = scan_dir(pgdata, &files);
		ok(hits == 0 && files > 100, "no secret in PostgreSQL's data dir incl. pg_wal"
		   " (%zu files, %zu hits)", files, hits);
	}
}

static void t_secrets_log(const char *errlog)
{
	size_t files = 0, hits;

	hits = scan_file(errlog, &files);
	ok(hits == 0, "no secret in the store's log output (%zu hits)", hits);
}

int main(void)
{
	struct store *s;
	char errlog[300];
	int fd, saved_err;

	snprintf(tmpdir, sizeof(tmpdir), "%s/epoxy-store-XXXXXX",
		 getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if (!mkdtemp(tmpdir))
		return 1;
	pg = getenv("EPOXY_TEST_PG");
	if (pg && *pg) {
		snprintf(uri, sizeof(uri), "postgres:%s", pg);
		pg_wipe();
	} else {
		pg = NULL;
		snprintf(uri, sizeof(uri), "sqlite:%s/store.db", tmpdir);
	}
	printf("# backend %s\n", pg ? "postgres" : "sqlite");
	/* everything the store prints goes to errlog, scanned at the end */
	snprintf(errlog, sizeof(errlog), "%s/stderr.log", tmpdir);
	fflush(stderr);
	saved_err = dup(2);
	fd = open(errlog, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd < 0 || saved_err < 0 || dup2(fd, 2) < 0)
		return 1;
	close(fd);

	t_uri();
	t_migrations();
	t_validation();
	t_objects();
	s = open_store();
	t_hosts(s);
	t_host_pages(s);
	t_tokens(s);
	t_creds(s);
	t_nodecert(s);
	t_releases(s);
	t_dbx(s);
	test_store_slices(s, &fake_now);
	test_store_archive(s, &fake_now);
	test_store_rollouts(s, &fake_now);
	test_store_usage(s, &fake_now);
	t_reports(s);
	t_race(s);
	t_audit(s);
	t_inventory(s);
	t_secrets_files();
	store_close(s);

	fflush(stderr);
	dup2(saved_err, 2);
	t_secrets_log(errlog);
	explicit_bzero(secrets, cap_secrets * sizeof(*secrets));
	free(secrets);
	if (!getenv("EPOXY_TEST_KEEP")) {
		char cmd[400];

		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
		if (system(cmd) != 0)
			fprintf(stderr, "cannot remove %s\n", tmpdir);
	}
	return test_done();
}
