/* test_sliverset: table test of the signed sliver set and the ticket
 * (lib/sliverset.h, lib/ticket.h).  A good set of two slivers is edited
 * (a find/replace on its body), then signed by the online key or another
 * key, then optionally changed after signing; each case names the code
 * the node must get.  Covers: a changed byte anywhere (body and
 * signature), another key, another node's name, an older or equal serial,
 * every field's spelling, order, duplication and absence, the caps, and
 * the round trip format(parse(x)) == x. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/err.h"
#include "lib/nodeproto.h"
#include "lib/sliverset.h"
#include "lib/ticket.h"
#include "tests/keys/fixture.h"
#include "tests/test.h"

#define H1 "4f0c00000000000000000000000000000000000000000000000000000000e1e1"
#define H2 "aa0c00000000000000000000000000000000000000000000000000000000e1e2"
#define SL_ATTRS " cpu_share 4\n cpu_pct 50\n mem_max 536870912\n tasks_max 256\n" \
	" disk_max 2147483648\n net_min_rate 10000000\n net_max_rate 100000000\n" \
	" net_max_bytes_per_day 100000000000\n"
static const char good_set[] =
	"epoxy-slivers 1\nnode node1\nserial 1734\nissued 1796377000\n"
	"sliver mlab_ndt\n image sha256:" H1 " bytes 41943040 url /v1/image/" H1 "\n"
	" entry /usr/bin/ndt-server --port 3010\n expires 1796981800\n" SL_ATTRS
	"sliver zz\n image sha256:" H2 " bytes 1 url /v1/image/" H2 "\n"
	" entry /bin/sh  -c 'two  spaces'\n expires 1796981801\n" SL_ATTRS
	"end\n";
static const char good_ticket[] =
	"epoxy-ticket 1\nnode node1\nnonce " H2 "\nexpires 1796400000\n"
	"sliver mlab_ndt\n image sha256:" H1 " bytes 41943040 url /v1/image/" H1 "\n"
	" entry /usr/bin/ndt-server\n expires 1796981800\n" SL_ATTRS "end\n";

/* the end of the first sliver's attributes, where its grants go */
#define GZ " net_max_bytes_per_day 100000000000\n"
#define DOCMAX (SLIVERSET_MAX_BYTES + 4096)
static char doc[DOCMAX];
static struct fx fx;

/* body := good with the first "find" replaced by "repl" (NULL: as is);
 * signed by key; then the byte at the first "after" (+off) becomes ch. */
static size_t mk(const char *good, const char *find, const char *repl, int key,
		 const char *after, size_t off, char ch)
{
	static char body[DOCMAX];
	int signers[] = { key, FX_END };
	const char *p = find ? strstr(good, find) : NULL;
	size_t len;

	if (find && !p)
		abort();        /* a broken case, not a test */
	if (p)
		len = (size_t)snprintf(body, sizeof(body), "%.*s%s%s", (int)(p - good), good,
				       repl, p + strlen(find));
	else
		len = (size_t)snprintf(body, sizeof(body), "%s", good);
	memcpy(doc, body, len);
	if (key >= 0)
		fx_sign(&fx, doc, sizeof(doc), &len, len, signers);
	if (after) {
		char *q = strstr(doc, after);

		if (!q)
			abort();
		q[off] = ch ? ch : q[off] == '0' ? '1' : '0';   /* 0: toggle */
	}
	return len;
}

struct tcase {
	const char *name, *find, *repl;
	int key;                /* 0 the online key, 1 another, -1 unsigned */
	const char *after;
	size_t off;
	char ch;
	int want;
};

