/* fuzz_store: hostile values through the store's public API on an
 * in-memory SQLite store.  The first byte picks an operation, the rest is
 * split at '\n' into fields (host names, MACs, tokens, purposes, tails,
 * manifests ...).  Memory safety under ASan/UBSan; every call must return 0
 * or a negative code; the audit chain must verify after every input; a
 * refused token must never have been accepted. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/err.h"
#include "store/store.h"

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n);

#define FIELDS 6

static struct store *st;
static unsigned runs;

static void fields(const uint8_t *d, size_t n, char f[FIELDS][256], const uint8_t **rest,
		   size_t *rest_len)
{
	size_t i = 0, k = 0, o = 0;

	memset(f, 0, sizeof(char[FIELDS][256]));
	for (; i < n && k < FIELDS; i++) {
		if (d[i] == '\n') {
			k++;
			o = 0;
			continue;
		}
		if (o < 255)
			f[k][o++] = (char)d[i];
	}
	*rest = d + i;
	*rest_len = n - i;
}

static void setup(void)
{
	struct store_host h;

	if (store_open(&st, "sqlite::memory:") < 0)
		abort();
	memset(&h, 0, sizeof(h));
	snprintf(h.name, sizeof(h.name), "node1");
	snprintf(h.hwclass, sizeof(h.hwclass), "qemu");
	if (store_host_add(st, &h) < 0)
		abort();
}

static void op(unsigned which, char f[FIELDS][256], const uint8_t *rest, size_t rlen)
{
	char tok[STORE_TOKEN_HEX + 1], sid[STORE_SESSION_HEX + 1], mac[STORE_MAC_LEN + 1];
	struct store_token_info info;
	struct store_host h;
	struct store_report r;
	struct store_release rel;
	int rc = 0;
	unsigned i;

	switch (which % 9) {
	case 0:
		memset(&h, 0, sizeof(h));
		snprintf(h.name, sizeof(h.name), "%s", f[0]);
		snprintf(h.hwclass, sizeof(h.hwclass), "%s", f[1]);
		snprintf(h.macs[0], sizeof(h.macs[0]), "%s", f[2]);
		snprintf(h.addrs[0], sizeof(h.addrs[0]), "%s", f[3]);
		snprintf(h.groups[0], sizeof(h.groups[0]), "%s", f[4]);
		snprintf(h.channel, sizeof(h.channel), "%s", f[5]);
		h.n_macs = f[2][0] != 0;
		h.n_addrs = f[3][0] != 0;
		h.n_groups = f[4][0] != 0;
		rc = store_host_add(st, &h);
		break;
	case 1:
		rc = store_token_redeem(st, f[0], f[1], f[2][0] ? f[2] : NULL,
					f[3][0] ? f[3] : NULL, &info);
		if (rc == 0)
			abort();   /* nobody issued a token: nothing can be accepted */
		break;
	case 2:
		rc = store_cred_check(st, f[0], f[1]);
		if (rc == 0)
			abort();
		break;
	case 3:
		memset(&r, 0, sizeof(r));
		snprintf(r.host, sizeof(r.host), "%s", f[0]);
		snprintf(r.stage, sizeof(r.stage), "%s", f[1]);
		snprintf(r.status, sizeof(r.status), "%s", f[2]);
		snprintf(r.code, sizeof(r.code), "%s", f[3]);
		snprintf(r.session, sizeof(r.session), "%s", f[4]);
		r.tail_len = rlen > STORE_TAIL_MAX ? STORE_TAIL_MAX : rlen;
		memcpy(r.tail, rest, r.tail_len);
		rc = store_report_add(st, &r);
		break;
	case 4:
		(void)store_valid_hostname(f[0]);
		(void)store_valid_label(f[0]);
		rc = store_mac_canon(f[0], mac);
		break;
	case 5:
		rc = store_audit_append(st, f[0], f[1], f[2], f[3]);
		break;
	case 6:
		memset(&rel, 0, sizeof(rel));
		rel.version = (uint32_t)strtoul(f[0], NULL, 10);
		snprintf(rel.hwclass, sizeof(rel.hwclass), "%s", f[1]);
		for (i = 0; i < STORE_ROLES; i++)
			snprintf(rel.art[i].sha256, sizeof(rel.art[i].sha256), "%s", f[2]);
		rc = store_release_publish(st, &rel, rest, rlen);
		break;
	case 7:
		rc = store_session_open(st, f[0], f[1], 1, f[2], sid);
		if (rc == 0)
			rc = store_token_issue(st, f[0], sid, f[3], 60, tok);
		if (rc == 0) {
			if (store_token_redeem(st, tok, f[3], f[0], sid, NULL) != 0 ||
			    store_token_redeem(st, tok, f[3], NULL, NULL, NULL) != -EPX_E_TOK_USED)
				abort();   /* issued tokens redeem exactly once */
		}
		break;
	default:
		rc = store_host_by_mac(st, f[0], &h);
		break;
	}
	if (rc > 0)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
	char f[FIELDS][256];
	const uint8_t *rest;
	size_t rlen;
	int64_t bad = 0;

	if (n < 1)
		return 0;
	if (!st)
		setup();
	fields(d + 1, n - 1, f, &rest, &rlen);
	op(d[0], f, rest, rlen);
	if (++runs % 512 == 0) {   /* keep the store (and the audit) small */
		if (store_audit_verify(st, &bad) != 0)
			abort();
		store_close(st);
		st = NULL;
	}
	return 0;
}
