/* relsign: `release sign` and `release verify` of epoxyctl and epoxy-keys,
 * offline.
 *
 * Guarantees: sign hashes each artifact by streaming it (capped at its
 * role's limit), writes a manifest only after it parses back with
 * manifest_parse, never adds a second signature by a key that already
 * signed, and writes atomically.  verify walks the keyset chain from the
 * root, checks the threshold of distinct non-revoked release keys, expiry
 * (against --now or this machine's clock), the optional floor, hardware
 * class and agent version, and each given artifact's length and SHA-256;
 * every refusal prints a stable EPOXY-Exxxx code.  Private keys are loaded
 * only to sign and never printed.  Exit: 0 ok, 1 refused, 2 usage. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "keys/kfile.h"
#include "keys/relsign.h"
#include "lib/cli.h"
#include "lib/err.h"
#include "lib/hex.h"
#include "lib/manifest.h"
#include "lib/num.h"
#include "lib/sign.h"

#define SIGN_MAX_KEYS 32
#define SIGN_MAX_ROT 64

static const char relsign_help[] =
"usage: epoxyctl release sign --kernel F --initramfs F --cmdline F --join F\n"
"                             --version N --expires UNIX|+DAYS --hwclass X\n"
"                             [--min-agent N] --key KEY [--key KEY ...] --out FILE\n"
"       epoxyctl release sign --artifacts DIR ...   (DIR/kernel, DIR/initramfs,\n"
"                                                    DIR/cmdline, DIR/join)\n"
"       epoxyctl release sign --manifest FILE --key KEY [--key KEY ...] [--out FILE]\n"
"\n"
"The first form creates a release manifest from the four artifact files and\n"
"signs it with each KEY (P-256 PEM, mode 0600).  The second adds signatures to\n"
"an existing manifest (each key holder signs in turn until the keyset's\n"
"threshold is reached); it writes FILE in place unless --out is given.  With\n"
"--keyset K [--rotation K2 ...] it also reports how many valid signatures the\n"
"manifest now carries.  --expires +30 means 30 days from now.\n"
"exit status: 0 ok, 1 failed, 2 usage\n";

static const char relsign_verify_help[] =
"usage: epoxyctl release verify --keyset ROOT [--rotation KS ...] MANIFEST\n"
"                               [--artifacts DIR | --kernel F --initramfs F\n"
"                                --cmdline F --join F] [--now UNIX]\n"
"                               [--floor N] [--hwclass X] [--agent N]\n"
"\n"
"Checks MANIFEST as the agent does: the keyset chain from ROOT through each\n"
"--rotation in order, a threshold of valid signatures by distinct non-revoked\n"
"release keys, expiry against --now (default: this machine's clock), and when\n"
"given the version floor, hardware class, agent version and each artifact's\n"
"length and SHA-256 (DIR/kernel ... or DIR/<sha256>, as release publish takes).\n"
"Prints one line per signature and per artifact.\n"
"exit status: 0 valid, 1 refused (the EPOXY-Exxxx code says why), 2 usage\n";

enum {
	O_KERNEL = 1, O_INITRAMFS, O_CMDLINE, O_JOIN, O_ARTIFACTS, O_VERSION,
	O_EXPIRES, O_HWCLASS, O_MINAGENT, O_KEY, O_OUT, O_MANIFEST, O_KEYSET,
	O_ROTATION, O_NOW, O_FLOOR, O_AGENT, O_HELP
};

static const struct option relsign_opts[] = {
	{ "kernel", required_argument, NULL, O_KERNEL },
	{ "initramfs", required_argument, NULL, O_INITRAMFS },
	{ "cmdline", required_argument, NULL, O_CMDLINE },
	{ "join", required_argument, NULL, O_JOIN },
	{ "artifacts", required_argument, NULL, O_ARTIFACTS },
	{ "version", required_argument, NULL, O_VERSION },
	{ "expires", required_argument, NULL, O_EXPIRES },
	{ "hwclass", required_argument, NULL, O_HWCLASS },
	{ "min-agent", required_argument, NULL, O_MINAGENT },
	{ "key", required_argument, NULL, O_KEY },
	{ "out", required_argument, NULL, O_OUT },
	{ "manifest", required_argument, NULL, O_MANIFEST },
	{ "keyset", required_argument, NULL, O_KEYSET },
	{ "rotation", required_argument, NULL, O_ROTATION },
	{ "now", required_argument, NULL, O_NOW },
	{ "floor", required_argument, NULL, O_FLOOR },
	{ "agent", required_argument, NULL, O_AGENT },
	{ "help", no_argument, NULL, O_HELP },
	{ NULL, 0, NULL, 0 },
};

struct relsign_args {
	const char *art[MANIFEST_NROLES];
	const char *artdir, *out, *manifest, *keyset, *hwclass;
	char *keys[SIGN_MAX_KEYS];
	size_t nkeys;
	char *rot[SIGN_MAX_ROT];
	size_t nrot;
	int64_t expires, now;
	uint32_t version, min_agent, floor, agent;
	int have_expires, have_now, have_floor, have_agent, have_version;
};

static void relsign_err(const char *what, const char *obj, int rc)
{
	char code[32];

	fprintf(stderr, "epoxyctl: %s %s: %s %s\n", what, obj, epx_code(rc, code, sizeof(code)),
		epx_strerror(rc));
}

static int relsign_u32(const char *s, uint32_t *out, const char *opt)
{
	uint64_t x;

	if (num_parse_u64(s, strlen(s), UINT32_MAX, &x) < 0) {
		fprintf(stderr, "epoxyctl: %s wants a decimal number up to 4294967295, not '%s'\n", opt, s);
		return -EINVAL;
	}
	*out = (uint32_t)x;
	return 0;
}

/* UNIX seconds, or +DAYS (also +DAYSd) from now */
static int relsign_time(const char *s, int64_t *out)
{
	uint64_t x;
	size_t n = strlen(s);
	int rel = s[0] == '+';

	if (rel && n > 1 && s[n - 1] == 'd')
		n--;
	if (num_parse_u64(s + rel, n - (size_t)rel, rel ? 36500 : INT64_MAX, &x) < 0) {
		fprintf(stderr, "epoxyctl: --expires wants UNIX seconds or +DAYS, not '%s'\n", s);
		return -EINVAL;
	}
	*out = rel ? (int64_t)time(NULL) + (int64_t)x * 86400 : (int64_t)x;
	return 0;
}

