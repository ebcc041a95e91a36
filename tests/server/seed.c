/* seed: test helper that prepares what epoxyd serves, through the real
 * store and trust library (no shortcut around either):
 *   seed keys DIR                       online.key, release1.key, keyset
 *   seed release URI DATADIR KEYDIR HWCLASS VERSION EXPIRES K I C J
 *                                       signs a manifest over the four files,
 *                                       stores the objects, publishes it and
 *                                       points channel "stable" at it
 *   seed host URI NAME MAC [ADDR]       registers a host (hwclass qemu-x86_64)
 *   seed cred URI NAME FILE             issues its boot credential into FILE
 *   seed boottoken URI NAME TTL FILE    one-time boot token into FILE
 *   seed admin URI NAME FILE            admin credential into FILE
 *   seed statement KEYSET FILE NONCE HOST  verifies a session statement with
 *                                       the trust library (exit 0 if valid)
 *   seed fleet URI N FILE               hosts n0..n<N-1> (MAC 02-00-..-i) with
 *                                       credentials, "name mac cred" lines in FILE
 *   seed site URI NAME DESCFILE         a site whose description is DESCFILE's
 *                                       bytes (the status page's tests)
 *   seed place URI HOST SITE GROUP STATE  puts HOST at SITE in GROUP ("-": none)
 *                                       and sets its state
 *   seed boot URI HOST VERSION STAGE STATUS CODE TAILFILE
 *                                       a boot session of VERSION opened 60 s ago
 *                                       (the store's clock set back) with reports
 *                                       "session ok" at +2 s, "download ok" at
 *                                       +30 s, then STAGE STATUS CODE ("-": none)
 *                                       at +60 s with TAILFILE as console tail
 * Secrets go only to mode-0600 files, never to stdout or stderr. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "lib/err.h"
#include "lib/hex.h"
#include "lib/manifest.h"
#include "lib/sign.h"
#include "lib/statement.h"
#include "store/store.h"

static int die(const char *what, int rc)
{
	fprintf(stderr, "seed: %s: %s\n", what, epx_strerror(rc));
	return 1;
}

static int write_secret(const char *path, const char *val)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	size_t n = strlen(val);

	if (fd < 0)
		return -errno;
	if (write(fd, val, n) != (ssize_t)n) {
		close(fd);
		return -EIO;
	}
	return close(fd) < 0 ? -errno : 0;
}

static int pub_line(struct sign_key *k, const char *kind, char *out, size_t cap)
{
	struct sig_pub p;
	char id[2 * DOC_KEYID_LEN + 1], pt[2 * SIG_POINT_LEN + 1];
	int rc = sign_pub(k, &p);

	if (rc < 0)
		return rc;
	hex_encode(p.keyid, DOC_KEYID_LEN, id);
	hex_encode(p.point, SIG_POINT_LEN, pt);
	snprintf(out, cap, "%s %s %s\n", kind, id, pt);
	return 0;
}

static int cmd_keys(const char *dir)
{
	char p1[512], p2[512], ks[4096], line[400];
	struct sign_key *rel = NULL, *onl = NULL;
	size_t len;
	int rc;

	snprintf(p1, sizeof(p1), "%s/release1.key", dir);
	snprintf(p2, sizeof(p2), "%s/online.key", dir);
	if ((rc = sign_generate(p1)) < 0 || (rc = sign_generate(p2)) < 0)
		return die("generate keys", rc);
	if ((rc = sign_load(&rel, p1)) < 0 || (rc = sign_load(&onl, p2)) < 0)
		return die("load keys", rc);
	snprintf(ks, sizeof(ks), "epoxy-keyset 1\nserial 1\nthreshold 1\n");
	pub_line(rel, "release", line, sizeof(line));
	strcat(ks, line);
	pub_line(onl, "online", line, sizeof(line));
	strcat(ks, line);
	strcat(ks, "end\n");
	len = strlen(ks);
	rc = sign_doc_append(rel, ks, len, ks, sizeof(ks), &len);
	if (rc < 0)
		return die("sign keyset", rc);
	snprintf(p1, sizeof(p1), "%s/keyset", dir);
	ks[len] = '\0';
	rc = write_secret(p1, ks);
	sign_free(rel);
	sign_free(onl);
	return rc < 0 ? die("write keyset", rc) : 0;
}

static int open_store(struct store **s, const char *uri)
{
	int rc = store_open(s, uri);

	if (rc < 0)
		die("store_open", rc);
	return rc;
}

static int cmd_release(char **a)
{
	struct store_release r;
	struct manifest m;
	struct sign_key *rel = NULL;
	struct store *s = NULL;
	char path[512], buf[16384];
	size_t len = 0;
	int rc, i;

	memset(&r, 0, sizeof(r));
	memset(&m, 0, sizeof(m));
	snprintf(r.hwclass, sizeof(r.hwclass), "%s", a[3]);
	snprintf(m.hwclass, sizeof(m.hwclass), "%s", a[3]);
	r.version = m.version = (uint32_t)strtoul(a[4], NULL, 10);
	r.expires = m.expires = strtoll(a[5], NULL, 10);
	m.min_agent = 1;
	for (i = 0; i < STORE_ROLES; i++) {
		rc = store_object_put(a[1], a[6 + i], r.art[i].sha256, &r.art[i].length);
		if (rc < 0)
			return die("object_put", rc);
		m.art[i].length = r.art[i].length;
		hex_decode(r.art[i].sha256, 64, m.art[i].sha256, 32);
	}
	rc = manifest_format(&m, buf, sizeof(buf), &len);
	if (rc < 0)
		return die("manifest_format", rc);
	snprintf(path, sizeof(path), "%s/release1.key", a[2]);
	if ((rc = sign_load(&rel, path)) < 0)
		return die("load release key", rc);
	rc = sign_doc_append(rel, buf, len, buf, sizeof(buf), &len);
	sign_free(rel);
	if (rc < 0)
		return die("sign manifest", rc);
	if (open_store(&s, a[0]) < 0)
		return 1;
	rc = store_release_publish(s, &r, (const uint8_t *)buf, len);
	if (rc == 0)
		rc = store_channel_set(s, "stable", r.version);
	store_close(s);
	return rc < 0 ? die("publish", rc) : 0;
}

static int cmd_host(int argc, char **a)
{
	struct store_host h;
	struct store *s = NULL;
	int rc;

	memset(&h, 0, sizeof(h));
	snprintf(h.name, sizeof(h.name), "%s", a[1]);
	snprintf(h.hwclass, sizeof(h.hwclass), "qemu-x86_64");
	snprintf(h.channel, sizeof(h.channel), "stable");
	snprintf(h.macs[0], sizeof(h.macs[0]), "%s", a[2]);
	h.n_macs = 1;
	if (argc > 3) {
		snprintf(h.addrs[0], sizeof(h.addrs[0]), "%s", a[3]);
		h.n_addrs = 1;
	}
	if (open_store(&s, a[0]) < 0)
		return 1;
	rc = store_host_add(s, &h);
	store_close(s);
	return rc < 0 ? die("host_add", rc) : 0;
}

static int cmd_secret(const char *what, char **a)
{
	char val[STORE_TOKEN_HEX + 1];
	struct store *s = NULL;
	const char *file = a[2];
	int rc;

	if (open_store(&s, a[0]) < 0)
		return 1;
	if (!strcmp(what, "cred")) {
		rc = store_cred_issue(s, a[1], val);
	} else if (!strcmp(what, "admin")) {
		rc = store_admin_issue(s, a[1], val);
	} else {
		rc = store_boot_token_issue(s, a[1], strtoll(a[2], NULL, 10), val);
		file = a[3];
	}
	store_close(s);
	if (rc < 0)
		return die(what, rc);
	rc = write_secret(file, val);
	explicit_bzero(val, sizeof(val));
	return rc < 0 ? die("write", rc) : 0;
}

static int cmd_fleet(char **a)
{
	char cred[STORE_TOKEN_HEX + 1];
	struct store *s = NULL;
	struct store_host h;
	long i, n = strtol(a[1], NULL, 10);
	int rc = 0;
	FILE *f;

	if (open_store(&s, a[0]) < 0)
		return 1;
	f = fopen(a[2], "w");
	if (!f || fchmod(fileno(f), 0600) < 0)
		return die("fleet file", -errno);
	for (i = 0; i < n && rc == 0; i++) {
		memset(&h, 0, sizeof(h));
		snprintf(h.name, sizeof(h.name), "n%ld", i);
		snprintf(h.hwclass, sizeof(h.hwclass), "qemu-x86_64");
		snprintf(h.channel, sizeof(h.channel), "stable");
		snprintf(h.macs[0], sizeof(h.macs[0]), "02-00-00-%02lx-%02lx-%02lx",
			 (i >> 16) & 0xff, (i >> 8) & 0xff, i & 0xff);
		h.n_macs = 1;
		rc = store_host_add(s, &h);
		if (rc == 0)
			rc = store_cred_issue(s, h.name, cred);
		if (rc == 0)
			fprintf(f, "%s %s %s\n", h.name, h.macs[0], cred);
		explicit_bzero(cred, sizeof(cred));
	}
	fclose(f);
	store_close(s);
	return rc < 0 ? die("fleet", rc) : 0;
}

static char *slurp(const char *path, size_t *len)
{
	static char buf[DOC_MAX_BYTES + 1];
	FILE *f = fopen(path, "r");

	if (!f)
		return NULL;
	*len = fread(buf, 1, DOC_MAX_BYTES, f);
	fclose(f);
	buf[*len] = '\0';
	return buf;
}

static int cmd_statement(char **a)
{
	static char ksbuf[DOC_MAX_BYTES + 1];
	struct keyset ks;
	struct statement st;
	uint8_t nonce[32];
	size_t kl = 0, sl = 0;
	char *p = slurp(a[0], &kl);
	int rc;

	if (!p)
		return die("keyset", -ENOENT);
	memcpy(ksbuf, p, kl + 1);
	rc = keyset_load_root(&ks, ksbuf, kl);
	if (rc < 0)
		return die("keyset", rc);
	p = slurp(a[1], &sl);
	if (!p || hex_decode(a[2], strlen(a[2]), nonce, 32) < 0)
		return die("statement/nonce", -EINVAL);
	rc = statement_verify(&st, p, sl, &ks, nonce, a[3]);
	return rc < 0 ? die("statement_verify", rc) : 0;
}

static int cmd_site(char **a)
{
	struct store *s = NULL;
	size_t n = 0;
	char *d = slurp(a[2], &n);
	int rc;

	if (!d)
		return die("site description", -ENOENT);
	d[strcspn(d, "\n")] = '\0';
	if (open_store(&s, a[0]) < 0)
		return 1;
	rc = store_site_add(s, a[1], d);
	store_close(s);
	return rc < 0 ? die("site_add", rc) : 0;
}

static int cmd_place(char **a)
{
	struct store_host *h = calloc(1, sizeof(*h));
	struct store *s = NULL;
	int rc = -ENOMEM;

	if (!h || open_store(&s, a[0]) < 0) {
		free(h);
		return 1;
	}
	rc = store_host_get(s, a[1], h);
	if (rc == 0) {
		snprintf(h->site, sizeof(h->site), "%s", strcmp(a[2], "-") ? a[2] : "");
		h->n_groups = strcmp(a[3], "-") ? 1 : 0;
		snprintf(h->groups[0], sizeof(h->groups[0]), "%s", h->n_groups ? a[3] : "");
		rc = store_host_update(s, h);
	}
	if (rc == 0)
		rc = store_host_set_state(s, a[1], a[4]);
	store_close(s);
	free(h);
	return rc < 0 ? die("place", rc) : 0;
}

static int64_t seed_clock_t;

static int64_t seed_clock(void *arg)
{
	return seed_clock_t;
}

/* Adds r as of t seconds after t0 on the store's clock. */
static int seed_report_at(struct store *s, struct store_report *r, int64_t t0, int64_t t,
			  const char *stage, const char *status)
{
	seed_clock_t = t0 + t;
	snprintf(r->stage, sizeof(r->stage), "%s", stage);
	snprintf(r->status, sizeof(r->status), "%s", status);
	return store_report_add(s, r);
}

