/* relsign: the offline release verbs, `release sign` and `release verify`
 * of epoxyctl and epoxy-keys (docs/keys.md, docs/manifest.md).
 *
 * Guarantees: both run without network and without a store, link only
 * lib/ (signing code from lib/sign.c) and keys/kfile.c, and return a CLI_*
 * exit status (lib/cli.h).  argv[0] is the verb ("sign" or "verify"). */
#ifndef EPOXY_RELSIGN_H
#define EPOXY_RELSIGN_H

int relsign_sign(int argc, char **argv);
int relsign_verify(int argc, char **argv);

#endif
