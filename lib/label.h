/* label: the one check of names that travel between programs.
 *
 * Which names it covers, one class each (the cap is part of the class):
 *   LABEL_HOST   a node's host name, everywhere it appears (the store, the
 *                signed statement, the boot credential and token medium,
 *                epoxy.host=, the handover): DNS labels of [a-z0-9-]
 *                joined by '.', no label empty or starting or ending with
 *                '-', 1..LABEL_HOST_MAX bytes in all
 *   LABEL_DNS    the server's DNS name (epoxy.server=): the same rule,
 *                1..LABEL_DNS_MAX bytes
 *   LABEL_TAG    site, hardware class, channel, group:
 *                [a-z0-9._-]{1,LABEL_TAG_MAX}
 *   LABEL_WORD   a report's stage, a host's or session's state:
 *                [a-z0-9-]{1,LABEL_WORD_MAX}
 *   LABEL_KEY    a form field's name (lib/form.h): [a-z0-9_-]{1,LABEL_KEY_MAX}
 *   LABEL_FIELD  a signed document's field name (lib/doc.h):
 *                [a-z][a-z0-9-]{0,LABEL_FIELD_MAX-1}
 *   LABEL_ACTOR  an audit entry's actor and action (store/):
 *                [A-Za-z0-9._:@/-]{1,LABEL_ACTOR_MAX}
 *   LABEL_ADDR   an address or prefix a host's tokens are bound to
 *                (admin API addrs=, the store): [0-9a-fA-F.:/]{2,LABEL_ADDR_MAX},
 *                IPv4 or IPv6, with or without a /prefix length
 *
 * Guarantees: ASCII only, lowercase only but for LABEL_ACTOR and
 * LABEL_ADDR's hex digits (never folded, never the locale's idea of a letter); reads exactly s[0..n);
 * returns 0, -EPX_E_LABEL_LONG (over the class's cap) or -EPX_E_LABEL
 * (anything else, empty included). */
#ifndef EPOXY_LABEL_H
#define EPOXY_LABEL_H

#include <stddef.h>

#define LABEL_HOST_MAX 63
#define LABEL_DNS_MAX 253
#define LABEL_TAG_MAX 64
#define LABEL_WORD_MAX 15
#define LABEL_KEY_MAX 32
#define LABEL_FIELD_MAX 64
#define LABEL_ACTOR_MAX 64
#define LABEL_ADDR_MAX 48

enum label_class {
	LABEL_HOST,
	LABEL_DNS,
	LABEL_TAG,
	LABEL_WORD,
	LABEL_KEY,
	LABEL_FIELD,
	LABEL_ACTOR,
	LABEL_ADDR,
};

int label_check(enum label_class c, const char *s, size_t n);
/* The same for a NUL-terminated s (NULL: -EPX_E_LABEL). */
int label_check_str(enum label_class c, const char *s);

#endif