static const struct tcase set_cases[] = {
	{ "the good set", NULL, NULL, 0, NULL, 0, 0, 0 },
	{ "changed byte: serial", NULL, NULL, 0, "serial 1734", 10, 0, -EPX_E_SLV_SIG },
	{ "changed byte: mem_max", NULL, NULL, 0, "mem_max 5", 8, 0, -EPX_E_SLV_SIG },
	{ "changed byte: node", NULL, NULL, 0, "node node1", 9, 0, -EPX_E_SLV_SIG },
	{ "changed byte: entry", NULL, NULL, 0, "--port 3010", 10, 0, -EPX_E_SLV_SIG },
	{ "changed byte: image hash", NULL, NULL, 0, "sha256:4f0c", 7, 0, -EPX_E_SLV_SIG },
	{ "changed byte: magic", NULL, NULL, 0, "epoxy-slivers", 0, 0, -EPX_E_SLV_SIG },
	{ "changed byte: signature", NULL, NULL, 0, "\nsig ", 30, 0, -EPX_E_SLV_SIG },
	{ "changed byte: key id", NULL, NULL, 0, "\nsig ", 6, 0, -EPX_E_SLV_SIG },
	{ "signed by another key", NULL, NULL, 1, NULL, 0, 0, -EPX_E_SLV_SIG },
	{ "not signed", NULL, NULL, -1, NULL, 0, 0, -EPX_E_SLV_SYNTAX },
	{ "another node's name", "node node1", "node node2", 0, NULL, 0, 0, -EPX_E_SLV_NODE },
	{ "a node name prefix", "node node1", "node node", 0, NULL, 0, 0, -EPX_E_SLV_NODE },
	{ "older serial", "serial 1734", "serial 999", 0, NULL, 0, 0, -EPX_E_SLV_SERIAL },
	{ "equal serial (replay)", "serial 1734", "serial 1000", 0, NULL, 0, 0, -EPX_E_SLV_SERIAL },
	{ "serial 0", "serial 1734", "serial 0", 0, NULL, 0, 0, -EPX_E_SLV_SYNTAX },
	{ "serial leading zero", "serial 1734", "serial 01734", 0, NULL, 0, 0, -EPX_E_SLV_SYNTAX },
	{ "serial over 2^53", "serial 1734", "serial 9007199254740993", 0, NULL, 0, 0, -EPX_E_SLV_SYNTAX },
	{ "serial negative", "serial 1734", "serial -1734", 0, NULL, 0, 0, -EPX_E_SLV_SYNTAX },
	{ "magic version 2", "epoxy-slivers 1", "epoxy-slivers 2", 0, NULL, 0, 0, -EPX_E_SLV_SYNTAX },
	{ "a ticket's magic", "epoxy-slivers 1", "epoxy-ticket 1", 0, NULL, 0, 0, -EPX_E_SLV_SYNTAX },
	{ "fields reordered", "serial 1734\nissued 1796377000", "issued 1796377000\nserial 1734", 0,
	  NULL, 0, 0, -EPX_E_SLV_SYNTAX },
	{ "field missing: issued", "issued 1796377000\n", "", 0, NULL, 0, 0, -EPX_E_SLV_SYNTAX },
	{ "field twice: serial", "serial 1734\n", "serial 1734\nserial 1735\n", 0, NULL, 0, 0,
	  -EPX_E_SLV_SYNTAX },
	{ "unknown field", "issued 1796377000\n", "issued 1796377000\nx-extra 1\n", 0, NULL, 0, 0,
	  -EPX_E_SLV_SYNTAX },
	{ "attribute missing", " tasks_max 256\n", "", 0, NULL, 0, 0, -EPX_E_SLV_SYNTAX },
	{ "attribute reordered", " cpu_share 4\n cpu_pct 50\n", " cpu_pct 50\n cpu_share 4\n", 0,
	  NULL, 0, 0, -EPX_E_SLV_SYNTAX },
	{ "unknown attribute", " cpu_share 4", " cpu_shares 4", 0, NULL, 0, 0, -EPX_E_SLV_SYNTAX },
	{ "attribute in hex", " cpu_share 4", " cpu_share 0x4", 0, NULL, 0, 0, -EPX_E_SLV_SYNTAX },
	{ "attribute with a sign", " cpu_share 4", " cpu_share +4", 0, NULL, 0, 0, -EPX_E_SLV_SYNTAX },
	{ "attribute over 2^53", " mem_max 536870912", " mem_max 9007199254740993", 0, NULL, 0, 0,
	  -EPX_E_SLV_SYNTAX },
	{ "attribute not indented", " cpu_share 4", "cpu_share 4", 0, NULL, 0, 0, -EPX_E_SLV_SYNTAX },
	{ "attribute indented twice", " cpu_share 4", "  cpu_share 4", 0, NULL, 0, 0, -EPX_E_SLV_SYNTAX },
	{ "slivers out of order", "sliver zz", "sliver aa", 0, NULL, 0, 0, -EPX_E_SLV_SYNTAX },
	{ "a sliver twice", "sliver zz", "sliver mlab_ndt", 0, NULL, 0, 0, -EPX_E_SLV_SYNTAX },
	{ "sliver name '-x'", "sliver zz", "sliver -z", 0, NULL, 0, 0, -EPX_E_SLV_SYNTAX },
	{ "sliver name '..'", "sliver zz", "sliver ..", 0, NULL, 0, 0, -EPX_E_SLV_SYNTAX },
	{ "sliver name upper case", "sliver zz", "sliver ZZ", 0, NULL, 0, 0, -EPX_E_SLV_SYNTAX },
	{ "sliver name 33 bytes", "sliver zz", "sliver zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz", 0, NULL, 0,
	  0, -EPX_E_SLV_SYNTAX },
	{ "image hash upper case", "sha256:" H1 " bytes", "sha256:4F0C00000000000000000000000000000000000000000000000000000000e1e1 bytes",
	  0, NULL, 0, 0, -EPX_E_SLV_SYNTAX },
	{ "image url of another hash", "url /v1/image/" H1, "url /v1/image/" H2, 0, NULL, 0, 0,
	  -EPX_E_SLV_SYNTAX },
	{ "image without url", " url /v1/image/" H1, "", 0, NULL, 0, 0, -EPX_E_SLV_SYNTAX },
	{ "image bytes 0", "bytes 41943040", "bytes 0", 0, NULL, 0, 0, -EPX_E_SLV_SYNTAX },
	{ "image bytes empty", "bytes 41943040", "bytes ", 0, NULL, 0, 0, -EPX_E_SLV_SYNTAX },
	{ "image short hash", "sha256:" H1, "sha256:4f0c", 0, NULL, 0, 0, -EPX_E_SLV_SYNTAX },
	{ "entry empty", " entry /usr/bin/ndt-server --port 3010", " entry ", 0, NULL, 0, 0,
	  -EPX_E_SLV_SYNTAX },
	{ "entry with a control byte", "--port 3010", "--port\t3010", 0, NULL, 0, 0, -EPX_E_SLV_SYNTAX },
	{ "entry with a leading space", " entry /usr", " entry  /usr", 0, NULL, 0, 0, -EPX_E_SLV_SYNTAX },
	{ "sliver expires 0", " expires 1796981800", " expires 0", 0, NULL, 0, 0, -EPX_E_SLV_SYNTAX },
	{ "no end", "end\n", "", 0, NULL, 0, 0, -EPX_E_SLV_SYNTAX },
	{ "end twice", "end\n", "end\nend\n", 0, NULL, 0, 0, -EPX_E_SLV_SYNTAX },
	{ "grants: sock_diag", GZ, GZ " grants sock_diag\n", 0, NULL, 0, 0, 0 },
	{ "grants: three, sorted", GZ, GZ " grants dir:/var/log file:/etc/hostname sock_diag\n", 0,
	  NULL, 0, 0, 0 },
	{ "grants: changed byte", GZ, GZ " grants file:/etc/hostname\n", 0, "file:/etc/h", 6, 'x',
	  -EPX_E_SLV_SIG },
	{ "grants: empty line", GZ, GZ " grants \n", 0, NULL, 0, 0, -EPX_E_SLV_SYNTAX },
	{ "grants: no value", GZ, GZ " grants\n", 0, NULL, 0, 0, -EPX_E_SLV_SYNTAX },
	{ "grants: unsorted", GZ, GZ " grants sock_diag file:/etc/hostname\n", 0, NULL, 0, 0,
	  -EPX_E_SLV_SYNTAX },
	{ "grants: twice the same", GZ, GZ " grants sock_diag sock_diag\n", 0, NULL, 0, 0,
	  -EPX_E_SLV_SYNTAX },
	{ "grants: two spaces", GZ, GZ " grants file:/a  sock_diag\n", 0, NULL, 0, 0,
	  -EPX_E_SLV_SYNTAX },
	{ "grants: trailing space", GZ, GZ " grants sock_diag \n", 0, NULL, 0, 0, -EPX_E_SLV_SYNTAX },
	{ "grants: unknown kind", GZ, GZ " grants raw_socket\n", 0, NULL, 0, 0, -EPX_E_SLV_SYNTAX },
	{ "grants: relative path", GZ, GZ " grants file:etc/hostname\n", 0, NULL, 0, 0,
	  -EPX_E_SLV_SYNTAX },
	{ "grants: dot-dot", GZ, GZ " grants file:/etc/../run/epoxy/x\n", 0, NULL, 0, 0,
	  -EPX_E_SLV_SYNTAX },
	{ "grants: a node secret", GZ, GZ " grants file:/run/epoxy/node.key\n", 0, NULL, 0, 0,
	  -EPX_E_SLV_SYNTAX },
	{ "grants: /etc/epoxy", GZ, GZ " grants dir:/etc/epoxy\n", 0, NULL, 0, 0, -EPX_E_SLV_SYNTAX },
	{ "grants: nine", GZ, GZ " grants file:/a file:/b file:/c file:/d file:/e file:/f file:/g"
	  " file:/h file:/i\n", 0, NULL, 0, 0, -EPX_E_SLV_SYNTAX },
	{ "grants: before the attributes", " cpu_share 4\n cpu_pct 50\n mem_max 536870912\n tasks_max 256\n disk_max 2147483648\n net_min_rate 10000000\n net_max_rate 100000000\n net_max_bytes_per_day 100000000000\nsliver zz",
	  " grants sock_diag\n cpu_share 4\n cpu_pct 50\n mem_max 536870912\n tasks_max 256\n disk_max 2147483648\n net_min_rate 10000000\n net_max_rate 100000000\n net_max_bytes_per_day 100000000000\nsliver zz",
	  0, NULL, 0, 0, -EPX_E_SLV_SYNTAX },
	{ "grants: twice", GZ, GZ " grants sock_diag\n grants file:/a\n", 0, NULL, 0, 0,
	  -EPX_E_SLV_SYNTAX },
	{ "grants: upper case", GZ, GZ " grants SOCK_DIAG\n", 0, NULL, 0, 0, -EPX_E_SLV_SYNTAX },
	{ "CRLF", "node node1\n", "node node1\r\n", 0, NULL, 0, 0, -EPX_E_SLV_SYNTAX },
};