static int relsign_opt(struct relsign_args *a, int c, const char *arg)
{
	switch (c) {
	case O_KERNEL: case O_INITRAMFS: case O_CMDLINE: case O_JOIN:
		a->art[c - O_KERNEL] = arg;
		return 0;
	case O_ARTIFACTS: a->artdir = arg; return 0;
	case O_OUT: a->out = arg; return 0;
	case O_MANIFEST: a->manifest = arg; return 0;
	case O_KEYSET: a->keyset = arg; return 0;
	case O_HWCLASS: a->hwclass = arg; return 0;
	case O_VERSION: a->have_version = 1; return relsign_u32(arg, &a->version, "--version");
	case O_MINAGENT: return relsign_u32(arg, &a->min_agent, "--min-agent");
	case O_FLOOR: a->have_floor = 1; return relsign_u32(arg, &a->floor, "--floor");
	case O_AGENT: a->have_agent = 1; return relsign_u32(arg, &a->agent, "--agent");
	case O_EXPIRES: a->have_expires = 1; return relsign_time(arg, &a->expires);
	case O_NOW: a->have_now = 1; return relsign_time(arg, &a->now);
	case O_KEY:
		if (a->nkeys >= SIGN_MAX_KEYS)
			return -E2BIG;
		a->keys[a->nkeys++] = (char *)arg;
		return 0;
	case O_ROTATION:
		if (a->nrot >= SIGN_MAX_ROT)
			return -E2BIG;
		a->rot[a->nrot++] = (char *)arg;
		return 0;
	}
	return -EINVAL;
}

/* Parses argv[1..]; leaves positional arguments at argv[optind..].
 * Returns 0, or 1 with *status set (help or usage error). */
static int relsign_parse(int argc, char **argv, struct relsign_args *a, const char *help,
		      int *status)
{
	int c;

	memset(a, 0, sizeof(*a));
	a->min_agent = 1;
	optind = 0;
	opterr = 1;
	while ((c = getopt_long(argc, argv, "", relsign_opts, NULL)) != -1) {
		if (c == O_HELP) {
			fputs(help, stdout);
			*status = CLI_OK;
			return 1;
		}
		if (c == '?' || relsign_opt(a, c, optarg) < 0) {
			fputs(help, stderr);
			*status = CLI_USAGE;
			return 1;
		}
	}
	return 0;
}

