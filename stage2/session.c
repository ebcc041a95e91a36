/* session: builds the session request and parses the session response. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "lib/err.h"
#include "lib/form.h"
#include "lib/hex.h"
#include "lib/nodeproto.h"
#include "lib/num.h"
#include "stage2/session.h"

static const char *const session_names[SESSION_NTOK] = {
	"manifest", "kernel", "initramfs", "cmdline", "join", "joincred",
	"report"
};

const char *session_tok_name(enum session_tok t)
{
	return (unsigned)t < SESSION_NTOK ? session_names[t] : "?";
}

int session_request(char *out, size_t cap, const char *host, const char *mac,
		    const uint8_t nonce[32], unsigned agent_version, int stage)
{
	char nh[NODEPROTO_NONCE_HEX + 1], av[12], st[12];
	size_t n = 0;

	hex_encode(nonce, 32, nh);
	snprintf(av, sizeof(av), "%u", agent_version);
	snprintf(st, sizeof(st), "%d", stage);
	if (form_put(out, cap, &n, NODEPROTO_F_HOST, host, strlen(host)) < 0 ||
	    form_put(out, cap, &n, NODEPROTO_F_MAC, mac, strlen(mac)) < 0 ||
	    form_put(out, cap, &n, NODEPROTO_F_NONCE, nh, strlen(nh)) < 0 ||
	    form_put(out, cap, &n, NODEPROTO_F_AGENT, av, strlen(av)) < 0 ||
	    form_put(out, cap, &n, NODEPROTO_F_STAGE, st, strlen(st)) < 0)
		return -EPX_E_CODEC_SPACE;
	return (int)n;
}

static long session_line(const char *t, size_t len, size_t pos,
			 const char **end)
{
	const char *nl;

	if (pos >= len)
		return -EPX_E_SESSION_SYNTAX;
	nl = memchr(t + pos, '\n', len - pos);
	if (!nl || (size_t)(nl - (t + pos)) > 512)
		return -EPX_E_SESSION_SYNTAX;
	*end = nl;
	return nl - (t + pos);
}

/* "token <purpose> <64hex>" */
static int session_token(struct session *s, const char *v, size_t n,
			 unsigned *seen)
{
	const char *sp = memchr(v, ' ', n);
	size_t pn;
	unsigned i;

	if (!sp)
		return -EPX_E_SESSION_SYNTAX;
	pn = (size_t)(sp - v);
	for (i = 0; i < SESSION_NTOK; i++)
		if (strlen(session_names[i]) == pn &&
		    memcmp(session_names[i], v, pn) == 0)
			break;
	if (i == SESSION_NTOK || (*seen & (1u << i)) || n - pn - 1 != 64 ||
	    hex_decode(sp + 1, 64, s->tok[i], 32) < 0)
		return -EPX_E_SESSION_SYNTAX;
	*seen |= 1u << i;
	return 0;
}

static int session_fields(struct session *s, const char *buf, size_t len)
{
	const char *nl;
	size_t pos = 0;
	unsigned seen = 0, have = 0;
	long n;

	n = session_line(buf, len, pos, &nl);
	if (n != 15 || memcmp(buf, "epoxy-session 1", 15) != 0)
		return -EPX_E_SESSION_SYNTAX;
	pos += 16;
	for (;;) {
		const char *l = buf + pos;

		n = session_line(buf, len, pos, &nl);
		if (n < 0)
			return -EPX_E_SESSION_SYNTAX;
		pos += (size_t)n + 1;
		if (n == 3 && memcmp(l, "end", 3) == 0)
			break;
		if (n == 24 && memcmp(l, "session ", 8) == 0 && !(have & 1)) {
			if (hex_decode(l + 8, 16, s->id, 8) < 0)
				return -EPX_E_SESSION_SYNTAX;
			hex_encode(s->id, 8, s->id_hex);
			have |= 1;
		} else if (n > 8 && memcmp(l, "release ", 8) == 0 && !(have & 2)) {
			if (num_parse_u32(l + 8, (size_t)n - 8, UINT32_MAX, &s->release) < 0 ||
			    s->release == 0)
				return -EPX_E_SESSION_SYNTAX;
			have |= 2;
		} else if (n > 6 && memcmp(l, "token ", 6) == 0) {
			if (session_token(s, l + 6, (size_t)n - 6, &seen) < 0)
				return -EPX_E_SESSION_SYNTAX;
		} else if (!(n > 2 && memcmp(l, "x-", 2) == 0)) {
			return -EPX_E_SESSION_SYNTAX;
		}
	}
	if (have != 3)
		return -EPX_E_SESSION_SYNTAX;
	if (seen != (1u << SESSION_NTOK) - 1)
		return -EPX_E_SESSION_TOKEN;
	if (pos >= len)
		return -EPX_E_SESSION_SYNTAX;   /* no statement */
	s->statement = buf + pos;
	s->statement_len = len - pos;
	return 0;
}

int session_parse(struct session *s, const char *buf, size_t len)
{
	int rc = -EPX_E_SESSION_SYNTAX;

	memset(s, 0, sizeof(*s));
	if (len > SESSION_MAX)
		goto fail;
	rc = session_fields(s, buf, len);
	if (rc == 0)
		return 0;
fail:
	session_wipe(s);
	return rc;
}

void session_wipe(struct session *s)
{
	explicit_bzero(s, sizeof(*s));
}
