/* keytool: `epoxyctl keys` and `epoxy-keys`, the release keys and the keyset, offline.
 *
 *   new      a P-256 key (release or online): KEY (0600) and KEY.pub
 *   pub      print a key's ID and public key
 *   keyset   write a keyset (root, or the successor of --from) and sign it
 *   sign     add signatures to a keyset (each holder in turn)
 *   verify   walk a keyset chain from the root
 *   dev      a development set: n release keys, threshold t, online key,
 *            root keyset signed by t of them
 *
 * Guarantees: private keys are created O_EXCL with mode 0600 and are only
 * read through sign_load() (which refuses exposed files); no command prints
 * or copies private key material; a keyset is written only after it
 * verifies as a root or as the successor of --from. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "keys/keytool.h"
#include "keys/kfile.h"
#include "lib/cli.h"
#include "lib/err.h"
#include "lib/hex.h"
#include "lib/keyset.h"
#include "lib/num.h"
#include "lib/sign.h"

#define KEYS_MAX 32

static const char keytool_help[] =
"usage: epoxyctl keys new KEYFILE\n"
"       epoxyctl keys pub KEYFILE|PUBFILE\n"
"       epoxyctl keys keyset (--serial N | --from OLDKEYSET) --threshold T\n"
"                            --release K [--release K ...] --online K\n"
"                            [--revoke KEYID|K ...] [--key PRIV ...] --out FILE\n"
"       epoxyctl keys sign KEYSET --key PRIV [--key PRIV ...] [--from OLDKEYSET]\n"
"       epoxyctl keys verify ROOT [ROTATION ...]\n"
"       epoxyctl keys dev DIR [--release-keys N] [--threshold T]\n"
"\n"
"new creates a P-256 private key (mode 0600, never overwritten) and KEYFILE.pub\n"
"(\"<keyid> <pubhex>\"), the only part to hand to others.  In keyset, K is a\n"
".pub file or a private key (its public half is used).  --from makes the\n"
"successor of OLDKEYSET (serial + 1, its revocations carried over); a rotation\n"
"must be signed by the threshold of old keys AND of new keys.  keyset and sign\n"
"write the file even when signatures are still missing and say how many are.\n"
"dev writes release-1..N.key (+ .pub), online.key (+ .pub) and keyset (serial\n"
"1, threshold T, signed by T keys) into DIR: for development only.\n"
"exit status: 0 ok, 1 failed or not yet valid (verify), 2 usage\n";

enum { K_SERIAL = 1, K_FROM, K_THRESHOLD, K_RELEASE, K_ONLINE, K_REVOKE, K_KEY,
       K_OUT, K_NREL, K_HELP };

static const struct option keytool_opts[] = {
	{ "serial", required_argument, NULL, K_SERIAL },
	{ "from", required_argument, NULL, K_FROM },
	{ "threshold", required_argument, NULL, K_THRESHOLD },
	{ "release", required_argument, NULL, K_RELEASE },
	{ "online", required_argument, NULL, K_ONLINE },
	{ "revoke", required_argument, NULL, K_REVOKE },
	{ "key", required_argument, NULL, K_KEY },
	{ "out", required_argument, NULL, K_OUT },
	{ "release-keys", required_argument, NULL, K_NREL },
	{ "help", no_argument, NULL, K_HELP },
	{ NULL, 0, NULL, 0 },
};

struct keytool_args {
	const char *from, *online, *out;
	const char *release[KEYS_MAX], *revoke[KEYS_MAX], *key[KEYS_MAX];
	size_t nrelease, nrevoke, nkey;
	uint32_t serial, threshold, nrel;
	int have_serial, have_threshold;
};

static void keytool_err(const char *what, const char *obj, int rc)
{
	char code[32];

	fprintf(stderr, "epoxyctl keys: %s %s: %s %s\n", what, obj,
		epx_code(rc, code, sizeof(code)), epx_strerror(rc));
}

static int keytool_push(const char **arr, size_t *n, const char *v)
{
	if (*n >= KEYS_MAX)
		return -E2BIG;
	arr[(*n)++] = v;
	return 0;
}

static int keytool_u32(const char *s, uint32_t *out)
{
	uint64_t x;

	if (num_parse_u64(s, strlen(s), UINT32_MAX, &x) < 0)
		return -EINVAL;
	*out = (uint32_t)x;
	return 0;
}

static int keytool_opt(struct keytool_args *a, int c, const char *arg)
{
	switch (c) {
	case K_SERIAL: a->have_serial = 1; return keytool_u32(arg, &a->serial);
	case K_THRESHOLD: a->have_threshold = 1; return keytool_u32(arg, &a->threshold);
	case K_NREL: return keytool_u32(arg, &a->nrel);
	case K_FROM: a->from = arg; return 0;
	case K_ONLINE: a->online = arg; return 0;
	case K_OUT: a->out = arg; return 0;
	case K_RELEASE: return keytool_push(a->release, &a->nrelease, arg);
	case K_REVOKE: return keytool_push(a->revoke, &a->nrevoke, arg);
	case K_KEY: return keytool_push(a->key, &a->nkey, arg);
	}
	return -EINVAL;
}

static int keytool_parse(int argc, char **argv, struct keytool_args *a, int *status)
{
	int c;

	memset(a, 0, sizeof(*a));
	optind = 0;
	while ((c = getopt_long(argc, argv, "", keytool_opts, NULL)) != -1) {
		if (c == K_HELP) {
			fputs(keytool_help, stdout);
			*status = CLI_OK;
			return 1;
		}
		if (c == '?' || keytool_opt(a, c, optarg) < 0) {
			fputs(keytool_help, stderr);
			*status = CLI_USAGE;
			return 1;
		}
	}
	return 0;
}

/* KEYFILE.pub next to a key file */
static int keytool_pub_path(const char *key, char *out, size_t cap)
{
	return (size_t)snprintf(out, cap, "%s.pub", key) < cap ? 0 : -ENAMETOOLONG;
}