static void t_sets(void)
{
	static struct sliverset ss;
	size_t i;

	for (i = 0; i < sizeof(set_cases) / sizeof(set_cases[0]); i++) {
		const struct tcase *c = &set_cases[i];
		size_t len = mk(good_set, c->find, c->repl, c->key, c->after, c->off, c->ch);
		int rc = sliverset_verify(&ss, doc, len, &fx.pub[0], "node1", 1000);

		ok(rc == c->want, "set: %s: %d want %d", c->name, rc, c->want);
		ok(rc == 0 ? ss.n == 2 && ss.serial == 1734 : ss.n == 0 && ss.serial == 0,
		   "set: %s: result %s", c->name, rc ? "zeroed" : "filled");
	}
}

static void t_set_more(void)
{
	static char out[DOCMAX];
	struct sliverset *ss = calloc(1, sizeof(*ss));
	size_t len, olen = 0;
	int rc;

	if (!ss)
		abort();
	len = mk(good_set, NULL, NULL, 0, NULL, 0, 0);
	ok(sliverset_verify(ss, doc, len, &fx.pub[0], "node1", 0) == 0 &&
	   ss->sl[0].attr[2] == 536870912 && !strcmp(ss->sl[1].entry, "/bin/sh  -c 'two  spaces'") &&
	   ss->sl[0].image_bytes == 41943040 && ss->sl[1].expires == 1796981801,
	   "set: fields as sent");
	ok(sliverset_verify(ss, doc, len, &fx.pub[0], "node1", 1733) == 0, "set: serial 1734 after 1733");
	ok(sliverset_verify(ss, doc, len, &fx.pub[0], "node1", 1734) == -EPX_E_SLV_SERIAL,
	   "set: the same set again (replay) refused");
	ok(sliverset_verify(ss, doc, len, &fx.pub[0], NULL, 0) == -EPX_E_SLV_NODE, "set: no node name");
	ok(sliverset_verify(ss, doc, len, NULL, "node1", 0) == -EPX_E_SLV_SIG, "set: no key");
	ok(sliverset_verify(ss, doc, len - 1, &fx.pub[0], "node1", 0) == -EPX_E_SLV_SYNTAX,
	   "set: no final newline");
	ok(sliverset_verify(ss, doc, 0, &fx.pub[0], "node1", 0) == -EPX_E_SLV_SYNTAX, "set: empty");
	memcpy(doc + len, "x\n", 2);
	ok(sliverset_verify(ss, doc, len + 2, &fx.pub[0], "node1", 0) == -EPX_E_SLV_SYNTAX,
	   "set: a line after the signature");
	ok(sliverset_verify(ss, doc, SLIVERSET_MAX_BYTES + 1, &fx.pub[0], "node1", 0) ==
	   -EPX_E_SLV_TOOBIG, "set: over SLIVERSET_MAX_BYTES refused before anything");
	/* round trip: format(parse(x)) is x's body, byte for byte */
	len = mk(good_set, NULL, NULL, 0, NULL, 0, 0);
	rc = sliverset_parse(ss, doc, len);
	ok(rc == 0 && sliverset_format(ss, out, sizeof(out), &olen) == 0 &&
	   olen == strlen(good_set) && !memcmp(out, good_set, olen), "set: format(parse(x)) == x");
	/* an empty set is a set: every sliver gone */
	len = mk("epoxy-slivers 1\nnode node1\nserial 2\nissued 0\nend\n", NULL, NULL, 0, NULL, 0, 0);
	ok(sliverset_verify(ss, doc, len, &fx.pub[0], "node1", 1) == 0 && ss->n == 0,
	   "set: no sliver at all");
	free(ss);
}

