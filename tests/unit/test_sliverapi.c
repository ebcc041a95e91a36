/* test_sliverapi: table test of epoxyd's ticket check for GET /v1/image
 * (server/sliverapi.h, sliverapi_ticket_check): the X-Epoxy-Ticket header
 * a node sends for a ticket sliver's image.  A good ticket for node1 and
 * image H1, signed by the online key, is hex-encoded; each case edits it
 * (a changed byte of the document or of its hex, another key, another
 * node, expired, another image, over the cap, odd length, not hex,
 * garbage) and names the code epoxyd logs (the node always gets 404). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/err.h"
#include "lib/hex.h"
#include "lib/nodeproto.h"
#include "server/sliverapi.h"
#include "tests/keys/fixture.h"
#include "tests/test.h"

#define H1 "4f0c00000000000000000000000000000000000000000000000000000000e1e1"
#define H2 "aa0c00000000000000000000000000000000000000000000000000000000e1e2"
#define NOW 1796399000
static const char good[] =
	"epoxy-ticket 1\nnode node1\nnonce " H2 "\nexpires 1796400000\n"
	"sliver tk\n image sha256:" H1 " bytes 41943040 url /v1/image/" H1 "\n"
	" entry /bin/sh\n expires 1796981800\n cpu_share 4\n cpu_pct 50\n"
	" mem_max 536870912\n tasks_max 256\n disk_max 2147483648\n"
	" net_min_rate 10000000\n net_max_rate 100000000\n"
	" net_max_bytes_per_day 100000000000\nend\n";

static struct fx fx;
static char hdr[NODEPROTO_TICKET_HEX_MAX * 2 + 8];

/* hdr := hex of (good with find -> repl, signed by key), its length */
static size_t mk(const char *find, const char *repl, int key)
{
	static char doc[8192];
	int signers[] = { key, FX_END };
	const char *p = find ? strstr(good, find) : NULL;
	size_t len;

	if (find && !p)
		abort();
	len = p ? (size_t)snprintf(doc, sizeof(doc), "%.*s%s%s", (int)(p - good), good, repl,
				   p + strlen(find)) :
		(size_t)snprintf(doc, sizeof(doc), "%s", good);
	fx_sign(&fx, doc, sizeof(doc), &len, len, signers);
	hex_encode((const uint8_t *)doc, len, hdr);
	hdr[2 * len] = '\0';
	return 2 * len;
}

struct tcase {
	const char *name, *find, *repl;
	int key;                /* 0 the online key, 1 another */
	int flip;               /* > 0: hex digit at this offset changed */
	const char *host, *image;
	long long now;
	int want;
};

static const struct tcase cases[] = {
	{ "good", NULL, NULL, 0, 0, "node1", H1, NOW, 0 },
	{ "good, one second before its expiry", NULL, NULL, 0, 0, "node1", H1, 1796399999, 0 },
	{ "a changed byte of the document (the node's name)", NULL, NULL, 0, 42, "node1", H1,
	  NOW, -EPX_E_SRV_TK_SIG },
	{ "a changed byte of the image line", NULL, NULL, 0, 300, "node1", H1, NOW,
	  -EPX_E_SRV_TK_SIG },
	{ "a changed byte of the signature", NULL, NULL, 0, -200, "node1", H1, NOW,
	  -EPX_E_SRV_TK_SIG },
	{ "another key's signature", NULL, NULL, 1, 0, "node1", H1, NOW, -EPX_E_SRV_TK_SIG },
	{ "for another node", NULL, NULL, 0, 0, "node2", H1, NOW, -EPX_E_SRV_TK_NODE },
	{ "another node's ticket (signed)", "node node1", "node node2", 0, 0, "node1", H1, NOW,
	  -EPX_E_SRV_TK_NODE },
	{ "expired", NULL, NULL, 0, 0, "node1", H1, 1796400000, -EPX_E_SRV_TK_EXPIRED },
	{ "long expired", NULL, NULL, 0, 0, "node1", H1, 1896400000, -EPX_E_SRV_TK_EXPIRED },
	{ "another image asked for", NULL, NULL, 0, 0, "node1", H2, NOW, -EPX_E_SRV_TK_IMAGE },
	{ "a ticket of another image", "sha256:" H1 " bytes 41943040 url /v1/image/" H1,
	  "sha256:" H2 " bytes 41943040 url /v1/image/" H2, 0, 0, "node1", H1, NOW,
	  -EPX_E_SRV_TK_IMAGE },
	{ "a sliver set, not a ticket", "epoxy-ticket 1", "epoxy-slivers 1", 0, 0, "node1", H1,
	  NOW, -EPX_E_SRV_TK_SIG },
	{ "a ticket of two lifetimes past the cap", "expires 1796400000",
	  "expires 1896400000", 0, 0, "node1", H1, NOW, -EPX_E_SRV_TK_SIG },
};

