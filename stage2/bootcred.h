/* bootcred: the host's boot credential, from load to wipe, in one module.
 *
 * Guarantees: this module alone chooses where the secret of the first boot
 * session comes from (the firmware variable through stage2/efivar.h; on a
 * node with no variable store at all, or with --token-medium, a token
 * medium through stage2/media.h; --token-file replaces the secret), puts it
 * into the session request (bootcred_form()), and wipes it
 * (bootcred_wipe()).  The format parsers fill struct bootcred and wipe
 * their own buffers; every other module sees only the host name and
 * whether the secret is a one-time boot token, through the accessors, and
 * never reads the fields.  Sealing the credential to measured boot in the
 * node's TPM replaces bootcred.c, not its callers. */
#ifndef EPOXY_STAGE2_BOOTCRED_H
#define EPOXY_STAGE2_BOOTCRED_H

#include <stddef.h>
#include <stdint.h>

#define BOOTCRED_HOST_MAX 63
#define BOOTCRED_LEN 32                 /* the secret, 64 hex digits on the wire */
#define BOOTCRED_FILE_MAX 80            /* --token-file: 64 hex + one newline */

/* Filled by bootcred_load() (host and credential by the format parsers);
 * outside this module and the parsers, only through the accessors. */
struct bootcred {
	char host[BOOTCRED_HOST_MAX + 1];
	uint8_t credential[BOOTCRED_LEN];
	int is_token;                   /* one-time boot token, not the credential */
};

struct agent_opts;

/* Loads the credential for o (o->efivars, o->token_medium, o->sysblock,
 * o->devdir, o->media_wait_ms, o->cl.host, o->token_file), printing each
 * failure with its code (and the medium's stage line).  Returns 0 or that
 * code; on failure bc is wiped. */
int bootcred_load(struct bootcred *bc, const struct agent_opts *o);
const char *bootcred_host(const struct bootcred *bc);
int bootcred_is_token(const struct bootcred *bc);
/* Appends the form field "credential=<64 hex>" or "token=<64 hex>"
 * (lowercase), after a '&' when len > 0, to out[0..len) (cap bytes in all,
 * NUL-terminated).  Returns the new length or -EPX_E_CODEC_SPACE
 * (out[len..cap) wiped).
 * The caller wipes out after use. */
int bootcred_form(const struct bootcred *bc, char *out, size_t cap, size_t len);
void bootcred_wipe(struct bootcred *bc);

#endif
