/* ctl_audit: `epoxyctl audit list` and `epoxyctl audit verify`.
 *
 * Guarantees: `verify` trusts neither side alone: it asks the server to
 * recompute the chain from its store, and it recomputes the chain itself
 * from the listed entries (each entry's hash over its fields and the
 * previous hash, with store_audit_hash(), and each prev equal to the hash
 * before it, from sequence 1 with no gap).  Either failure exits 1 with
 * EPOXY-E2516 and the first bad sequence number. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl/ctl.h"
#include "ctl/ctl_cli.h"
#include "lib/err.h"
#include "lib/num.h"
#include "store/store.h"

#define CTL_AUDIT_PAGE 10000

static const char ctl_audit_help[] =
"usage: epoxyctl audit list [--after SEQ] [--limit N] [--json]\n"
"       epoxyctl audit verify\n"
"\n"
"'list' shows audit entries after SEQ, oldest first (default 100, at most 10000).\n"
"'verify' has the server recompute the hash chain of the whole log and recomputes\n"
"it locally from the entries; it fails if an entry was altered, removed or reordered.\n"
"\n"
"connection: --url URL --ca FILE --credential FILE [--resolve NAME:PORT:ADDR]\n"
"            [--config FILE] (or EPOXY_URL, EPOXY_CA, EPOXY_ADMIN_CREDENTIAL, ...)\n"
"exit status: 0 ok, 1 refused or failed (chain broken), 2 usage, 3 unreachable\n";

enum { OPT_AFTER = 1, OPT_LIMIT };

static const struct option ctl_audit_opts[] = {
	{ "after", required_argument, NULL, OPT_AFTER },
	{ "limit", required_argument, NULL, OPT_LIMIT },
	CTLHTTP_LONGOPTS,
	{ NULL, 0, NULL, 0 },
};

struct ctl_audit_args {
	const char *after, *limit;
};

static int ctl_audit_opt(int opt, const char *arg, void *p)
{
	struct ctl_audit_args *a = p;

	if (opt == OPT_AFTER)
		a->after = arg;
	else if (opt == OPT_LIMIT)
		a->limit = arg;
	else
		return -EPX_E_CTL_USAGE;
	return 0;
}

static int ctl_audit_list(const struct ctlhttp_cfg *cfg, const struct ctl_audit_args *a)
{
	static const char *const cols[] = { "seq", "time", "actor", "action",
		"subject", "detail", NULL };
	struct ctlhttp_reply rep;
	struct record_buf q;
	char path[600];
	int st;

	record_buf_init(&q, 400);
	if (a->after)
		record_buf_field(&q, "after", a->after);
	if (a->limit)
		record_buf_field(&q, "limit", a->limit);
	if (q.err)
		return ctl_cli_usage("audit", "argument too long");
	snprintf(path, sizeof(path), "/admin/v1/audit%s%s", q.len ? "?" : "",
		 q.len ? q.buf : "");
	record_buf_free(&q);
	st = ctl_cli_call(cfg, "audit list", "GET", path, NULL, &rep);
	if (st)
		return st;
	st = ctl_cli_table(rep.body.buf, rep.body.len, cfg->json, cols);
	record_buf_free(&rep.body);
	return st;
}

struct ctl_audit_chk {
	int64_t seq;                      /* last verified */
	char prev[STORE_HASH_HEX + 1];
	int64_t bad;
	size_t n;
};

static int ctl_audit_copy(char *dst, size_t cap, const char *src)
{
	if (!src || strlen(src) >= cap)
		return -EPX_E_CTL_REPLY;
	memcpy(dst, src, strlen(src) + 1);
	return 0;
}