/* The caps at their boundary (SLIVERSET_MAX_SLIVERS = 128 and the computed
 * SLIVERSET_MAX_BYTES): n slivers, each at its longest (longest: every
 * name, entry and number as long as the format allows) or short; extra:
 * one more sliver block appended by hand after formatting; pad: the
 * signature line's hex padded so the document is that many bytes past
 * SLIVERSET_MAX_BYTES (-1: not padded). */
struct capcase {
	const char *name;
	size_t n;
	int longest, extra;
	long pad;
	int want_fmt, want;
};

static const struct capcase cap_cases[] = {
	{ "128 short slivers", 128, 0, 0, -1, 0, 0 },
	{ "128 slivers at their longest", 128, 1, 0, -1, 0, 0 },
	{ "1 sliver at its longest", 1, 1, 0, -1, 0, 0 },
	{ "0 slivers", 0, 1, 0, -1, 0, 0 },
	{ "129 short slivers: format refuses", 129, 0, 0, -1, -EINVAL, 0 },
	{ "129 long slivers: format refuses", 129, 1, 0, -1, -EINVAL, 0 },
	{ "128 short + a 129th block", 128, 0, 1, -1, 0, -EPX_E_SLV_TOOBIG },
	{ "128 long + a 129th block", 128, 1, 1, -1, 0, -EPX_E_SLV_TOOBIG },
	{ "127 short + a 128th block", 127, 0, 1, -1, 0, 0 },
	{ "longest set, exactly SLIVERSET_MAX_BYTES (padded sig)", 128, 1, 0, 0, 0, -EPX_E_SLV_SIG },
	{ "longest set, SLIVERSET_MAX_BYTES + 1", 128, 1, 0, 1, 0, -EPX_E_SLV_TOOBIG },
	{ "longest set, SLIVERSET_MAX_BYTES + 2", 128, 1, 0, 2, 0, -EPX_E_SLV_TOOBIG },
};