static int keytool_new(const char *path, int quiet)
{
	struct sign_key *k = NULL;
	struct sig_pub pub;
	char pubpath[4096], line[2 * DOC_KEYID_LEN + 2 * SIG_POINT_LEN + 3];
	char id[2 * DOC_KEYID_LEN + 1], hex[2 * SIG_POINT_LEN + 1];
	int rc = -EINVAL;

	rc = keytool_pub_path(path, pubpath, sizeof(pubpath));
	if (rc < 0)
		return rc;
	rc = sign_generate(path);
	if (rc < 0) {
		fprintf(stderr, "epoxyctl keys: cannot create %s: %s\n", path,
			rc == -EEXIST ? "file exists (keys are never overwritten)" : epx_strerror(rc));
		return rc;
	}
	rc = sign_load(&k, path);
	if (rc == 0)
		rc = sign_pub(k, &pub);
	sign_free(k);
	if (rc < 0) {
		keytool_err("cannot read back", path, rc);
		return rc;
	}
	sig_keyid_hex(&pub, id);
	hex_encode(pub.point, SIG_POINT_LEN, hex);
	snprintf(line, sizeof(line), "%s %s\n", id, hex);
	rc = kfile_write(pubpath, line, strlen(line), 0644);
	if (rc < 0) {
		fprintf(stderr, "epoxyctl keys: cannot write %s: %s\n", pubpath, strerror(-rc));
		return rc;
	}
	if (!quiet)
		printf("created %s (mode 0600), key ID %s; public key in %s\n", path, id, pubpath);
	return 0;
}

static int keytool_pub(const char *path)
{
	struct sig_pub pub;
	char id[2 * DOC_KEYID_LEN + 1], hex[2 * SIG_POINT_LEN + 1];
	int rc = kfile_pub(path, &pub);

	if (rc < 0) {
		keytool_err("cannot read a public key from", path, rc);
		return rc;
	}
	sig_keyid_hex(&pub, id);
	hex_encode(pub.point, SIG_POINT_LEN, hex);
	printf("%s %s\n", id, hex);
	return 0;
}

