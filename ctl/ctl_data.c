/* ctl_data: `epoxyctl data list|show|get`: the bundles the archive holds
 * (server/admin_archive.c for admins, GET /v1/archive/ for anyone).
 *
 * Guarantees: `data get` keeps a bundle only when the bytes received hash
 * to the SHA-256 its name says (checked while streaming; with --out the file
 * is written under a temporary name, fsync'ed and renamed only then, and
 * never replaces an existing file); without an admin credential, or with
 * --public, it asks the public path and so gets only what left its embargo;
 * no credential is read for a public get.  Names and times are checked
 * here with lib/label.h, lib/hex.h and lib/num.h before anything is sent. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <mbedtls/sha256.h>

#include "ctl/ctl.h"
#include "ctl/ctl_cli.h"
#include "lib/err.h"
#include "lib/hex.h"
#include "lib/label.h"
#include "lib/num.h"

static const char ctl_data_help[] =
"usage: epoxyctl data list [--experiment NAME] [--node HOST] [--since TIME]\n"
"                          [--until TIME] [--limit N] [--public] [--json]\n"
"       epoxyctl data show NODE/EXPERIMENT/SHA256 [--json]\n"
"       epoxyctl data get NODE/EXPERIMENT/SHA256 [--out FILE] [--public]\n"
"\n"
"list: the bundles the archive recorded, oldest first: node, experiment,\n"
"SHA-256, size, when stored, when public (public_at) and whether it still\n"
"is under embargo (state), and its public URL.  --since/--until: a stored-\n"
"time window [since, until), TIME in seconds since 1970 or YYYY-MM-DD\n"
"(00:00 UTC); --limit 1..10000 (default 1000); --public: only the public\n"
"ones.  show: one bundle's record.  get: the bundle's bytes to FILE (--out,\n"
"a new file) or to standard output, kept only when they hash to SHA256.\n"
"An admin gets any bundle (audited as data.get); without an admin\n"
"credential, or with --public, get asks the public path GET /v1/archive/\n"
"and a bundle under embargo is refused exactly as an unknown one\n"
"(code E2344).\n"
"\n"
"connection: --url URL --ca FILE --credential FILE [--resolve NAME:PORT:ADDR]\n"
"            [--config FILE] (or EPOXY_URL, EPOXY_CA, EPOXY_ADMIN_CREDENTIAL, ...)\n"
"exit status: 0 ok, 1 refused or failed, 2 usage, 3 unreachable or not authorised\n";

enum { OPT_EXPERIMENT = 1, OPT_NODE, OPT_SINCE, OPT_UNTIL, OPT_LIMIT, OPT_PUBLIC, OPT_OUT };

struct ctl_data_args {
	const char *experiment, *node, *since, *until, *limit, *out;
	int public_only;
};

static const struct option ctl_data_opts[] = {
	{ "experiment", required_argument, NULL, OPT_EXPERIMENT },
	{ "node", required_argument, NULL, OPT_NODE },
	{ "since", required_argument, NULL, OPT_SINCE },
	{ "until", required_argument, NULL, OPT_UNTIL },
	{ "limit", required_argument, NULL, OPT_LIMIT },
	{ "public", no_argument, NULL, OPT_PUBLIC },
	{ "out", required_argument, NULL, OPT_OUT },
	CTLHTTP_LONGOPTS,
	{ NULL, 0, NULL, 0 },
};

static int ctl_data_opt(int opt, const char *arg, void *p)
{
	struct ctl_data_args *a = p;

	switch (opt) {
	case OPT_EXPERIMENT: a->experiment = arg; return 0;
	case OPT_NODE: a->node = arg; return 0;
	case OPT_SINCE: a->since = arg; return 0;
	case OPT_UNTIL: a->until = arg; return 0;
	case OPT_LIMIT: a->limit = arg; return 0;
	case OPT_PUBLIC: a->public_only = 1; return 0;
	case OPT_OUT: a->out = arg; return 0;
	}
	return -EPX_E_CTL_USAGE;
}

static const char *const ctl_data_cols[] = { "node", "experiment", "sha256", "size", "stored",
	"state", "public_at", "name", NULL };

/* Two digits of a date ("07", "12"): lib/num.h takes no leading zero. */
static int ctl_data_2d(const char *s, uint32_t max, uint32_t *out)
{
	return s[0] == '0' ? num_parse_u32(s + 1, 1, max, out) : num_parse_u32(s, 2, max, out);
}