static const char *relsign_art_path(const struct relsign_args *a, int r, char *buf, size_t cap)
{
	if (a->art[r])
		return a->art[r];
	if (!a->artdir)
		return NULL;
	snprintf(buf, cap, "%s/%s", a->artdir, manifest_role_name(r));
	return buf;
}

static int relsign_hash_artifacts(const struct relsign_args *a, struct manifest *m)
{
	char path[4096];
	const char *p;
	int r, rc = -EINVAL;

	for (r = 0; r < MANIFEST_NROLES; r++) {
		p = relsign_art_path(a, r, path, sizeof(path));
		if (!p) {
			fprintf(stderr, "epoxyctl: --%s FILE (or --artifacts DIR) is required\n",
				manifest_role_name(r));
			return -EINVAL;
		}
		rc = kfile_sha256(p, manifest_role_cap(r), &m->art[r].length, m->art[r].sha256);
		if (rc == -EFBIG)
			fprintf(stderr, "epoxyctl: %s: larger than the %s cap of %" PRIu64 " bytes\n",
				p, manifest_role_name(r), manifest_role_cap(r));
		else if (rc < 0)
			fprintf(stderr, "epoxyctl: %s: %s\n", p, strerror(-rc));
		if (rc < 0)
			return rc;
	}
	return 0;
}

/* Appends one signature per key to doc (body_len bytes of body), refusing
 * a key whose ID already signed. */
static int relsign_append(const struct relsign_args *a, char *doc, size_t cap, size_t *len,
		       size_t body_len)
{
	struct sign_key *key = NULL;
	struct sig_pub pub;
	char id[2 * DOC_KEYID_LEN + 1], needle[2 * DOC_KEYID_LEN + 8];
	size_t i;
	int rc = -EINVAL;

	for (i = 0; i < a->nkeys; i++) {
		rc = sign_load(&key, a->keys[i]);
		if (rc < 0) {
			relsign_err("cannot use key", a->keys[i], rc);
			return rc;
		}
		rc = sign_pub(key, &pub);
		sig_keyid_hex(&pub, id);
		snprintf(needle, sizeof(needle), "\nsig %s ", id);
		doc[*len] = '\0';
		if (rc == 0 && strstr(doc + body_len - 1, needle)) {
			fprintf(stderr, "epoxyctl: key %s (%s) already signed this document\n", id, a->keys[i]);
			rc = -EPX_E_SIG_DUPKEY;
		}
		if (rc == 0)
			rc = sign_doc_append(key, doc, body_len, doc, cap, len);
		sign_free(key);
		if (rc < 0)
			return rc;
		fprintf(stderr, "signed with key %s\n", id);
	}
	return 0;
}

/* Reports signatures vs threshold when a keyset was given. */
static void relsign_progress(const struct relsign_args *a, const char *doc, size_t len)
{
	struct manifest m;
	struct keyset ks;
	const char *which;
	int rc;

	if (!a->keyset)
		return;
	rc = kfile_keyset_chain(a->keyset, a->rot, a->nrot, &ks, &which);
	if (rc < 0) {
		relsign_err("keyset", which, rc);
		return;
	}
	rc = manifest_verify(&m, doc, len, &ks);
	if (rc == 0)
		fprintf(stderr, "manifest now carries the threshold (%u) of keyset serial %" PRIu32 "\n",
			ks.threshold, ks.serial);
	else
		fprintf(stderr, "manifest not yet valid: %s (threshold %u)\n", epx_strerror(rc),
			ks.threshold);
}

static int relsign_new(const struct relsign_args *a, char *doc, size_t cap, size_t *len)
{
	struct manifest m;
	int rc = -EINVAL;

	memset(&m, 0, sizeof(m));
	if (!a->have_version || !a->have_expires || !a->hwclass || !a->out) {
		fprintf(stderr, "epoxyctl: release sign needs --version, --expires, --hwclass and --out\n");
		return -EINVAL;
	}
	if (a->version == 0 || manifest_hwclass_ok(a->hwclass, strlen(a->hwclass)) < 0) {
		fprintf(stderr, "epoxyctl: --version must be > 0 and --hwclass match [a-z0-9._-]{1,64}\n");
		return -EINVAL;
	}
	m.version = a->version;
	m.expires = a->expires;
	m.min_agent = a->min_agent;
	strcpy(m.hwclass, a->hwclass);
	rc = relsign_hash_artifacts(a, &m);
	if (rc < 0)
		return rc;
	return manifest_format(&m, doc, cap, len);
}

