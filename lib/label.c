/* label: one charset check for every class of name (see label.h).
 *
 * Guarantees: a class is a row of one table (alphabet, cap, DNS form);
 * there is no second copy of any alphabet anywhere in epoxy. */
#include <string.h>

#include "lib/err.h"
#include "lib/label.h"

static const struct {
	const char *extra;      /* allowed besides [a-z0-9] ([0-9a-f] if hex) */
	size_t max;
	int dns;                /* dot-separated labels, no edge '-' */
	int alpha_first;        /* first byte must be [a-z] */
	int hex;                /* letters only a-f */
	size_t min;             /* shortest (1 when 0) */
} label_classes[] = {
	[LABEL_HOST] = { "-.", LABEL_HOST_MAX, 1, 0, 0, 0 },
	[LABEL_DNS] = { "-.", LABEL_DNS_MAX, 1, 0, 0, 0 },
	[LABEL_TAG] = { "._-", LABEL_TAG_MAX, 0, 0, 0, 0 },
	[LABEL_WORD] = { "-", LABEL_WORD_MAX, 0, 0, 0, 0 },
	[LABEL_KEY] = { "_-", LABEL_KEY_MAX, 0, 0, 0, 0 },
	[LABEL_FIELD] = { "-", LABEL_FIELD_MAX, 0, 1, 0, 0 },
	[LABEL_ACTOR] = { "ABCDEFGHIJKLMNOPQRSTUVWXYZ._:@/-", LABEL_ACTOR_MAX, 0, 0, 0, 0 },
	[LABEL_ADDR] = { "ABCDEF.:/", LABEL_ADDR_MAX, 0, 0, 1, 2 },
};

static int label_byte(unsigned char ch, const char *extra, int hex)
{
	return (ch >= 'a' && ch <= (hex ? 'f' : 'z')) || (ch >= '0' && ch <= '9') ||
	       (ch != '\0' && strchr(extra, ch));
}

/* Dot-separated DNS labels of 1..63 bytes, none starting or ending in '-'. */
static int label_dns(const char *s, size_t n)
{
	size_t i, len = 0;

	for (i = 0; i <= n; i++) {
		if (i < n && s[i] != '.') {
			if (++len > 63 || (len == 1 && s[i] == '-'))
				return -EPX_E_LABEL;
			continue;
		}
		if (len == 0 || s[i - 1] == '-')
			return -EPX_E_LABEL;
		len = 0;
	}
	return 0;
}

int label_check(enum label_class c, const char *s, size_t n)
{
	size_t i;

	if ((unsigned)c >= sizeof(label_classes) / sizeof(label_classes[0]) ||
	    !s || n == 0)
		return -EPX_E_LABEL;
	for (i = 0; i < n; i++)
		if (!label_byte((unsigned char)s[i], label_classes[c].extra,
				label_classes[c].hex))
			return -EPX_E_LABEL;
	if (n < label_classes[c].min)
		return -EPX_E_LABEL;
	if (label_classes[c].alpha_first && !(s[0] >= 'a' && s[0] <= 'z'))
		return -EPX_E_LABEL;
	if (label_classes[c].dns && label_dns(s, n) < 0)
		return -EPX_E_LABEL;
	return n > label_classes[c].max ? -EPX_E_LABEL_LONG : 0;
}

int label_check_str(enum label_class c, const char *s)
{
	return label_check(c, s, s ? strlen(s) : 0);
}
