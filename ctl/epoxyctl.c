/* epoxyctl: the operator CLI.  Dispatches to one module per subcommand. */
#include <stdio.h>
#include <string.h>

#include "ctl/ctl.h"
#include "keys/keytool.h"

static const struct cli_cmd ctl_cmds[] = {
	{ "host", ctl_host_main, "enroll, list, show, update, delete hosts; boot credentials" },
	{ "site", ctl_site_main, "add, list, delete the sites hosts belong to" },
	{ "token", ctl_token_main, "issue a one-time boot token for a host" },
	{ "release", ctl_release_main, "sign, verify, publish, list, promote, pin releases" },
	{ "image", ctl_image_main, "retire stage1 images (dbx); publish and list slice images" },
	{ "slice", ctl_slice_main, "create, list, show, set, renew, delete slices; their nodes" },
	{ "sliver", ctl_sliver_main, "list where every sliver runs and its usage" },
	{ "experiment", ctl_experiment_main, "create, list, show, set, delete the archive's experiments" },
	{ "data", ctl_data_main, "list, show, get the archived bundles of experiments" },
	{ "fleet", ctl_fleet_main, "the file_sd document of the joined nodes for Prometheus" },
	{ "session", ctl_session_main, "list boot sessions" },
	{ "why", ctl_why_main, "explain a host's last boot (stage, error code, console tail)" },
	{ "audit", ctl_audit_main, "list and verify the hash-chained audit log" },
	{ "admin", ctl_admin_main, "create or revoke an admin credential (on the server host)" },
	{ "keys", keytool_main, "create and rotate the fleet's keys" },
};

static int epoxyctl_usage(FILE *f, int rc)
{
	size_t i;

	fprintf(f, "usage: epoxyctl <command> [args]   (epoxyctl <command> --help)\n\n");
	for (i = 0; i < sizeof(ctl_cmds) / sizeof(ctl_cmds[0]); i++)
		fprintf(f, "  %-10s %s\n", ctl_cmds[i].name, ctl_cmds[i].summary);
	fprintf(f, "\nexit status: 0 ok, 1 refused or failed, 2 usage, 3 server unreachable or not authorised\n");
	return rc;
}

int main(int argc, char **argv)
{
	size_t i;

	if (argc < 2)
		return epoxyctl_usage(stderr, CLI_USAGE);
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help"))
		return epoxyctl_usage(stdout, CLI_OK);
	if (!strcmp(argv[1], "--version")) {
		printf("epoxyctl %s\n", EPOXY_VERSION);
		return CLI_OK;
	}
	for (i = 0; i < sizeof(ctl_cmds) / sizeof(ctl_cmds[0]); i++)
		if (!strcmp(argv[1], ctl_cmds[i].name))
			return ctl_cmds[i].main(argc - 1, argv + 1);
	fprintf(stderr, "epoxyctl: unknown command '%s'\n", argv[1]);
	return epoxyctl_usage(stderr, CLI_USAGE);
}