/* TIME: seconds since 1970, or YYYY-MM-DD (UTC midnight). */
static int ctl_data_time(const char *s, char out[24])
{
	uint32_t y, mo, d;
	uint64_t v;
	struct tm tm;

	if (num_str_u64(s, 4ull * INT32_MAX, &v) == 0) {
		snprintf(out, 24, "%llu", (unsigned long long)v);
		return 0;
	}
	if (strlen(s) != 10 || s[4] != '-' || s[7] != '-' ||
	    num_parse_u32(s, 4, 9999, &y) < 0 || ctl_data_2d(s + 5, 12, &mo) < 0 ||
	    ctl_data_2d(s + 8, 31, &d) < 0 || y < 1970 || mo < 1 || d < 1)
		return -EPX_E_CTL_USAGE;
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = (int)y - 1900;
	tm.tm_mon = (int)mo - 1;
	tm.tm_mday = (int)d;
	v = (uint64_t)timegm(&tm);
	if (tm.tm_mday != (int)d)       /* 2026-02-31 */
		return -EPX_E_CTL_USAGE;
	snprintf(out, 24, "%llu", (unsigned long long)v);
	return 0;
}

/* "[/v1/archive/]NODE/EXPERIMENT/SHA256", each part checked */
static int ctl_data_name(const char *s, char node[LABEL_HOST_MAX + 1],
			 char exp[LABEL_TAG_MAX + 1], char sha[65])
{
	const char *a, *b;

	if (!strncmp(s, "/v1/archive/", 12))
		s += 12;
	a = strchr(s, '/');
	b = a ? strchr(a + 1, '/') : NULL;
	if (!a || !b || label_check(LABEL_HOST, s, (size_t)(a - s)) < 0 ||
	    a[1] == '.' || label_check(LABEL_TAG, a + 1, (size_t)(b - a - 1)) < 0 ||
	    strlen(b + 1) != 64 || strspn(b + 1, "0123456789abcdef") != 64)
		return ctl_cli_usage("data", "want NODE/EXPERIMENT/SHA256 (64 lowercase hex digits)");
	snprintf(node, LABEL_HOST_MAX + 1, "%.*s", (int)(a - s), s);
	snprintf(exp, LABEL_TAG_MAX + 1, "%.*s", (int)(b - a - 1), a + 1);
	memcpy(sha, b + 1, 65);
	return 0;
}

/* "?k=v&..." of the list's filters; the values go as given */
static int ctl_data_query(const struct ctl_data_args *a, char *q, size_t cap)
{
	const char *keys[4] = { "experiment", "node", "limit", NULL };
	const char *vals[3] = { a->experiment, a->node, a->limit };
	char t[24], seg[200];
	size_t o = 0, i;

	q[0] = '\0';
	for (i = 0; i < 3; i++) {
		if (!vals[i])
			continue;
		if (strlen(vals[i]) > 64 || ctlhttp_seg(seg, sizeof(seg), vals[i]))
			return ctl_cli_usage("data", "a filter value too long");
		o += (size_t)snprintf(q + o, cap - o, "%c%s=%s", o ? '&' : '?', keys[i], seg);
	}
	if (a->since && ctl_data_time(a->since, t))
		return ctl_cli_usage("data", "--since: want seconds since 1970 or YYYY-MM-DD");
	if (a->since)
		o += (size_t)snprintf(q + o, cap - o, "%csince=%s", o ? '&' : '?', t);
	if (a->until && ctl_data_time(a->until, t))
		return ctl_cli_usage("data", "--until: want seconds since 1970 or YYYY-MM-DD");
	if (a->until)
		o += (size_t)snprintf(q + o, cap - o, "%cuntil=%s", o ? '&' : '?', t);
	if (a->public_only)
		snprintf(q + o, cap - o, "%cpublic=1", o ? '&' : '?');
	return 0;
}

static int ctl_data_list(const struct ctlhttp_cfg *cfg, const char *query, int one)
{
	struct ctlhttp_reply rep;
	char path[700];
	int st;

	snprintf(path, sizeof(path), "/admin/v1/data%s", query);
	st = ctl_cli_call(cfg, one ? "data show" : "data list", "GET", path, NULL, &rep);
	if (st)
		return st;
	if (one && rep.body.len == 0) {
		char code[16];

		fprintf(stderr, "epoxyctl: data show: %s %s\n",
			epx_code(-EPX_E_ARC_NOTFOUND, code, sizeof(code)),
			epx_strerror(-EPX_E_ARC_NOTFOUND));
		st = CLI_FAIL;
	} else {
		st = one ? ctl_cli_show(rep.body.buf, rep.body.len, cfg->json) :
			ctl_cli_table(rep.body.buf, rep.body.len, cfg->json, ctl_data_cols);
	}
	record_buf_free(&rep.body);
	return st;
}

struct ctl_data_get {
	int fd;
	mbedtls_sha256_context h;
	uint64_t n;
};

