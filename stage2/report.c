/* report: tells epoxyd how a stage ended (POST /v1/report), with the
 * console tail so that `epoxyctl why` can show what the node saw.  The
 * tail holds no secret: the console never receives one (stage2/con.h). */
#include <stdio.h>
#include <string.h>
#include <sys/reboot.h>
#include <unistd.h>

#include "lib/err.h"
#include "lib/form.h"
#include "lib/hex.h"
#include "lib/nodeproto.h"
#include "net/https.h"
#include "stage2/agent.h"
#include "stage2/con.h"

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
	static char body[NODEPROTO_REPORT_BODY_MAX], tail[CON_TAIL_MAX];
	struct https_resp resp;
	struct https_req r;
	uint8_t next[33] = { 0 };
	char cs[16], st[12];
	size_t n, tl;
	int rc;

	epx_code(code, cs, sizeof(cs));
	snprintf(st, sizeof(st), "%d", stage);
	tl = con_tail(tail, sizeof(tail));
	n = 0;
	/* the body cap holds the whole tail escaped: a failure is a bug */
	if (form_put(body, sizeof(body), &n, NODEPROTO_F_STAGE, st, strlen(st)) < 0 ||
	    form_put(body, sizeof(body), &n, NODEPROTO_F_STATUS, ok ? "ok" : "fail", ok ? 2 : 4) < 0 ||
	    form_put(body, sizeof(body), &n, NODEPROTO_F_CODE, ok ? "" : cs, ok ? 0 : strlen(cs)) < 0 ||
	    form_put(body, sizeof(body), &n, NODEPROTO_F_TAIL, tail, tl) < 0)
		return -EPX_E_CODEC_SPACE;
	memset(&r, 0, sizeof(r));
	r.method = "POST";
	r.path = NODEPROTO_REPORT_PATH;
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