static void t_cases(void)
{
	size_t i, len;
	int rc;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct tcase *c = &cases[i];

		len = mk(c->find, c->repl, c->key);
		if (c->flip) {
			size_t at = c->flip > 0 ? (size_t)c->flip : len - (size_t)-c->flip;

			hdr[at] = hdr[at] == '0' ? '1' : '0';
		}
		rc = sliverapi_ticket_check(&fx.pub[0], hdr, len, c->host, c->image, c->now);
		ok(rc == c->want, "%s: %d want %d", c->name, rc, c->want);
	}
}

static void t_form(void)
{
	size_t len = mk(NULL, NULL, 0), i;

	ok(sliverapi_ticket_check(&fx.pub[0], hdr, len, "node1", H1, NOW) == 0, "form: good");
	ok(sliverapi_ticket_check(&fx.pub[0], hdr, 0, "node1", H1, NOW) == -EPX_E_SRV_TK_FORM,
	   "form: empty");
	ok(sliverapi_ticket_check(&fx.pub[0], hdr, len - 1, "node1", H1, NOW) ==
	   -EPX_E_SRV_TK_FORM, "form: odd length");
	ok(sliverapi_ticket_check(&fx.pub[0], hdr, len - 2, "node1", H1, NOW) ==
	   -EPX_E_SRV_TK_SIG, "form: the last byte cut");
	hdr[10] = 'g';
	ok(sliverapi_ticket_check(&fx.pub[0], hdr, len, "node1", H1, NOW) == -EPX_E_SRV_TK_FORM,
	   "form: a non-hex digit");
	len = mk(NULL, NULL, 0);
	hdr[10] = 'A';
	ok(sliverapi_ticket_check(&fx.pub[0], hdr, len, "node1", H1, NOW) == -EPX_E_SRV_TK_FORM,
	   "form: an uppercase digit (one spelling)");
	/* oversize: the good ticket padded to one digit pair past the cap */
	len = mk(NULL, NULL, 0);
	for (i = len; i < NODEPROTO_TICKET_HEX_MAX + 2; i++)
		hdr[i] = '0';
	hdr[i] = '\0';
	ok(sliverapi_ticket_check(&fx.pub[0], hdr, i, "node1", H1, NOW) == -EPX_E_SRV_TK_FORM,
	   "form: over NODEPROTO_TICKET_HEX_MAX");
	ok(sliverapi_ticket_check(&fx.pub[0], hdr, NODEPROTO_TICKET_HEX_MAX, "node1", H1, NOW) ==
	   -EPX_E_SRV_TK_SIG, "form: at the cap, trailing zero bytes: no ticket");
	/* garbage */
	memcpy(hdr, "deadbeef", 9);
	ok(sliverapi_ticket_check(&fx.pub[0], hdr, 8, "node1", H1, NOW) == -EPX_E_SRV_TK_SIG,
	   "garbage: 4 bytes of hex");
	memcpy(hdr, "epoxy-ticket 1\nnode node1\n", 27);
	ok(sliverapi_ticket_check(&fx.pub[0], hdr, 26, "node1", H1, NOW) == -EPX_E_SRV_TK_FORM,
	   "garbage: the document itself, not its hex");
	len = mk(NULL, NULL, 0);
	ok(sliverapi_ticket_check(&fx.pub[0], hdr, len, "node1", "not-a-hash", NOW) ==
	   -EPX_E_SRV_TK_FORM, "garbage: the image asked for is no hash");
	srand(14);
	for (i = 0; i < 200; i++) {
		size_t n = 2 * (1 + (size_t)rand() % 600), k;

		for (k = 0; k < n; k++)
			hdr[k] = "0123456789abcdef"[rand() % 16];
		if (sliverapi_ticket_check(&fx.pub[0], hdr, n, "node1", H1, NOW) != -EPX_E_SRV_TK_SIG)
			break;
	}
	ok(i == 200, "garbage: 200 random hex strings refused as no signed ticket");
}

int main(void)
{
	fx_init(&fx, 2);
	t_cases();
	t_form();
	fx_free(&fx);
	return test_done();
}