static int ctl_audit_check(const struct form *r, void *arg)
{
	struct ctl_audit_chk *k = arg;
	struct store_audit e;
	char want[STORE_HASH_HEX + 1];
	const char *hash = form_get(r, "hash");
	const char *seq = form_get(r, "seq"), *t = form_get(r, "time");

	memset(&e, 0, sizeof(e));
	k->n++;
	if (!seq || !t || !hash ||
	    num_parse_i64(seq, strlen(seq), 0, INT64_MAX, &e.seq) < 0 ||
	    num_parse_i64(t, strlen(t), INT64_MIN, INT64_MAX, &e.time) < 0)
		return -EPX_E_CTL_REPLY;
	if (ctl_audit_copy(e.actor, sizeof(e.actor), form_get(r, "actor")) ||
	    ctl_audit_copy(e.action, sizeof(e.action), form_get(r, "action")) ||
	    ctl_audit_copy(e.subject, sizeof(e.subject), form_get(r, "subject")) ||
	    ctl_audit_copy(e.detail, sizeof(e.detail), form_get(r, "detail")) ||
	    ctl_audit_copy(e.prev, sizeof(e.prev), form_get(r, "prev")) ||
	    ctl_audit_copy(e.hash, sizeof(e.hash), hash))
		return -EPX_E_CTL_REPLY;
	store_audit_hash(&e, want);
	if (e.seq != k->seq + 1 || strcmp(e.prev, k->prev) || strcmp(want, e.hash)) {
		k->bad = k->seq + 1;
		return -EPX_E_ADM_AUDIT;
	}
	k->seq = e.seq;
	memcpy(k->prev, e.hash, sizeof(k->prev));
	return 0;
}

static int ctl_audit_verify(const struct ctlhttp_cfg *cfg)
{
	struct ctl_audit_chk k;
	struct ctlhttp_reply rep;
	char path[128], code[16];
	int st, rc;

	st = ctl_cli_call(cfg, "audit verify (server)", "GET", "/admin/v1/audit/verify",
			  NULL, &rep);
	if (st)
		return st;
	record_buf_free(&rep.body);
	memset(&k, 0, sizeof(k));
	memset(k.prev, '0', STORE_HASH_HEX);
	for (;;) {
		size_t before = k.n;

		snprintf(path, sizeof(path), "/admin/v1/audit?after=%" PRId64 "&limit=%d",
			 k.seq, CTL_AUDIT_PAGE);
		st = ctl_cli_call(cfg, "audit verify (list)", "GET", path, NULL, &rep);
		if (st)
			return st;
		rc = record_each(rep.body.buf, rep.body.len, ctl_audit_check, &k);
		record_buf_free(&rep.body);
		if (rc == -EPX_E_ADM_AUDIT) {
			fprintf(stderr, "epoxyctl: audit verify: %s %s: first bad entry %" PRId64 " (local check)\n",
				epx_code(rc, code, sizeof(code)), epx_strerror(rc), k.bad);
			return CLI_FAIL;
		}
		if (rc) {
			fprintf(stderr, "epoxyctl: audit verify: answer malformed (%s)\n",
				epx_code(-EPX_E_CTL_REPLY, code, sizeof(code)));
			return CLI_FAIL;
		}
		if (k.n - before < CTL_AUDIT_PAGE)
			break;
	}
	if (cfg->json)
		printf("{\"status\": \"ok\", \"entries\": %" PRId64 ", \"head\": \"%s\"}\n",
		       k.seq, k.prev);
	else
		printf("audit chain ok: %" PRId64 " entries, head %s\n", k.seq, k.prev);
	return CLI_OK;
}

int ctl_audit_main(int argc, char **argv)
{
	struct ctl_audit_args a = { NULL, NULL };
	struct ctlhttp_cfg cfg;
	int st;

	ctlhttp_cfg_init(&cfg);
	if (ctl_cli_parse(argc, argv, ctl_audit_opts, &cfg, ctl_audit_help,
			  ctl_audit_opt, &a, &st))
		return st;
	if (argc - optind != 1)
		return ctl_cli_usage("audit", "want: audit list | audit verify");
	if (strcmp(argv[optind], "list") && strcmp(argv[optind], "verify"))
		return ctl_cli_usage("audit", "unknown subcommand");
	if (!strcmp(argv[optind], "verify") && (a.after || a.limit))
		return ctl_cli_usage("audit", "verify takes no --after/--limit");
	if (ctlhttp_cfg_finish(&cfg))
		return CLI_USAGE;
	if (!strcmp(argv[optind], "list"))
		return ctl_audit_list(&cfg, &a);
	return ctl_audit_verify(&cfg);
}
