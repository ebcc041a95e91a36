/* cli: what every command-line tool of epoxy shares (epoxyctl, epoxy-keys).
 *
 * Guarantees: a subcommand's main returns one of these as the process exit
 * status, with the same meaning in every tool, so a script tells "refused"
 * from "wrong arguments" from "server not reachable" without parsing text. */
#ifndef EPOXY_CLI_H
#define EPOXY_CLI_H

enum {
	CLI_OK = 0,          /* done */
	CLI_FAIL = 1,        /* the operation failed: verification refused, server said no */
	CLI_USAGE = 2,       /* usage error */
	CLI_UNREACHABLE = 3, /* cannot reach or authenticate to the server */
};

/* One subcommand: argv[0] is its name. */
struct cli_cmd {
	const char *name;
	int (*main)(int argc, char **argv);
	const char *summary;
};

#endif
