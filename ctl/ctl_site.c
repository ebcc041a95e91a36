/* ctl_site: `epoxyctl site add|list|delete`: the sites hosts belong to.
 *
 * Guarantees: values go to the server unmodified (it validates); a site
 * that still has hosts is not deleted (the server refuses). */
#include <stdio.h>
#include <string.h>

#include "ctl/ctl.h"
#include "ctl/ctl_cli.h"
#include "lib/err.h"

static const char ctl_site_help[] =
"usage: epoxyctl site add NAME [--description TEXT]\n"
"       epoxyctl site list [--json]\n"
"       epoxyctl site delete NAME\n"
"\n"
"Sites group hosts by location (host add --site NAME).  NAME is [a-z0-9._-]{1,64};\n"
"the description is printable ASCII, at most 1024 bytes.  A site with hosts\n"
"cannot be deleted.\n"
"\n"
"connection: --url URL --ca FILE --credential FILE [--resolve NAME:PORT:ADDR]\n"
"            [--config FILE] (or EPOXY_URL, EPOXY_CA, EPOXY_ADMIN_CREDENTIAL, ...)\n"
"exit status: 0 ok, 1 refused or failed, 2 usage, 3 unreachable or not authorised\n";

enum { OPT_DESC = 1 };

static const struct option ctl_site_opts[] = {
	{ "description", required_argument, NULL, OPT_DESC },
	CTLHTTP_LONGOPTS,
	{ NULL, 0, NULL, 0 },
};

static int ctl_site_opt(int opt, const char *arg, void *p)
{
	if (opt != OPT_DESC)
		return -EPX_E_CTL_USAGE;
	*(const char **)p = arg;
	return 0;
}

static int ctl_site_send(const struct ctlhttp_cfg *cfg, const char *what,
			 const char *method, const char *path, struct record_buf *f)
{
	static const char *const cols[] = { "name", "description", NULL };
	struct ctlhttp_reply rep;
	int st = ctl_cli_call(cfg, what, method, path, f, &rep);

	if (f)
		record_buf_free(f);
	if (st)
		return st;
	if (!strcmp(method, "GET"))
		st = ctl_cli_table(rep.body.buf, rep.body.len, cfg->json, cols);
	else
		st = ctl_cli_show(rep.body.buf, rep.body.len, cfg->json);
	record_buf_free(&rep.body);
	return st;
}

int ctl_site_main(int argc, char **argv)
{
	const char *desc = NULL, *verb;
	struct ctlhttp_cfg cfg;
	char seg[400], path[500];
	struct record_buf f;
	int st, pos;

	ctlhttp_cfg_init(&cfg);
	if (ctl_cli_parse(argc, argv, ctl_site_opts, &cfg, ctl_site_help,
			  ctl_site_opt, &desc, &st))
		return st;
	pos = argc - optind;
	if (pos < 1)
		return ctl_cli_usage("site", "missing subcommand");
	verb = argv[optind];
	if (!strcmp(verb, "list") ? pos != 1 : pos != 2)
		return ctl_cli_usage("site", "want: site add NAME | site list | site delete NAME");
	if (strcmp(verb, "add") && desc)
		return ctl_cli_usage("site", "--description applies to add");
	if (strcmp(verb, "add") && strcmp(verb, "list") && strcmp(verb, "delete"))
		return ctl_cli_usage("site", "unknown subcommand");
	if (ctlhttp_cfg_finish(&cfg))
		return CLI_USAGE;
	if (!strcmp(verb, "list"))
		return ctl_site_send(&cfg, "site list", "GET", "/admin/v1/sites", NULL);
	if (!strcmp(verb, "delete")) {
		if (strlen(argv[optind + 1]) > 128 ||
		    ctlhttp_seg(seg, sizeof(seg), argv[optind + 1]))
			return ctl_cli_usage("site", "site name too long");
		snprintf(path, sizeof(path), "/admin/v1/sites/%s", seg);
		return ctl_site_send(&cfg, "site delete", "DELETE", path, NULL);
	}
	record_buf_init(&f, RECORD_MAX_LINE);
	record_buf_field(&f, "name", argv[optind + 1]);
	if (desc)
		record_buf_field(&f, "description", desc);
	return ctl_site_send(&cfg, "site add", "POST", "/admin/v1/sites", &f);
}
