/* epoxy-keys: the offline subset of epoxyctl for the signing machine.
 *
 * Release key holders sign on a machine that should never talk to the
 * network; this program links only the trust library and the offline
 * commands (no HTTP client, no store), and runs exactly the same code as
 * `epoxyctl keys ...` and `epoxyctl release sign|verify ...`. */
#include <stdio.h>
#include <string.h>

#include "server/ctl.h"

static int usage(FILE *f, int rc)
{
	fprintf(f, "usage: epoxy-keys new|pub|keyset|sign|verify|dev ...   (as epoxyctl keys)\n"
		   "       epoxy-keys release sign|verify ...            (as epoxyctl release)\n"
		   "       epoxy-keys <command> --help\n");
	return rc;
}

int main(int argc, char **argv)
{
	if (argc < 2)
		return usage(stderr, CTL_USAGE);
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help"))
		return usage(stdout, CTL_OK);
	if (!strcmp(argv[1], "--version")) {
		printf("epoxy-keys %s\n", EPOXY_VERSION);
		return CTL_OK;
	}
	if (!strcmp(argv[1], "release")) {
		if (argc >= 3 && !strcmp(argv[2], "sign"))
			return ctl_release_sign(argc - 2, argv + 2);
		if (argc >= 3 && !strcmp(argv[2], "verify"))
			return ctl_release_verify(argc - 2, argv + 2);
		return usage(stderr, CTL_USAGE);
	}
	return ctl_keys_main(argc, argv);
}