/* Appends the string s to doc. */
static int keytool_put(char *doc, size_t cap, size_t *len, const char *s)
{
	size_t n = strlen(s);

	if (*len > cap || n >= cap - *len)
		return -ENOSPC;
	memcpy(doc + *len, s, n + 1);
	*len += n;
	return 0;
}

static int keytool_keyline(char *doc, size_t cap, size_t *len, const char *field,
			const char *path)
{
	struct sig_pub pk;
	char id[2 * DOC_KEYID_LEN + 1], hex[2 * SIG_POINT_LEN + 1], line[256];
	int rc = kfile_pub(path, &pk);

	if (rc < 0) {
		keytool_err("cannot read a public key from", path, rc);
		return rc;
	}
	sig_keyid_hex(&pk, id);
	hex_encode(pk.point, SIG_POINT_LEN, hex);
	snprintf(line, sizeof(line), "%s %s %s\n", field, id, hex);
	return keytool_put(doc, cap, len, line);
}

/* A --revoke argument: 16 hex digits, or a key file whose ID is meant. */
static int keytool_revoke_id(const char *arg, char id[2 * DOC_KEYID_LEN + 1])
{
	uint8_t raw[DOC_KEYID_LEN];
	struct sig_pub pk;
	int rc;

	if (strlen(arg) == 2 * DOC_KEYID_LEN && hex_decode(arg, strlen(arg), raw, sizeof(raw)) == 0) {
		hex_encode(raw, sizeof(raw), id);
		return 0;
	}
	rc = kfile_pub(arg, &pk);
	if (rc < 0) {
		keytool_err("--revoke wants a key ID or key file, cannot use", arg, rc);
		return rc;
	}
	sig_keyid_hex(&pk, id);
	return 0;
}

static int keytool_load_doc(const char *path, struct keyset *ks, int root)
{
	char *buf = NULL;
	size_t len;
	int rc = kfile_read(path, DOC_MAX_BYTES, &buf, &len);

	if (rc < 0) {
		fprintf(stderr, "epoxyctl keys: %s: %s\n", path, strerror(-rc));
		return rc;
	}
	rc = root ? keyset_load_root(ks, buf, len) : keyset_parse(ks, buf, len);
	free(buf);
	if (rc < 0)
		keytool_err("keyset refused:", path, rc);
	return rc;
}

/* The body of the new keyset into doc. */
static int keytool_body(const struct keytool_args *a, const struct keyset *old, char *doc,
		     size_t cap, size_t *len)
{
	char id[2 * DOC_KEYID_LEN + 1], line[128];
	size_t i;
	int rc = -EINVAL;

	snprintf(line, sizeof(line), "epoxy-keyset 1\nserial %" PRIu32 "\nthreshold %" PRIu32 "\n",
		 old ? old->serial + 1 : a->serial, a->threshold);
	rc = keytool_put(doc, cap, len, line);
	for (i = 0; rc == 0 && i < a->nrelease; i++)
		rc = keytool_keyline(doc, cap, len, "release", a->release[i]);
	if (rc == 0)
		rc = keytool_keyline(doc, cap, len, "online", a->online);
	for (i = 0; rc == 0 && old && i < old->nrevoked; i++) {
		hex_encode(old->revoked[i], DOC_KEYID_LEN, id);
		snprintf(line, sizeof(line), "revoked %s\n", id);
		rc = keytool_put(doc, cap, len, line);
	}
	for (i = 0; rc == 0 && i < a->nrevoke; i++) {
		rc = keytool_revoke_id(a->revoke[i], id);
		snprintf(line, sizeof(line), "\nrevoked %s\n", id);
		if (rc == 0 && strstr(doc, line))
			continue;       /* already carried over or given twice */
		if (rc == 0)
			rc = keytool_put(doc, cap, len, line + 1);
	}
	if (rc == 0)
		rc = keytool_put(doc, cap, len, "end\n");
	return rc;
}

