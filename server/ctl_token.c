/* ctl_token: `epoxyctl token issue HOST [--ttl SECONDS] [--out FILE]`.
 *
 * Guarantees: the one-time boot token is the command's output, so it is
 * printed once on stdout (or, with --out, written only to a new 0600 file);
 * it is wiped from memory afterwards and never logged. */
#include <stdio.h>
#include <string.h>

#include "lib/err.h"
#include "server/ctl.h"
#include "server/ctl_cli.h"

static const char ctl_token_help[] =
"usage: epoxyctl token issue HOST [--ttl SECONDS] [--out FILE] [--json]\n"
"\n"
"Issues a one-time boot token for HOST, valid for --ttl seconds (default 3600,\n"
"at most 604800).  It lets the host open one boot session without its boot\n"
"credential (first boot from removable media, or after a revocation).  The token\n"
"is printed once on stdout, or written to a new 0600 FILE with --out.\n"
"\n"
"connection: --url URL --ca FILE --credential FILE [--resolve NAME:PORT:ADDR]\n"
"            [--config FILE] (or EPOXY_URL, EPOXY_CA, EPOXY_ADMIN_CREDENTIAL, ...)\n"
"exit status: 0 ok, 1 refused or failed, 2 usage, 3 unreachable or not authorised\n";

enum { OPT_TTL = 1, OPT_OUT };

static const struct option ctl_token_opts[] = {
	{ "ttl", required_argument, NULL, OPT_TTL },
	{ "out", required_argument, NULL, OPT_OUT },
	CTLHTTP_LONGOPTS,
	{ NULL, 0, NULL, 0 },
};

struct ctl_token_args {
	const char *ttl, *out;
};

static int ctl_token_opt(int opt, const char *arg, void *p)
{
	struct ctl_token_args *a = p;

	if (opt == OPT_TTL)
		a->ttl = arg;
	else if (opt == OPT_OUT)
		a->out = arg;
	else
		return -1;
	return 0;
}

struct ctl_token_res {
	const char *token, *expires;
};

static int ctl_token_rec(const struct ctl_rec *r, void *arg)
{
	struct ctl_token_res *t = arg;
	const char *v = ctl_rec_get(r, "token");

	if (!v || strlen(v) != 64 || strspn(v, "0123456789abcdef") != 64)
		return -EPX_E_CTL_REPLY;
	t->token = v;
	t->expires = ctl_rec_get(r, "expires");
	return 0;
}

int ctl_token_main(int argc, char **argv)
{
	struct ctl_token_args a = { NULL, NULL };
	struct ctl_token_res t = { NULL, NULL };
	struct ctlhttp_reply rep;
	struct ctlhttp_cfg cfg;
	char seg[800], path[900];
	struct ctl_buf f;
	int st;

	ctlhttp_cfg_init(&cfg);
	if (ctl_cli_parse(argc, argv, ctl_token_opts, &cfg, ctl_token_help,
			  ctl_token_opt, &a, &st))
		return st;
	if (argc - optind != 2 || strcmp(argv[optind], "issue"))
		return ctl_cli_usage("token", "want: token issue HOST");
	if (strlen(argv[optind + 1]) > 256 ||
	    ctlhttp_seg(seg, sizeof(seg), argv[optind + 1]))
		return ctl_cli_usage("token", "host name too long");
	snprintf(path, sizeof(path), "/admin/v1/hosts/%s/token", seg);
	if (ctlhttp_cfg_finish(&cfg))
		return CTL_USAGE;
	ctl_buf_init(&f, 256);
	if (a.ttl)
		ctl_buf_field(&f, "ttl", a.ttl);
	st = ctl_cli_call(&cfg, "token issue", "POST", path, &f, &rep);
	ctl_buf_free(&f);
	if (st)
		return st;
	st = CTL_FAIL;
	if (ctl_form_each(rep.body.buf, rep.body.len, ctl_token_rec, &t) || !t.token) {
		fprintf(stderr, "epoxyctl: token issue: answer malformed (EPOXY-E2603)\n");
		goto out;
	}
	if (a.out) {
		if (ctl_cli_secret_file(a.out, t.token))
			goto out;
		fprintf(stderr, "epoxyctl: boot token for %s written to %s (expires %s)\n",
			argv[optind + 1], a.out, t.expires ? t.expires : "?");
	} else if (cfg.json) {
		printf("{\"host\": ");
		ctl_json_str(stdout, argv[optind + 1]);
		printf(", \"token\": \"%s\", \"expires\": ", t.token);
		ctl_json_str(stdout, t.expires ? t.expires : "");
		printf("}\n");
	} else {
		printf("%s\n", t.token);
	}
	st = CTL_OK;
out:
	ctl_buf_wipe(&rep.body);
	return st;
}