static int cmd_boot(char **a)
{
	struct store_report *r = calloc(1, sizeof(*r));
	char nonce[STORE_TOKEN_HEX + 1], id[STORE_SESSION_HEX + 1];
	uint8_t raw[32];
	struct store *s = NULL;
	size_t n = 0;
	char *tail = slurp(a[6], &n);
	int rc = -ENOMEM;

	if (!r || !tail || open_store(&s, a[0]) < 0) {
		free(r);
		return 1;
	}
	memset(raw, 0x5a, sizeof(raw));
	raw[0] = (uint8_t)getpid();
	raw[1] = (uint8_t)(getpid() >> 8);
	hex_encode(raw, sizeof(raw), nonce);
	int64_t t0 = (int64_t)time(NULL) - 60;

	seed_clock_t = t0;
	store_set_clock(s, seed_clock, NULL);
	rc = store_session_open(s, a[1], nonce, (uint32_t)strtoul(a[2], NULL, 10),
				"qemu-x86_64", id);
	snprintf(r->host, sizeof(r->host), "%s", a[1]);
	snprintf(r->session, sizeof(r->session), "%s", id);
	if (rc == 0)
		rc = seed_report_at(s, r, t0, 2, "session", "ok");
	if (rc == 0 && strcmp(a[3], "session") && strcmp(a[3], "download"))
		rc = seed_report_at(s, r, t0, 30, "download", "ok");
	snprintf(r->code, sizeof(r->code), "%s", strcmp(a[5], "-") ? a[5] : "");
	r->tail_len = n < STORE_TAIL_MAX ? n : STORE_TAIL_MAX;
	memcpy(r->tail, tail, r->tail_len);
	if (rc == 0)
		rc = seed_report_at(s, r, t0, 60, a[3], a[4]);
	store_close(s);
	free(r);
	return rc < 0 ? die("boot", rc) : 0;
}

