/* ctl_sliver: `epoxyctl sliver list [--node HOST | --slice NAME]`: where
 * every sliver runs and what it uses, from each node's last sensor
 * snapshot (server/admin_sliver.h has the records).
 *
 * Guarantees: the filter goes to the server percent-encoded in the query
 * and nothing else does; the server checks it (code E2592); the answer's
 * records are rendered by ctl_cli_table, which escapes node-supplied text. */
#include <stdio.h>
#include <string.h>

#include "ctl/ctl.h"
#include "ctl/ctl_cli.h"
#include "lib/err.h"

static const char ctl_sliver_help[] =
"usage: epoxyctl sliver list [--node HOST | --slice NAME] [--json]\n"
"\n"
"list: one line per sliver of each host: the slivers the SliceDB gives it\n"
"and those its node manager last reported, with the usage the node's\n"
"sensors measured (state running, unreported, no-snapshot or unassigned;\n"
"cpu_s CPU seconds, mem_bytes, tasks, disk_bytes, tx_bytes, rx_bytes;\n"
"empty where the node could not measure it) and the time of the snapshot\n"
"(at: the node's clock; received and age: epoxyd's).  The node sends a\n"
"snapshot with each heartbeat.  --node: one host; --slice: one slice's\n"
"slivers.  --json adds cpu_us and net.\n"
"\n"
"connection: --url URL --ca FILE --credential FILE [--resolve NAME:PORT:ADDR]\n"
"            [--config FILE] (or EPOXY_URL, EPOXY_CA, EPOXY_ADMIN_CREDENTIAL, ...)\n"
"exit status: 0 ok, 1 refused or failed, 2 usage, 3 unreachable or not authorised\n";

enum { OPT_NODE = 1, OPT_SLICE };

struct ctl_sliver_args {
	const char *node, *slice;
};

static const struct option ctl_sliver_opts[] = {
	{ "node", required_argument, NULL, OPT_NODE },
	{ "slice", required_argument, NULL, OPT_SLICE },
	CTLHTTP_LONGOPTS,
	{ NULL, 0, NULL, 0 },
};

static const char *const ctl_sliver_cols[] = { "node", "sliver", "state", "cpu_s", "mem_bytes",
	"tasks", "disk_bytes", "tx_bytes", "rx_bytes", "at", "age", NULL };

static int ctl_sliver_opt(int opt, const char *arg, void *p)
{
	struct ctl_sliver_args *a = p;

	if (opt == OPT_NODE)
		a->node = arg;
	else if (opt == OPT_SLICE)
		a->slice = arg;
	else
		return -EPX_E_CTL_USAGE;
	return 0;
}

int ctl_sliver_main(int argc, char **argv)
{
	struct ctl_sliver_args a = { NULL, NULL };
	const char *key = NULL, *val = NULL;
	struct ctlhttp_cfg cfg;
	char path[400];
	int st;

	ctlhttp_cfg_init(&cfg);
	if (ctl_cli_parse(argc, argv, ctl_sliver_opts, &cfg, ctl_sliver_help, ctl_sliver_opt,
			  &a, &st))
		return st;
	if (argc - optind != 1 || strcmp(argv[optind], "list"))
		return ctl_cli_usage("sliver", "want: sliver list [--node HOST | --slice NAME]");
	if (a.node && a.slice)
		return ctl_cli_usage("sliver", "give --node or --slice, not both");
	key = a.node ? "?node=" : a.slice ? "?slice=" : "";
	val = a.node ? a.node : a.slice;
	snprintf(path, sizeof(path), "/admin/v1/slivers%s", key);
	if (val && (strlen(val) > 128 ||
		    ctlhttp_seg(path + strlen(path), sizeof(path) - strlen(path), val)))
		return ctl_cli_usage("sliver", "--node or --slice: name too long");
	if (ctlhttp_cfg_finish(&cfg))
		return CLI_USAGE;
	return ctl_cli_send(&cfg, "sliver list", "GET", path, NULL, ctl_sliver_cols);
}
