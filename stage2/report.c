/* report: tells epoxyd how a stage ended (POST /v1/report), with the
 * console tail so that `epoxyctl why` can show what the node saw.  The
 * tail holds no secret: the console never receives one (stage2/con.h). */
#include <stdio.h>
#include <string.h>
#include <sys/reboot.h>
#include <unistd.h>

#include "lib/err.h"
#include "lib/hex.h"
#include "net/https.h"
#include "stage2/agent.h"
#include "stage2/con.h"

#define REPORT_BODY_MAX (64 + 3 * CON_TAIL_MAX)

/* application/x-www-form-urlencoded of s[0..n) */
static size_t report_enc(char *out, const char *s, size_t n)
{
	static const char hexd[] = "0123456789ABCDEF";
	size_t o = 0, i;

	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.') {
			out[o++] = (char)c;
		} else {
			out[o++] = '%';
			out[o++] = hexd[c >> 4];
			out[o++] = hexd[c & 15];
		}
	}
	return o;
}

static int report_on_head(void *ctx, const struct httpc_head *h)
{
	uint8_t *next = ctx;

	if (h->next_token[0] && hex_decode(h->next_token, 64, next, 32) == 0)
		next[32] = 1;
	return 0;
}

int report_send(struct https *h, uint8_t token[32], int stage, int ok,
		int code, int64_t phase_ms)
{
	static char body[REPORT_BODY_MAX], tail[CON_TAIL_MAX];
	struct https_resp resp;
	struct https_req r;
	uint8_t next[33] = { 0 };
	char cs[16];
	size_t n, tl;
	int rc;

	epx_code(code, cs, sizeof(cs));
	n = (size_t)snprintf(body, sizeof(body), "stage=%d&status=%s&code=%s&tail=",
			     stage, ok ? "ok" : "fail", ok ? "" : cs);
	tl = con_tail(tail, sizeof(tail));
	n += report_enc(body + n, tail, tl);
	memset(&r, 0, sizeof(r));
	r.method = "POST";
	r.path = "/v1/report";
	r.ctype = "application/x-www-form-urlencoded";
	r.body = body;
	r.body_len = n;
	r.bearer = token;
	r.body_max = 4096;
	r.deadline = tls_now_ms() + phase_ms;
	r.on_head = report_on_head;
	r.ctx = next;
	rc = https_do(h, &r, &resp);
	explicit_bzero(token, 32);
	if (next[32])
		memcpy(token, next, 32);
	explicit_bzero(next, sizeof(next));
	httpc_head_wipe(&resp.head);
	if (rc < 0)
		return con_fail(-EPX_E_REPORT, "stage %d report: %s%s%s", stage,
				epx_strerror(rc), resp.reason[0] ? "; server: " : "",
				resp.reason);
	con_stage("report", "stage %d %s sent", stage, ok ? "ok" : cs);
	return 0;
}

int agent_give_up(const struct agent_opts *o, int rc)
{
	con_fail(rc, "giving up; %s", o->no_reboot ? "exiting (test mode)"
						    : "rebooting into a clean retry");
	if (!o->no_reboot) {
		sync();
		reboot(RB_AUTOBOOT);
	}
	return rc;
}