/* Signs doc with each --key, then reports validity as root or successor. */
static int keytool_sign_report(const struct keytool_args *a, const struct keyset *old,
			    char *doc, size_t cap, size_t *len, const char *out)
{
	struct sign_key *k = NULL;
	struct keyset ks, cur;
	struct sig_pub pub;
	struct doc d;
	char id[2 * DOC_KEYID_LEN + 1], needle[2 * DOC_KEYID_LEN + 7];
	size_t i;
	int rc = doc_split(&d, doc, *len, "epoxy-keyset 1");

	for (i = 0; rc == 0 && i < a->nkey; i++) {
		rc = sign_load(&k, a->key[i]);
		if (rc == 0)
			rc = sign_pub(k, &pub);
		if (rc == 0) {
			sig_keyid_hex(&pub, id);
			snprintf(needle, sizeof(needle), "\nsig %s ", id);
			doc[*len] = '\0';
			if (strstr(doc + d.body_len - 1, needle))
				rc = -EPX_E_SIG_DUPKEY;
		}
		if (rc == 0)
			rc = sign_doc_append(k, doc, d.body_len, doc, cap, len);
		sign_free(k);
		k = NULL;
		if (rc < 0)
			keytool_err("cannot sign with", a->key[i], rc);
	}
	if (rc < 0)
		return rc;
	rc = kfile_write(out, doc, *len, 0644);
	if (rc < 0) {
		fprintf(stderr, "epoxyctl keys: cannot write %s: %s\n", out, strerror(-rc));
		return rc;
	}
	if (old) {
		cur = *old;
		rc = keyset_rotate(&cur, doc, *len);
	} else {
		rc = keyset_load_root(&ks, doc, *len);
	}
	if (rc == 0)
		printf("wrote %s: valid %s\n", out, old ? "successor of the old keyset" : "root keyset");
	else
		printf("wrote %s: not valid yet: %s\n", out, epx_strerror(rc));
	return 0;
}

static int keytool_keyset(const struct keytool_args *a)
{
	static char doc[DOC_MAX_BYTES + 1];
	struct keyset old;
	size_t len = 0;
	int rc = -EINVAL;

	if (!a->out || !a->online || !a->nrelease || !a->have_threshold ||
	    (!a->from == !a->have_serial)) {
		fprintf(stderr, "epoxyctl keys keyset: needs --serial or --from, --threshold, "
			"--release, --online and --out\n");
		return -EINVAL;
	}
	if (a->from && keytool_load_doc(a->from, &old, 1) < 0)
		return -EPX_E_KS_SYNTAX;
	rc = keytool_body(a, a->from ? &old : NULL, doc, sizeof(doc) - 1, &len);
	if (rc == -ENOSPC)
		fprintf(stderr, "epoxyctl keys keyset: larger than %d bytes\n", DOC_MAX_BYTES);
	if (rc == 0) {
		struct keyset chk;

		rc = keyset_parse(&chk, doc, len);
		if (rc < 0)
			keytool_err("the new keyset would be invalid:", a->out, rc);
	}
	if (rc < 0)
		return rc;
	return keytool_sign_report(a, a->from ? &old : NULL, doc, sizeof(doc) - 1, &len, a->out);
}

static int keytool_sign(const struct keytool_args *a, const char *path)
{
	static char doc[DOC_MAX_BYTES + 1];
	struct keyset old, chk;
	char *buf = NULL;
	size_t len = 0;
	int rc;

	if (!a->nkey) {
		fprintf(stderr, "epoxyctl keys sign: needs --key\n");
		return -EINVAL;
	}
	if (a->from && keytool_load_doc(a->from, &old, 1) < 0)
		return -EPX_E_KS_SYNTAX;
	rc = kfile_read(path, DOC_MAX_BYTES, &buf, &len);
	if (rc < 0) {
		fprintf(stderr, "epoxyctl keys: %s: %s\n", path, strerror(-rc));
		return rc;
	}
	memcpy(doc, buf, len);
	free(buf);
	rc = keyset_parse(&chk, doc, len);
	if (rc < 0) {
		keytool_err("refusing to sign", path, rc);
		return rc;
	}
	return keytool_sign_report(a, a->from ? &old : NULL, doc, sizeof(doc) - 1, &len, path);
}