static int relsign_existing(const struct relsign_args *a, char *doc, size_t cap, size_t *len,
			 size_t *body_len)
{
	struct manifest m;
	struct doc d;
	char *buf = NULL;
	int rc = -EINVAL;

	rc = kfile_read(a->manifest, DOC_MAX_BYTES, &buf, len);
	if (rc < 0) {
		fprintf(stderr, "epoxyctl: %s: %s\n", a->manifest,
			rc == -EFBIG ? "larger than the manifest cap" : strerror(-rc));
		return rc;
	}
	rc = manifest_parse(&m, buf, *len);
	if (rc == 0)
		rc = doc_split(&d, buf, *len, "epoxy-manifest 1");
	if (rc < 0) {
		relsign_err("refusing to sign", a->manifest, rc);
		free(buf);
		return rc;
	}
	*body_len = d.body_len;
	memcpy(doc, buf, *len < cap ? *len : cap);
	free(buf);
	return 0;
}

int relsign_sign(int argc, char **argv)
{
	static char doc[DOC_MAX_BYTES + 1];
	struct relsign_args a;
	struct manifest m;
	size_t len = 0, body_len = 0;
	int status = CLI_USAGE, rc = -EINVAL;

	if (relsign_parse(argc, argv, &a, relsign_help, &status))
		return status;
	if (optind < argc || a.nkeys == 0) {
		fprintf(stderr, "epoxyctl: release sign needs at least one --key and no other arguments\n");
		return CLI_USAGE;
	}
	rc = a.manifest ? relsign_existing(&a, doc, sizeof(doc) - 1, &len, &body_len)
			: relsign_new(&a, doc, sizeof(doc) - 1, &len);
	if (rc == -EINVAL)
		return CLI_USAGE;
	if (rc < 0)
		return CLI_FAIL;
	if (!a.manifest)
		body_len = len;
	rc = relsign_append(&a, doc, sizeof(doc) - 1, &len, body_len);
	if (rc == 0)
		rc = manifest_parse(&m, doc, len);
	if (rc < 0) {
		relsign_err("cannot sign", a.manifest ? a.manifest : a.out, rc);
		return CLI_FAIL;
	}
	rc = kfile_write(a.out ? a.out : a.manifest, doc, len, 0644);
	if (rc < 0) {
		fprintf(stderr, "epoxyctl: cannot write %s: %s\n", a.out ? a.out : a.manifest, strerror(-rc));
		return CLI_FAIL;
	}
	relsign_progress(&a, doc, len);
	return CLI_OK;
}

/* ---------------------------------------------------------------- verify */

static const char *relsign_verify_sig_state(const struct keyset *ks, const struct doc *d, size_t i)
{
	const struct sig_pub *pk = NULL;
	size_t j, k;

	for (j = 0; j < ks->nrevoked; j++)
		if (!memcmp(ks->revoked[j], d->sigs[i].keyid, DOC_KEYID_LEN))
			return "REVOKED key";
	for (j = 0; j < ks->nrelease; j++)
		if (!memcmp(ks->release[j].keyid, d->sigs[i].keyid, DOC_KEYID_LEN))
			pk = &ks->release[j];
	if (!pk)
		return "unknown key (not a release key of the keyset)";
	if (sig_verify(pk, d->body_sha256, d->sigs[i].der, d->sigs[i].der_len) < 0)
		return "BAD signature";
	for (k = 0; k < i; k++)
		if (!memcmp(d->sigs[k].keyid, d->sigs[i].keyid, DOC_KEYID_LEN) &&
		    sig_verify(pk, d->body_sha256, d->sigs[k].der, d->sigs[k].der_len) == 0)
			return "valid, but this key already counted";
	return "valid";
}

static void relsign_verify_list_sigs(const struct keyset *ks, const char *buf, size_t len)
{
	char id[2 * DOC_KEYID_LEN + 1];
	struct doc d;
	size_t i;

	if (doc_split(&d, buf, len, "epoxy-manifest 1") < 0)
		return;
	for (i = 0; i < d.nsigs; i++) {
		hex_encode(d.sigs[i].keyid, DOC_KEYID_LEN, id);
		printf("  signature %zu by %s: %s\n", i + 1, id, relsign_verify_sig_state(ks, &d, i));
	}
}