/* the longest grant list: GRANT_MAX file grants of GRANT_PATH_MAX-byte
 * paths (components of 63 and 61 bytes), ascending by their last byte */
static void cap_grants(char *g)
{
	size_t o = 0, k, c;

	for (k = 0; k < GRANT_MAX; k++) {
		if (k)
			g[o++] = ' ';
		memcpy(g + o, "file:", 5);
		o += 5;
		for (c = 0; c < 3; c++) {
			g[o++] = '/';
			memset(g + o, 'a', 63);
			o += 63;
		}
		g[o++] = '/';
		memset(g + o, 'a', 61);
		o += 61;
		g[o++] = (char)('0' + k);
	}
	g[o] = '\0';
}

/* ss := n slivers (the array's first SLIVERSET_MAX_SLIVERS filled), longest
 * or short, for node "node1" or a LABEL_HOST_MAX-byte name. */
static void cap_fill(struct sliverset *ss, size_t n, int longest)
{
	size_t i, a;

	memset(ss, 0, sizeof(*ss));
	if (longest)
		memset(ss->node, 'n', LABEL_HOST_MAX);
	else
		snprintf(ss->node, sizeof(ss->node), "node1");
	ss->serial = longest ? SLIVERSET_VALUE_MAX : 5;
	ss->issued = longest ? (int64_t)SLIVERSET_VALUE_MAX : 0;
	for (i = 0; i < n && i < SLIVERSET_MAX_SLIVERS; i++) {
		struct sliver *v = &ss->sl[i];

		snprintf(v->name, sizeof(v->name), "s%03zu", i);
		if (longest)
			memset(v->name + 4, 'x', SLIVERSET_NAME_MAX - 4);
		memset(v->image, (int)i, sizeof(v->image));
		memset(v->entry, 'e', longest ? SLIVERSET_ENTRY_MAX : 8);
		v->expires = longest ? (int64_t)SLIVERSET_VALUE_MAX : 1;
		v->image_bytes = longest ? SLIVERSET_VALUE_MAX : 1;
		for (a = 0; a < SLIVERSET_NATTR; a++)
			v->attr[a] = longest ? SLIVERSET_VALUE_MAX : a;
		if (longest)
			cap_grants(v->grants);
	}
	ss->n = n;
}

