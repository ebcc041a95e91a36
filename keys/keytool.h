/* keytool: `epoxyctl keys` and `epoxy-keys`, the release keys and the
 * keyset, offline (docs/keys.md).
 *
 * Guarantees: runs without network and without a store; returns a CLI_*
 * exit status (lib/cli.h); argv[0] is the command's name. */
#ifndef EPOXY_KEYTOOL_H
#define EPOXY_KEYTOOL_H

int keytool_main(int argc, char **argv);

#endif