static int ctl_data_write(const char *p, size_t n, void *arg)
{
	struct ctl_data_get *g = arg;

	mbedtls_sha256_update_ret(&g->h, (const unsigned char *)p, n);
	g->n += n;
	while (n) {
		ssize_t w = write(g->fd, p, n);

		if (w <= 0)
			return -EPX_E_CTL_OUTFILE;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* Streams the bundle into g->fd; 0 when its hash is sha. */
static int ctl_data_fetch(const struct ctlhttp_cfg *cfg, const char *path, int anon,
			  struct ctl_data_get *g, const char *sha)
{
	struct ctlhttp_sink sink = { ctl_data_write, g, anon };
	struct ctlhttp_reply rep;
	unsigned char sum[32];
	char hex[65], code[16];
	int rc, st;

	mbedtls_sha256_init(&g->h);
	mbedtls_sha256_starts_ret(&g->h, 0);
	rc = ctlhttp_fetch(cfg, path, &sink, &rep);
	mbedtls_sha256_finish_ret(&g->h, sum);
	mbedtls_sha256_free(&g->h);
	if (rc == -EPX_E_CTL_OUTFILE)
		fprintf(stderr, "epoxyctl: data get: cannot write the output (%s)\n",
			epx_code(rc, code, sizeof(code)));
	if (rc)
		return rc == -EPX_E_CTL_CRED || rc == -EPX_E_CTL_CONNECT ? CLI_UNREACHABLE : CLI_FAIL;
	st = ctlhttp_exit("data get", &rep);
	record_buf_free(&rep.body);
	if (st)
		return st;
	hex_encode(sum, sizeof(sum), hex);
	if (strcmp(hex, sha)) {
		fprintf(stderr, "epoxyctl: data get: %s %s (got %s, %llu bytes)\n",
			epx_code(-EPX_E_ARC_GOTSHA, code, sizeof(code)),
			epx_strerror(-EPX_E_ARC_GOTSHA), hex, (unsigned long long)g->n);
		return CLI_FAIL;
	}
	return CLI_OK;
}

static int ctl_data_get(const struct ctlhttp_cfg *cfg, const struct ctl_data_args *a,
			const char *name)
{
	char node[LABEL_HOST_MAX + 1], exp[LABEL_TAG_MAX + 1], sha[65], path[300], tmp[4200];
	struct ctl_data_get g;
	int anon = a->public_only || !cfg->cred[0], st;

	memset(&g, 0, sizeof(g));
	g.fd = 1;
	if (ctl_data_name(name, node, exp, sha))
		return CLI_USAGE;
	snprintf(path, sizeof(path), "%s/%s/%s/%s", anon ? "/v1/archive" : "/admin/v1/data",
		 node, exp, sha);
	if (a->out) {
		if (strlen(a->out) > 4000 || access(a->out, F_OK) == 0)
			return ctl_cli_usage("data", "--out: want a new file");
		snprintf(tmp, sizeof(tmp), "%s.part", a->out);
		g.fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
		if (g.fd < 0) {
			fprintf(stderr, "epoxyctl: data get: cannot create %s\n", ctl_cli_safe(tmp));
			return CLI_FAIL;
		}
	}
	st = ctl_data_fetch(cfg, path, anon, &g, sha);
	if (!a->out)
		return st;
	if (st == CLI_OK && (fsync(g.fd) < 0 || link(tmp, a->out) < 0)) {
		fprintf(stderr, "epoxyctl: data get: cannot write %s\n", ctl_cli_safe(a->out));
		st = CLI_FAIL;
	}
	close(g.fd);
	unlink(tmp);
	return st;
}

int ctl_data_main(int argc, char **argv)
{
	struct ctl_data_args a;
	struct ctlhttp_cfg cfg;
	char q[700], node[LABEL_HOST_MAX + 1], exp[LABEL_TAG_MAX + 1], sha[65];
	const char *verb;
	int st, pos;

	memset(&a, 0, sizeof(a));
	ctlhttp_cfg_init(&cfg);
	if (ctl_cli_parse(argc, argv, ctl_data_opts, &cfg, ctl_data_help, ctl_data_opt, &a, &st))
		return st;
	pos = argc - optind;
	if (pos < 1)
		return ctl_cli_usage("data", "missing subcommand");
	verb = argv[optind];
	if (strcmp(verb, "list") && strcmp(verb, "show") && strcmp(verb, "get"))
		return ctl_cli_usage("data", "unknown subcommand");
	if (pos != (strcmp(verb, "list") ? 2 : 1))
		return ctl_cli_usage("data", "wrong number of arguments");
	if ((strcmp(verb, "list") && (a.experiment || a.node || a.since || a.until || a.limit)) ||
	    (strcmp(verb, "get") && a.out) || (!strcmp(verb, "show") && a.public_only))
		return ctl_cli_usage("data", "an option that does not apply to this subcommand");
	if (!strcmp(verb, "list") && ctl_data_query(&a, q, sizeof(q)))
		return CLI_USAGE;
	if (ctlhttp_cfg_finish(&cfg))
		return CLI_USAGE;
	if (!strcmp(verb, "get"))
		return ctl_data_get(&cfg, &a, argv[optind + 1]);
	if (!strcmp(verb, "list"))
		return ctl_data_list(&cfg, q, 0);
	if (ctl_data_name(argv[optind + 1], node, exp, sha))
		return CLI_USAGE;
	snprintf(q, sizeof(q), "?node=%s&experiment=%s&sha256=%s", node, exp, sha);
	return ctl_data_list(&cfg, q, 1);
}