static void t_caps(void)
{
	static char out[DOCMAX];
	struct sliverset *ss = calloc(1, sizeof(*ss)), *s2 = calloc(1, sizeof(*s2));
	size_t i, body = 0, len, want_body;
	int rc;

	if (!ss || !s2)
		abort();
	ok(SLIVERSET_MAX_SLIVERS == 128, "cap: 128 slivers per node");
	for (i = 0; i < sizeof(cap_cases) / sizeof(cap_cases[0]); i++) {
		const struct capcase *c = &cap_cases[i];

		cap_fill(s2, c->n, c->longest);
		rc = sliverset_format(s2, doc, sizeof(doc), &body);
		ok(rc == c->want_fmt, "cap: %s: format %d want %d", c->name, rc, c->want_fmt);
		if (rc)
			continue;
		/* the longest set is exactly what the header computes */
		want_body = SLIVERSET_HEAD_MAX + c->n * SLIVERSET_ONE_MAX + 4;
		if (c->longest)
			ok(body == want_body, "cap: %s: body %zu bytes == computed %zu", c->name,
			   body, want_body);
		if (c->extra) {         /* a copy of the first block, renamed, before "end" */
			const char *b0 = strstr(doc, "sliver s000"), *b1 = strstr(doc, "sliver s001");
			size_t bl = b1 ? (size_t)(b1 - b0) : 0;

			if (!b0 || !b1)
				abort();
			memmove(doc + body - 4 + bl, doc + body - 4, 4);
			memcpy(doc + body - 4, b0, bl);
			memcpy(doc + body - 4, "sliver s999", 11);
			body += bl;
		}
		len = body;
		fx_sign(&fx, doc, sizeof(doc), &len, body, (int[]){ 0, FX_END });
		ok(len <= SLIVERSET_MAX_BYTES || c->extra, "cap: %s: signed, %zu bytes (cap %zu)",
		   c->name, len, (size_t)SLIVERSET_MAX_BYTES);
		if (c->pad >= 0) {      /* the sig hex padded with '0' to the size wanted */
			size_t to = SLIVERSET_MAX_BYTES + (size_t)c->pad;

			memset(doc + len - 1, '0', to - len);
			doc[to - 1] = '\n';
			len = to;
		}
		rc = sliverset_verify(ss, doc, len, &fx.pub[0], s2->node, 0);
		ok(rc == c->want && (rc ? ss->n == 0 : ss->n == c->n + (size_t)c->extra),
		   "cap: %s: verify %d want %d (%zu bytes, %zu slivers)", c->name, rc, c->want,
		   len, ss->n);
		if (rc == 0) {          /* round trip at the boundary */
			size_t olen = 0;

			ok(sliverset_format(ss, out, sizeof(out), &olen) == 0 && olen == body &&
			   !memcmp(out, doc, olen), "cap: %s: format(parse(x)) == x", c->name);
		}
	}
	/* the longest ticket: one sliver at its longest, every number at its
	 * largest; its body plus the longest signature is exactly
	 * SLIVERSET_TICKET_MAX, which lib/ticket.c holds within the node's
	 * NODEPROTO_TICKET_MAX */
	cap_fill(s2, 1, 1);
	s2->ticket = 1;
	s2->expires = (int64_t)SLIVERSET_VALUE_MAX;
	memset(s2->nonce, 0xab, sizeof(s2->nonce));
	rc = sliverset_format(s2, doc, sizeof(doc), &body);
	ok(rc == 0 && body + SLIVERSET_SIG_MAX == (size_t)SLIVERSET_TICKET_MAX &&
	   SLIVERSET_TICKET_MAX <= NODEPROTO_TICKET_MAX,
	   "cap: the longest ticket: %d, body %zu + sig %d == %d <= %d", rc, body,
	   (int)SLIVERSET_SIG_MAX, SLIVERSET_TICKET_MAX, NODEPROTO_TICKET_MAX);
	free(ss);
	free(s2);
}