static int relsign_verify_artifacts(const struct relsign_args *a, const struct manifest *m,
			    const char *mpath)
{
	char path[4096], code[32], hex[65];
	const char *p;
	uint8_t h[32];
	uint64_t len;
	int r, rc, bad = 0;

	for (r = 0; r < MANIFEST_NROLES; r++) {
		p = relsign_art_path(a, r, path, sizeof(path));
		rc = 0;
		if (!p)
			continue;
		if (!a->art[r] && access(p, F_OK) != 0) {
			/* publish's other layout: DIR/<sha256 of the artifact> */
			hex_encode(m->art[r].sha256, 32, hex);
			snprintf(path, sizeof(path), "%s/%s", a->artdir, hex);
		}
		rc = kfile_sha256(p, manifest_role_cap(r), &len, h);
		if (rc == -EFBIG)
			rc = -EPX_E_ART_LENGTH;
		else if (rc < 0) {
			fprintf(stderr, "epoxyctl: %s: %s\n", p, strerror(-rc));
			bad = bad ? bad : rc;
			continue;
		}
		if (rc == 0)
			rc = manifest_check_digest(m, r, len, h);
		if (rc < 0) {
			printf("  %-9s %s: %s %s (manifest %s)\n", manifest_role_name(r), p,
			       epx_code(rc, code, sizeof(code)), epx_strerror(rc), mpath);
			bad = bad ? bad : rc;
		} else {
			printf("  %-9s %s: ok, %" PRIu64 " bytes\n", manifest_role_name(r), p, len);
		}
	}
	return bad;
}

static int relsign_verify_run(const struct relsign_args *a, const char *mpath)
{
	struct keyset ks;
	struct manifest m;
	const char *which;
	char *buf = NULL;
	size_t len = 0;
	int rc = -EINVAL;

	rc = kfile_keyset_chain(a->keyset, a->rot, a->nrot, &ks, &which);
	if (rc < 0) {
		relsign_err("keyset refused:", which, rc);
		return rc;
	}
	rc = kfile_read(mpath, DOC_MAX_BYTES, &buf, &len);
	if (rc == -EFBIG)
		rc = -EPX_E_MF_TOOBIG;
	if (rc < 0 && rc > -1000) {
		fprintf(stderr, "epoxyctl: %s: %s\n", mpath, strerror(-rc));
		return rc;
	}
	if (rc == 0)
		rc = manifest_verify(&m, buf, len, &ks);
	if (rc == 0 || (rc <= -EPX_E_SIG_SYNTAX && rc >= -EPX_E_SIG_REVOKED)) {
		printf("%s: keyset serial %" PRIu32 ", threshold %u\n", mpath, ks.serial, ks.threshold);
		if (buf)
			relsign_verify_list_sigs(&ks, buf, len);
	}
	free(buf);
	if (rc == 0)
		rc = manifest_policy(&m, a->have_now ? a->now : (int64_t)time(NULL),
				     a->have_floor ? a->floor : 0, a->hwclass ? a->hwclass : m.hwclass,
				     a->have_agent ? a->agent : UINT32_MAX);
	if (rc == 0)
		rc = relsign_verify_artifacts(a, &m, mpath);
	if (rc < 0) {
		relsign_err("REFUSED", mpath, rc);
		return rc;
	}
	printf("ok: %s: version %" PRIu32 ", hwclass %s, min-agent %" PRIu32 ", expires %" PRId64 "\n",
	       mpath, m.version, m.hwclass, m.min_agent, m.expires);
	return 0;
}

int relsign_verify(int argc, char **argv)
{
	struct relsign_args a;
	int status = CLI_USAGE;

	if (relsign_parse(argc, argv, &a, relsign_verify_help, &status))
		return status;
	if (!a.keyset || optind != argc - 1) {
		fprintf(stderr, "epoxyctl: release verify needs --keyset ROOT and one MANIFEST\n");
		fputs(relsign_verify_help, stderr);
		return CLI_USAGE;
	}
	if (a.nkeys || a.out || a.manifest) {
		fprintf(stderr, "epoxyctl: release verify takes no --key, --out or --manifest\n");
		return CLI_USAGE;
	}
	return relsign_verify_run(&a, argv[optind]) == 0 ? CLI_OK : CLI_FAIL;
}
