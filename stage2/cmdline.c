/* cmdline: parser of the epoxy.* kernel parameters.
 *
 * The command line is signed (it is part of the stage1 UKI), but the parser
 * still treats it as untrusted input: a malformed value stops the agent with
 * EPOXY-E1200 rather than connecting somewhere unexpected. */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "lib/err.h"
#include "lib/file.h"
#include "lib/hex.h"
#include "lib/label.h"
#include "lib/num.h"
#include "stage2/cmdline.h"

/* Dotted IPv4: four decimals 0..255 in lib/num.h's one spelling ("010"
 * is ambiguous and refused). */
static int cmdline_valid_ipv4(const char *s, size_t n)
{
	size_t i, start = 0, parts = 0;
	uint32_t v;

	if (n == 0 || n > CMDLINE_ADDR_MAX)
		return 0;
	for (i = 0; i <= n; i++) {
		if (i < n && s[i] != '.')
			continue;
		if (++parts > 4 || num_parse_u32(s + start, i - start, 255, &v) < 0)
			return 0;
		start = i + 1;
	}
	return parts == 4;
}

static int cmdline_num(const char *s, size_t n, uint32_t max, unsigned *out)
{
	uint32_t v;

	if (num_parse_u32(s, n, max, &v) < 0 || v == 0)
		return -EPX_E_CMDLINE;
	*out = v;
	return 0;
}

/* One epoxy.KEY=VALUE parameter; seen is a bitmask of keys already set. */
static int cmdline_one(struct cmdline *c, const char *k, size_t kn,
		       const char *v, size_t vn, unsigned *seen,
		       const char **bad)
{
	static const char *const keys[] = { "server", "addr", "port", "stage",
					    "session", "host" };
	unsigned i, num;

	for (i = 0; i < 6; i++)
		if (strlen(keys[i]) == kn && memcmp(keys[i], k, kn) == 0)
			break;
	if (i == 6)
		return *bad = "unknown epoxy.* key", -EPX_E_CMDLINE;
	if (*seen & (1u << i))
		return *bad = "epoxy.* key given twice", -EPX_E_CMDLINE;
	*seen |= 1u << i;
	switch (i) {
	case 0:
		if (label_check(LABEL_DNS, v, vn) < 0)
			return *bad = "epoxy.server is not a DNS name", -EPX_E_CMDLINE;
		memcpy(c->server, v, vn);
		c->server[vn] = '\0';
		return 0;
	case 1:
		if (!cmdline_valid_ipv4(v, vn))
			return *bad = "epoxy.addr is not an IPv4 address", -EPX_E_CMDLINE;
		memcpy(c->addr, v, vn);
		c->addr[vn] = '\0';
		return 0;
	case 2:
		if (cmdline_num(v, vn, 65535, &num) < 0)
			return *bad = "epoxy.port is not 1-65535", -EPX_E_CMDLINE;
		c->port = (uint16_t)num;
		return 0;
	case 3:
		if (cmdline_num(v, vn, 2, &num) < 0)
			return *bad = "epoxy.stage is not 1 or 2", -EPX_E_CMDLINE;
		c->stage = (int)num;
		return 0;
	case 5:
		if (label_check(LABEL_HOST, v, vn) < 0)
			return *bad = "epoxy.host is not a host name", -EPX_E_CMDLINE;
		memcpy(c->host, v, vn);
		c->host[vn] = '\0';
		return 0;
	default:
		if (hex_check(v, vn, CMDLINE_SESSION_LEN) < 0)
			return *bad = "epoxy.session is not 16 lowercase hex digits", -EPX_E_CMDLINE;
		memcpy(c->session, v, vn);
		c->session[vn] = '\0';
		return 0;
	}
}

int cmdline_parse(struct cmdline *c, const char *buf, size_t len,
		  const char **bad)
{
	unsigned seen = 0;
	size_t i = 0;
	int rc;

	memset(c, 0, sizeof(*c));
	*bad = "";
	if (len > CMDLINE_MAX)
		return *bad = "command line too long", -EPX_E_CMDLINE;
	while (i < len) {
		size_t start, end, eq = 0;
		int quoted = 0;

		while (i < len && (buf[i] == ' ' || buf[i] == '\t' || buf[i] == '\n'))
			i++;
		if (i == len)
			break;
		start = i;
		for (; i < len; i++) {
			if (buf[i] == '"')
				quoted = !quoted;
			else if (!quoted && (buf[i] == ' ' || buf[i] == '\t' ||
					     buf[i] == '\n'))
				break;
			else if (buf[i] == '\0')
				return *bad = "NUL byte in command line", -EPX_E_CMDLINE;
			else if (buf[i] == '=' && !eq)
				eq = i;
		}
		end = i;
		if (quoted)
			return *bad = "unterminated quote", -EPX_E_CMDLINE;
		if (end - start < 6 || memcmp(buf + start, "epoxy.", 6) != 0)
			continue;
		if (!eq)
			return *bad = "epoxy.* key without a value", -EPX_E_CMDLINE;
		if (memchr(buf + start, '"', end - start))
			return *bad = "quotes in an epoxy.* value", -EPX_E_CMDLINE;
		rc = cmdline_one(c, buf + start + 6, eq - start - 6, buf + eq + 1,
				 end - eq - 1, &seen, bad);
		if (rc < 0)
			return rc;
	}
	return 0;
}

int cmdline_read(struct cmdline *c, const char *path, const char **bad)
{
	char buf[CMDLINE_MAX + 1];
	long len = file_read(path, buf, sizeof(buf));
	int rc = -EPX_E_CMDLINE;

	*bad = "cannot read the command line";
	if (len < 0)
		return rc;
	if (len > CMDLINE_MAX)
		return *bad = "command line too long", rc;
	return cmdline_parse(c, buf, (size_t)len, bad);
}