static const struct tcase ticket_cases[] = {
	{ "the good ticket", NULL, NULL, 0, NULL, 0, 0, 0 },
	{ "changed byte: expiry", NULL, NULL, 0, "expires 1796400000", 17, 0, -EPX_E_SLV_SIG },
	{ "changed byte: nonce", NULL, NULL, 0, "nonce aa", 7, 0, -EPX_E_SLV_SIG },
	{ "changed byte: cpu_share", NULL, NULL, 0, "cpu_share 4", 10, 0, -EPX_E_SLV_SIG },
	{ "signed by another key", NULL, NULL, 1, NULL, 0, 0, -EPX_E_SLV_SIG },
	{ "another node", "node node1", "node node2", 0, NULL, 0, 0, -EPX_E_SLV_NODE },
	{ "expired (expires == now)", "expires 1796400000", "expires 1796399000", 0, NULL, 0, 0,
	  -EPX_E_SLV_EXPIRED },
	{ "expired long ago", "expires 1796400000", "expires 1", 0, NULL, 0, 0, -EPX_E_SLV_EXPIRED },
	{ "lives over 7 days", "expires 1796400000", "expires 1797003801", 0, NULL, 0, 0,
	  -EPX_E_SLV_SYNTAX },
	{ "a set's magic", "epoxy-ticket 1", "epoxy-slivers 1", 0, NULL, 0, 0, -EPX_E_SLV_SYNTAX },
	{ "nonce short", "nonce " H2, "nonce aa0c", 0, NULL, 0, 0, -EPX_E_SLV_SYNTAX },
	{ "nonce upper case", "nonce aa0c", "nonce AA0C", 0, NULL, 0, 0, -EPX_E_SLV_SYNTAX },
	{ "no nonce", "nonce " H2 "\n", "", 0, NULL, 0, 0, -EPX_E_SLV_SYNTAX },
	{ "a serial instead", "nonce " H2, "serial 1", 0, NULL, 0, 0, -EPX_E_SLV_SYNTAX },
	{ "no sliver", "sliver mlab_ndt", "x", 0, NULL, 0, 0, -EPX_E_SLV_SYNTAX },
};