int main(int argc, char **argv)
{
	if (argc == 5 && !strcmp(argv[1], "site"))
		return cmd_site(argv + 2);
	if (argc == 7 && !strcmp(argv[1], "place"))
		return cmd_place(argv + 2);
	if (argc == 9 && !strcmp(argv[1], "boot"))
		return cmd_boot(argv + 2);
	if (argc == 6 && !strcmp(argv[1], "statement"))
		return cmd_statement(argv + 2);
	if (argc == 5 && !strcmp(argv[1], "fleet"))
		return cmd_fleet(argv + 2);
	if (argc == 3 && !strcmp(argv[1], "keys"))
		return cmd_keys(argv[2]);
	if (argc == 12 && !strcmp(argv[1], "release"))
		return cmd_release(argv + 2);
	if ((argc == 5 || argc == 6) && !strcmp(argv[1], "host"))
		return cmd_host(argc - 2, argv + 2);
	if (argc == 5 && (!strcmp(argv[1], "cred") || !strcmp(argv[1], "admin")))
		return cmd_secret(argv[1], argv + 2);
	if (argc == 6 && !strcmp(argv[1], "boottoken"))
		return cmd_secret(argv[1], argv + 2);
	fprintf(stderr, "usage: see the comment at the top of tests/server/seed.c\n");
	return 2;
}
