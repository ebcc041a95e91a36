/* epoxy-keys: the offline subset of epoxyctl for the signing machine.
 *
 * Release key holders sign on a machine that should never talk to the
 * network; this program links only the trust library and the offline
 * commands (no HTTP client, no store), and runs exactly the same code as
 * `epoxyctl keys ...` and `epoxyctl release sign|verify ...`. */
#include <stdio.h>
#include <string.h>

#include "keys/keytool.h"
#include "keys/relsign.h"
#include "lib/cli.h"

static int epoxy_keys_usage(FILE *f, int rc)
{
	fprintf(f, "usage: epoxy-keys new|pub|keyset|sign|verify|dev ...   (as epoxyctl keys)\n"
		   "       epoxy-keys release sign|verify ...            (as epoxyctl release)\n"
		   "       epoxy-keys <command> --help\n");
	return rc;
}

int main(int argc, char **argv)
{
	if (argc < 2)
		return epoxy_keys_usage(stderr, CLI_USAGE);
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help"))
		return epoxy_keys_usage(stdout, CLI_OK);
	if (!strcmp(argv[1], "--version")) {
		printf("epoxy-keys %s\n", EPOXY_VERSION);
		return CLI_OK;
	}
	if (!strcmp(argv[1], "release")) {
		if (argc >= 3 && !strcmp(argv[2], "sign"))
			return relsign_sign(argc - 2, argv + 2);
		if (argc >= 3 && !strcmp(argv[2], "verify"))
			return relsign_verify(argc - 2, argv + 2);
		return epoxy_keys_usage(stderr, CLI_USAGE);
	}
	return keytool_main(argc, argv);
}