static void t_tickets(void)
{
	static char two[8192];
	struct sliverset *t = calloc(1, sizeof(*t));
	size_t i, len;

	if (!t)
		abort();
	for (i = 0; i < sizeof(ticket_cases) / sizeof(ticket_cases[0]); i++) {
		const struct tcase *c = &ticket_cases[i];
		int rc;

		len = mk(good_ticket, c->find, c->repl, c->key, c->after, c->off, c->ch);
		rc = ticket_verify(t, doc, len, &fx.pub[0], "node1", 1796399000);
		ok(rc == c->want, "ticket: %s: %d want %d", c->name, rc, c->want);
		ok(rc ? t->n == 0 : t->n == 1 && !strcmp(t->sl[0].name, "mlab_ndt"),
		   "ticket: %s: result", c->name);
	}
	len = mk(good_ticket, NULL, NULL, 0, NULL, 0, 0);
	ok(ticket_verify(t, doc, len, &fx.pub[0], "node1", 1796399999) == 0 &&
	   ticket_verify(t, doc, len, &fx.pub[0], "node1", 1796400000) == -EPX_E_SLV_EXPIRED,
	   "ticket: good one second before its expiry, refused at it");
	snprintf(two, sizeof(two), "%.*s%.*send\n", (int)(strlen(good_ticket) - 4), good_ticket,
		 (int)(strstr(good_ticket, "end\n") - strstr(good_ticket, "sliver ")),
		 strstr(good_ticket, "sliver "));
	memcpy(strstr(strstr(two, "sliver mlab_ndt") + 1, "sliver mlab_ndt"), "sliver zlab_ndt", 15);
	len = strlen(two);
	memcpy(doc, two, len);
	fx_sign(&fx, doc, sizeof(doc), &len, len, (int[]){ 0, FX_END });
	ok(ticket_verify(t, doc, len, &fx.pub[0], "node1", 1796399000) == -EPX_E_SLV_SYNTAX,
	   "ticket: two slivers refused");
	len = mk(good_set, NULL, NULL, 0, NULL, 0, 0);
	ok(ticket_verify(t, doc, len, &fx.pub[0], "node1", 0) == -EPX_E_SLV_SYNTAX,
	   "ticket: a sliver set is no ticket");
	free(t);
}

int main(void)
{
	fx_init(&fx, 2);
	t_sets();
	t_set_more();
	t_caps();
	t_tickets();
	fx_free(&fx);
	return test_done();
}
