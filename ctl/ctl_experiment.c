/* ctl_experiment: `epoxyctl experiment create|list|show|set|delete`: the
 * archive's experiments over the admin API (server/admin_archive.c).
 *
 * Guarantees: every value goes to the server as it was given (the server
 * checks and refuses with a stable code), but for --embargo, whose unit
 * suffix (d, w, y) is turned into days here with lib/num.h; an option a
 * verb does not take is a usage error; nothing is sent on a usage error. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl/ctl.h"
#include "ctl/ctl_cli.h"
#include "lib/err.h"
#include "lib/num.h"

static const char ctl_experiment_help[] =
"usage: epoxyctl experiment create NAME [--datatypes A,B,...] [--embargo DAYS[d|w|y]]\n"
"                                  [--slice SLICE] [--json]\n"
"       epoxyctl experiment list [--json]\n"
"       epoxyctl experiment show NAME [--json]\n"
"       epoxyctl experiment set NAME [--datatypes A,B,...] [--embargo DAYS[d|w|y]]\n"
"                                  [--slice SLICE] [--json]\n"
"       epoxyctl experiment delete NAME [--json]\n"
"\n"
"An experiment names the data its nodes upload to the archive\n"
"(DATA/<experiment>/<datatype>/... on a node, see epoxy-pusher(8)).  NAME\n"
"is [a-z0-9._-]{1,64}, not starting with '.'.  --datatypes: the datatypes it\n"
"writes, comma-separated names; --embargo: how long each bundle stays\n"
"private after it was stored, in days (0..3650; 0: public at once; a\n"
"suffix w or y counts weeks or 365-day years); --slice: the slice that runs\n"
"it (--slice '' clears it).  Changing the embargo moves every bundle of the\n"
"experiment.  show also counts its bundles.  delete refuses while the\n"
"archive records bundles of it (code E2348).  See `epoxyctl data` for the\n"
"bundles themselves.\n"
"\n"
"connection: --url URL --ca FILE --credential FILE [--resolve NAME:PORT:ADDR]\n"
"            [--config FILE] (or EPOXY_URL, EPOXY_CA, EPOXY_ADMIN_CREDENTIAL, ...)\n"
"exit status: 0 ok, 1 refused or failed, 2 usage, 3 unreachable or not authorised\n";

enum { OPT_DATATYPES = 1, OPT_EMBARGO, OPT_SLICE };

struct ctl_experiment_args {
	const char *datatypes, *embargo, *slice;
};

static const struct option ctl_experiment_opts[] = {
	{ "datatypes", required_argument, NULL, OPT_DATATYPES },
	{ "embargo", required_argument, NULL, OPT_EMBARGO },
	{ "slice", required_argument, NULL, OPT_SLICE },
	CTLHTTP_LONGOPTS,
	{ NULL, 0, NULL, 0 },
};

static int ctl_experiment_opt(int opt, const char *arg, void *p)
{
	struct ctl_experiment_args *a = p;

	switch (opt) {
	case OPT_DATATYPES: a->datatypes = arg; return 0;
	case OPT_EMBARGO: a->embargo = arg; return 0;
	case OPT_SLICE: a->slice = arg; return 0;
	}
	return -EPX_E_CTL_USAGE;
}

static const char *const ctl_experiment_cols[] = { "name", "datatypes", "embargo_days",
	"slice", NULL };

/* "30", "30d", "2w", "1y" into days (0..3650). */
static int ctl_experiment_days(const char *s, char out[16])
{
	size_t n = strlen(s);
	uint64_t v, mul = 1;

	if (n && (s[n - 1] == 'd' || s[n - 1] == 'w' || s[n - 1] == 'y')) {
		mul = s[n - 1] == 'w' ? 7 : s[n - 1] == 'y' ? 365 : 1;
		n--;
	}
	if (num_parse_u64(s, n, 3650, &v) < 0 || v * mul > 3650)
		return ctl_cli_usage("experiment", "--embargo: want 0..3650 days (or N w, N y)");
	snprintf(out, 16, "%llu", (unsigned long long)(v * mul));
	return 0;
}

static int ctl_experiment_fields(const struct ctl_experiment_args *a, struct record_buf *f)
{
	char days[16];

	if (a->datatypes)
		record_buf_field(f, "datatypes", a->datatypes);
	if (a->embargo) {
		if (ctl_experiment_days(a->embargo, days))
			return CLI_USAGE;
		record_buf_field(f, "embargo_days", days);
	}
	if (a->slice)
		record_buf_field(f, "slice", a->slice);
	return 0;
}

static int ctl_experiment_run(const struct ctlhttp_cfg *cfg, struct ctl_experiment_args *a,
			      const char *verb, const char *name)
{
	char path[600], seg[400];
	struct record_buf f;
	int st;

	if (!strcmp(verb, "list"))
		return ctl_cli_send(cfg, "experiment list", "GET", "/admin/v1/experiments",
					   NULL, ctl_experiment_cols);
	if (strlen(name) > 128 || ctlhttp_seg(seg, sizeof(seg), name))
		return ctl_cli_usage("experiment", "experiment name too long");
	snprintf(path, sizeof(path), "/admin/v1/experiments/%s", seg);
	if (!strcmp(verb, "show"))
		return ctl_cli_send(cfg, "experiment show", "GET", path, NULL, NULL);
	if (!strcmp(verb, "delete"))
		return ctl_cli_send(cfg, "experiment delete", "DELETE", path, NULL, NULL);
	if (!strcmp(verb, "set") && !a->datatypes && !a->embargo && !a->slice)
		return ctl_cli_usage("experiment", "set: nothing to set");
	record_buf_init(&f, RECORD_MAX_LINE);
	if (!strcmp(verb, "create"))
		record_buf_field(&f, "name", name);
	st = ctl_experiment_fields(a, &f);
	if (st) {
		record_buf_free(&f);
		return st;
	}
	if (!strcmp(verb, "create"))
		return ctl_cli_send(cfg, "experiment create", "POST", "/admin/v1/experiments",
					   &f, NULL);
	return ctl_cli_send(cfg, "experiment set", "PATCH", path, &f, NULL);
}

int ctl_experiment_main(int argc, char **argv)
{
	static const struct { const char *verb; int npos, opts; } verbs[] = {
		{ "create", 1, 1 }, { "list", 0, 0 }, { "show", 1, 0 }, { "set", 1, 1 },
		{ "delete", 1, 0 },
	};
	struct ctl_experiment_args a;
	struct ctlhttp_cfg cfg;
	size_t i;
	int st, pos;

	memset(&a, 0, sizeof(a));
	ctlhttp_cfg_init(&cfg);
	if (ctl_cli_parse(argc, argv, ctl_experiment_opts, &cfg, ctl_experiment_help,
			  ctl_experiment_opt, &a, &st))
		return st;
	pos = argc - optind;
	if (pos < 1)
		return ctl_cli_usage("experiment", "missing subcommand");
	for (i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++)
		if (!strcmp(argv[optind], verbs[i].verb))
			break;
	if (i == sizeof(verbs) / sizeof(verbs[0]))
		return ctl_cli_usage("experiment", "unknown subcommand");
	if (pos != 1 + verbs[i].npos)
		return ctl_cli_usage("experiment", "wrong number of arguments");
	if (!verbs[i].opts && (a.datatypes || a.embargo || a.slice))
		return ctl_cli_usage("experiment", "an option that does not apply to this subcommand");
	if (ctlhttp_cfg_finish(&cfg))
		return CLI_USAGE;
	return ctl_experiment_run(&cfg, &a, argv[optind], pos > 1 ? argv[optind + 1] : "");
}
