/* cmdline: the epoxy.* keys of the kernel command line (docs/protocol.md).
 *
 * Guarantees: every epoxy.* value is syntax-checked against its own cap
 * (DNS name, IPv4 address, port, stage, session ID); an unknown or repeated
 * epoxy.* key is refused; other kernel parameters are ignored.  Input is at
 * most CMDLINE_MAX bytes; the kernel's double-quote rule is honoured. */
#ifndef EPOXY_STAGE2_CMDLINE_H
#define EPOXY_STAGE2_CMDLINE_H

#include <stddef.h>
#include <stdint.h>

#include "lib/label.h"

#define CMDLINE_MAX 4096
#define CMDLINE_NAME_MAX LABEL_DNS_MAX     /* epoxy.server: LABEL_DNS */
#define CMDLINE_ADDR_MAX 15     /* dotted IPv4 */
#define CMDLINE_SESSION_LEN 16
#define CMDLINE_HOST_MAX LABEL_HOST_MAX    /* epoxy.host: LABEL_HOST */

struct cmdline {
	char server[CMDLINE_NAME_MAX + 1];      /* epoxy.server, "" if absent */
	char addr[CMDLINE_ADDR_MAX + 1];        /* epoxy.addr */
	uint16_t port;                          /* epoxy.port, 0 if absent */
	int stage;                              /* epoxy.stage 1|2, 0 if absent */
	char session[CMDLINE_SESSION_LEN + 1];  /* epoxy.session (stage 2) */
	char host[CMDLINE_HOST_MAX + 1];        /* epoxy.host (BIOS script), "" */
};

/* Parses buf[0..len) (need not be NUL-terminated).  Returns 0 or
 * -EPX_E_CMDLINE; on error *bad points at a static description. */
int cmdline_parse(struct cmdline *c, const char *buf, size_t len,
		  const char **bad);
/* Reads and parses path (normally /proc/cmdline). */
int cmdline_read(struct cmdline *c, const char *path, const char **bad);

#endif