static int keytool_verify(int n, char **files)
{
	struct keyset ks;
	const char *which;
	size_t i;
	int rc;

	rc = kfile_keyset_chain(files[0], files + 1, (size_t)n - 1, &ks, &which);
	if (rc < 0) {
		keytool_err("REFUSED", which, rc);
		return rc;
	}
	printf("ok: keyset serial %" PRIu32 ", threshold %u of %zu release keys, %zu revoked\n",
	       ks.serial, ks.threshold, ks.nrelease, ks.nrevoked);
	for (i = 0; i < ks.nrelease; i++) {
		char id[2 * DOC_KEYID_LEN + 1];

		sig_keyid_hex(&ks.release[i], id);
		printf("  release %s\n", id);
	}
	return 0;
}

static int keytool_dev(const struct keytool_args *in, const char *dir)
{
	static char paths[KEYS_MAX + 1][4096];
	struct keytool_args a;
	uint32_t n = in->nrel ? in->nrel : 3, t = in->have_threshold ? in->threshold : 2;
	uint32_t i;
	int rc = -EINVAL;

	if (n > KEYS_MAX || t == 0 || t > n) {
		fprintf(stderr, "epoxyctl keys dev: want 1 <= threshold <= release-keys <= %d\n", KEYS_MAX);
		return -EINVAL;
	}
	if (mkdir(dir, 0700) < 0 && errno != EEXIST)
		return -errno;
	memset(&a, 0, sizeof(a));
	for (i = 0; i <= n; i++) {
		if (i < n)
			snprintf(paths[i], sizeof(paths[i]), "%s/release-%u.key", dir, i + 1);
		else
			snprintf(paths[i], sizeof(paths[i]), "%s/online.key", dir);
		rc = keytool_new(paths[i], 1);
		if (rc < 0)
			return rc;
		if (i < n)
			a.release[a.nrelease++] = paths[i];
		if (i < t)
			a.key[a.nkey++] = paths[i];
	}
	a.online = paths[n];
	a.serial = 1;
	a.have_serial = 1;
	a.threshold = t;
	a.have_threshold = 1;
	snprintf(paths[KEYS_MAX], sizeof(paths[KEYS_MAX]), "%s/keyset", dir);
	a.out = paths[KEYS_MAX];
	return keytool_keyset(&a);
}

int keytool_main(int argc, char **argv)
{
	struct keytool_args a;
	const char *verb;
	int status = CLI_USAGE, npos, rc = -EINVAL;
	char **pos;

	if (argc < 2) {
		fputs(keytool_help, stderr);
		return CLI_USAGE;
	}
	verb = argv[1];
	if (!strcmp(verb, "--help") || !strcmp(verb, "-h") || !strcmp(verb, "help")) {
		fputs(keytool_help, stdout);
		return CLI_OK;
	}
	if (keytool_parse(argc - 1, argv + 1, &a, &status))
		return status;
	pos = argv + 1 + optind;
	npos = argc - 1 - optind;
	if (!strcmp(verb, "new") && npos == 1 && !a.nkey)
		rc = keytool_new(pos[0], 0);
	else if (!strcmp(verb, "pub") && npos == 1)
		rc = keytool_pub(pos[0]);
	else if (!strcmp(verb, "keyset") && npos == 0)
		rc = keytool_keyset(&a);
	else if (!strcmp(verb, "sign") && npos == 1)
		rc = keytool_sign(&a, pos[0]);
	else if (!strcmp(verb, "verify") && npos >= 1)
		rc = keytool_verify(npos, pos);
	else if (!strcmp(verb, "dev") && npos == 1)
		rc = keytool_dev(&a, pos[0]);
	else {
		fprintf(stderr, "epoxyctl keys: unknown verb or wrong arguments: %s\n", verb);
		fputs(keytool_help, stderr);
		return CLI_USAGE;
	}
	return rc == 0 ? CLI_OK : rc == -EINVAL ? CLI_USAGE : CLI_FAIL;
}
