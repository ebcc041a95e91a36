/* boot: the stage-1 flow of the agent, in the signed minimal image.
 *
 * Order (docs/guide/50-agent.md): anchors -> credential -> session
 * (nonce, statement) -> dbx update named by the statement, appended to
 * the firmware's dbx (stage2/dbxapply.h) -> manifest (signatures, binding, policy) -> each
 * artifact (length, hash, sealed) -> handover archive -> kexec load ->
 * kexec exec.  Nothing is used before the step that verifies it; any
 * failure reports (when a session exists), backs off with jitter and starts
 * a fresh session, at most boot_retries times; failures that say the
 * server is away are not counted for a while (retry_outage()). */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/dbx.h"
#include "lib/doc.h"
#include "lib/err.h"
#include "lib/form.h"
#include "lib/hex.h"
#include "lib/nodeproto.h"
#include "lib/rand.h"
#include "net/https.h"
#include "stage2/agent.h"
#include "stage2/bootcred.h"
#include "stage2/con.h"
#include "stage2/dbxapply.h"
#include "stage2/handover.h"
#include "stage2/hwscan.h"
#include "stage2/kexec.h"
#include "stage2/session.h"
#include "stage2/verify.h"

struct boot {
	struct agent_opts *o;
	struct anchors an;
	struct bootcred bc;             /* only through bootcred_*() */
	char mac[18];
	struct https h;
	struct session s;
	struct statement st;
	struct manifest m;
	int fd[MANIFEST_NROLES];
	int retry_after;
	char resp[SESSION_MAX];
	struct inventory inv;           /* collected once, sent with each session */
	char inv_text[NODEPROTO_INV_MAX + 1];
	size_t inv_len;                 /* 0: none to send */
	char body[NODEPROTO_SESSION_BODY_MAX];
	char mf[DOC_MAX_BYTES];
	size_t mf_len;
};

/* First non-loopback interface's MAC as 52-54-00-12-34-56. */
static void boot_mac(struct boot *b)
{
	char path[300], buf[32];
	struct dirent *de;
	DIR *d;
	long n;

	snprintf(b->mac, sizeof(b->mac), "00-00-00-00-00-00");
	if (b->o->mac) {
		snprintf(b->mac, sizeof(b->mac), "%s", b->o->mac);
		return;
	}
	d = opendir("/sys/class/net");
	while (d && (de = readdir(d))) {
		if (de->d_name[0] == '.' || strcmp(de->d_name, "lo") == 0)
			continue;
		snprintf(path, sizeof(path), "/sys/class/net/%.200s/address", de->d_name);
		n = verify_slurp(path, buf, sizeof(buf));
		if (n >= 17 && strncmp(buf, "00:00:00:00:00:00", 17) != 0) {
			for (n = 0; n < 17; n++)
				b->mac[n] = buf[n] == ':' ? '-' : buf[n];
			b->mac[17] = '\0';
			break;
		}
	}
	if (d)
		closedir(d);
}

/* What the node is (stage2/hwscan.h), once per boot: a failure to read
 * it is printed and the boot goes on without one. */
static void boot_inventory(struct boot *b)
{
	const struct inventory *v = &b->inv;
	size_t dropped = 0;
	int rc = hwscan_report(b->o->hwroot, b->o->efivars, &b->inv, b->inv_text,
			       sizeof(b->inv_text), &b->inv_len, &dropped);

	if (rc < 0) {
		con_fail(rc, "inventory under '%s' and %s", b->o->hwroot, b->o->efivars);
		return;
	}
	con_stage("inventory", "cpus %u mem %llu disks %zu nics %zu secureboot %s "
		  "firmware '%s' (%zu bytes%s)",
		  v->has & INVENTORY_HAS_CPUS ? v->cpus : 0,
		  (unsigned long long)(v->has & INVENTORY_HAS_MEM ? v->mem : 0), v->ndisks,
		  v->nnics, !(v->has & INVENTORY_HAS_SB) ? "absent" : v->secureboot ? "on" : "off",
		  v->fw_vendor, b->inv_len, dropped ? ", some devices not listed" : "");
}

static int boot_session(struct boot *b, const uint8_t nonce[32])
{
	struct https_buf out = { b->resp, sizeof(b->resp), 0 };
	struct https_resp resp;
	struct https_req r;
	char *body = b->body;
	size_t len;
	int n, rc;

	n = session_request(body, sizeof(b->body), bootcred_host(&b->bc), b->mac,
			    nonce, AGENT_VERSION, 1);
	len = n < 0 ? 0 : (size_t)n;
	if (n >= 0 && b->inv_len &&
	    form_put(body, sizeof(b->body), &len, NODEPROTO_F_INVENTORY, b->inv_text,
		     b->inv_len) < 0)
		n = -EPX_E_SESSION_SYNTAX;
	if (n >= 0)
		n = bootcred_form(&b->bc, body, sizeof(b->body), len);
	if (n < 0)
		return con_fail(-EPX_E_SESSION_SYNTAX, "session request too long");
	memset(&r, 0, sizeof(r));
	r.method = "POST";
	r.path = NODEPROTO_SESSION_PATH;
	r.ctype = "application/x-www-form-urlencoded";
	r.body = body;
	r.body_len = (size_t)n;
	r.body_max = sizeof(b->resp);
	r.deadline = tls_now_ms() + b->o->fo.phase_ms;
	r.on_data = https_buf_data;
	r.ctx = &out;
	rc = https_do(&b->h, &r, &resp);
	explicit_bzero(body, sizeof(b->body));
	b->retry_after = resp.head.retry_after;
	httpc_head_wipe(&resp.head);
	if (rc < 0)
		return con_fail(rc, "POST /v1/session to %s:%u (%s)%s%s",
				b->h.addr, b->h.port, b->h.name,
				resp.reason[0] ? "; server: " : "", resp.reason);
	rc = session_parse(&b->s, b->resp, out.len);
	if (rc < 0)
		return con_fail(rc, "session answer of %zu bytes", out.len);
	rc = verify_statement(&b->an, &b->st, b->s.statement, b->s.statement_len,
			      nonce, bootcred_host(&b->bc));
	if (rc < 0)
		return con_fail(rc, "session statement for host %s",
				bootcred_host(&b->bc));
	if (memcmp(b->st.session, b->s.id, 8) != 0)
		return con_fail(-EPX_E_SESSION_ID, "session %s", b->s.id_hex);
	if (b->st.version != b->s.release)
		return con_fail(-EPX_E_SESSION_RELEASE, "release %u, statement %u",
				b->s.release, b->st.version);
	con_stage("session", "%s host %s release %u statement verified",
		  b->s.id_hex, bootcred_host(&b->bc), b->s.release);
	return 0;
}

/* The dbx update the statement names: fetched over the pinned TLS
 * connection, checked and appended before anything else of the chain. */
static int boot_dbx(struct boot *b)
{
	static uint8_t buf[DBX_UPDATE_MAX + 1];
	struct https_buf out = { (char *)buf, sizeof(buf), 0 };
	struct https_resp resp;
	struct https_req r;
	char path[sizeof(NODEPROTO_DBX_PATH) + 64];
	size_t nhash = 0;
	int rc;

	if (!b->st.has_dbx)
		return 0;
	memcpy(path, NODEPROTO_DBX_PATH, sizeof(NODEPROTO_DBX_PATH) - 1);
	hex_encode(b->st.dbx, 32, path + sizeof(NODEPROTO_DBX_PATH) - 1);
	memset(&r, 0, sizeof(r));
	r.method = "GET";
	r.path = path;
	r.body_max = sizeof(buf);
	r.deadline = tls_now_ms() + b->o->fo.phase_ms;
	r.on_data = https_buf_data;
	r.ctx = &out;
	rc = https_do(&b->h, &r, &resp);
	httpc_head_wipe(&resp.head);
	if (rc < 0)
		return con_fail(rc, "GET %s%s%s", path,
				resp.reason[0] ? "; server: " : "", resp.reason);
	rc = dbxapply(b->o->efivars, buf, out.len, b->st.dbx, b->o->record != NULL,
		      &nhash);
	if (rc < 0)
		return con_fail(rc, "dbx update %.16s (%zu bytes, %zu hashes) for %s/%s",
				path + sizeof(NODEPROTO_DBX_PATH) - 1, out.len, nhash,
				b->o->efivars, DBX_EFIVAR_NAME);
	con_stage("dbx", "update %.16s: %zu retired image hashes %s",
		  path + sizeof(NODEPROTO_DBX_PATH) - 1, nhash,
		  rc == DBXAPPLY_APPENDED ? "appended to the firmware's dbx" :
		  rc == DBXAPPLY_HELD ? "already in the firmware's dbx" :
		  "not applied: no UEFI variable store (legacy BIOS)");
	return 0;
}

static int boot_manifest(struct boot *b)
{
	struct https_buf out = { b->mf, sizeof(b->mf), 0 };
	struct https_resp resp;
	struct https_req r;
	int rc;

	memset(&r, 0, sizeof(r));
	r.method = "GET";
	r.path = "/v1/manifest";
	r.bearer = b->s.tok[SESSION_TOK_MANIFEST];
	r.body_max = sizeof(b->mf);
	r.deadline = tls_now_ms() + b->o->fo.phase_ms;
	r.on_data = https_buf_data;
	r.ctx = &out;
	rc = https_do(&b->h, &r, &resp);
	explicit_bzero(b->s.tok[SESSION_TOK_MANIFEST], 32);
	httpc_head_wipe(&resp.head);
	if (rc < 0)
		return con_fail(rc, "GET /v1/manifest%s%s",
				resp.reason[0] ? "; server: " : "", resp.reason);
	b->mf_len = out.len;
	rc = verify_manifest(&b->an, &b->st, &b->m, b->mf, b->mf_len);
	if (rc < 0)
		return con_fail(rc, "manifest of %zu bytes (floor %u, hwclass %s)",
				b->mf_len, b->an.floor, b->an.hwclass);
	con_stage("manifest", "version %u hwclass %s verified", b->m.version,
		  b->m.hwclass);
	return 0;
}

static int boot_artifacts(struct boot *b)
{
	int role, rc;

	for (role = 0; role < MANIFEST_NROLES; role++) {
		con_stage("download", "%s %llu bytes", manifest_role_name(role),
			  (unsigned long long)b->m.art[role].length);
		rc = fetch_artifact(&b->h, role, &b->m.art[role],
				    b->s.tok[SESSION_TOK_KERNEL + role], &b->o->fo,
				    &b->fd[role]);
		if (rc < 0)
			return rc;
	}
	return 0;
}

/* cmdline, handover archive, kexec load, kexec exec. */
static int boot_kexec(struct boot *b)
{
	struct handover ho;
	char cmd[KEXEC_CMDLINE_MAX + 1], line[KEXEC_CMDLINE_MAX + 64];
	size_t clen = (size_t)b->m.art[MANIFEST_CMDLINE].length;
	size_t jlen = (size_t)b->m.art[MANIFEST_JOIN].length;
	uint64_t off = b->m.art[MANIFEST_INITRAMFS].length;
	char *join = NULL;
	int rc = -EPX_E_KEXEC_CMDLINE;

	if (clen > KEXEC_CMDLINE_MAX ||
	    fetch_read_all(b->fd[MANIFEST_CMDLINE], cmd, clen) < 0)
		return con_fail(rc, "cmdline artifact of %zu bytes", clen);
	rc = kexec_cmdline(line, sizeof(line), cmd, clen, b->s.id_hex);
	if (rc < 0)
		return con_fail(rc, "cmdline artifact of %zu bytes", clen);
	rc = -EPX_E_DL_MEMFD;
	join = malloc(jlen ? jlen : 1);
	if (!join || fetch_read_all(b->fd[MANIFEST_JOIN], join, jlen) < 0)
		goto out;
	memset(&ho, 0, sizeof(ho));
	snprintf(ho.host, sizeof(ho.host), "%s", bootcred_host(&b->bc));
	snprintf(ho.session, sizeof(ho.session), "%s", b->s.id_hex);
	snprintf(ho.server, sizeof(ho.server), "%s", b->h.name);
	snprintf(ho.addr, sizeof(ho.addr), "%s", b->h.addr);
	ho.port = b->h.port;
	memcpy(ho.joincred, b->s.tok[SESSION_TOK_JOINCRED], 32);
	memcpy(ho.report, b->s.tok[SESSION_TOK_REPORT], 32);
	rc = handover_append(b->fd[MANIFEST_INITRAMFS], &off, &ho, b->mf,
			     b->mf_len, join, jlen);
	handover_wipe(&ho);
	if (rc < 0 || (rc = fetch_seal_final(b->fd[MANIFEST_INITRAMFS])) < 0) {
		rc = con_fail(-EPX_E_HO_MISSING, "cannot append the handover archive");
		goto out;
	}
	https_close(&b->h);
	con_connect(b->h.requests, b->h.handshakes, b->h.suite);
	con_stage("kexec", "loading kernel %llu bytes, initramfs %llu bytes + handover %llu bytes",
		  (unsigned long long)b->m.art[MANIFEST_KERNEL].length,
		  (unsigned long long)b->m.art[MANIFEST_INITRAMFS].length,
		  (unsigned long long)(off - b->m.art[MANIFEST_INITRAMFS].length));
	con_info("production cmdline: %s", line);
	errno = 0;
	rc = kexec_load(b->fd[MANIFEST_KERNEL], b->fd[MANIFEST_INITRAMFS], line,
			b->o->record);
	if (rc < 0) {
		int e = errno;

		/* the stage1 kernel enforces the kexec signature: ENODATA =
		 * kernel not signed, ENOKEY = signed by no key of its built-in
		 * keyring, the fleet's kexec certificates (db is not one:
		 * docs/kexec-lockdown.md) */
		con_fail(rc, "kexec_file_load: errno %d (%s)", e, strerror(e));
		goto out;
	}
	con_stage("kexec", "loaded; executing%s", b->o->record ? " (recorded)" : "");
	rc = kexec_exec(b->o->record);
	if (rc < 0)
		con_fail(rc, "reboot(LINUX_REBOOT_CMD_KEXEC)");
out:
	free(join);
	return rc;
}

static void boot_close_fds(struct boot *b)
{
	int i;

	for (i = 0; i < MANIFEST_NROLES; i++) {
		if (b->fd[i] >= 0)
			close(b->fd[i]);
		b->fd[i] = -1;
	}
}

static int boot_once(struct boot *b)
{
	uint8_t nonce[32];
	int rc;

	if (rand_bytes(nonce, sizeof(nonce)) < 0)
		return con_fail(-EPX_E_RNG, "getrandom");
	rc = boot_session(b, nonce);
	if (rc < 0)
		goto out;
	rc = boot_dbx(b);
	if (rc == 0)
		rc = boot_manifest(b);
	if (rc == 0)
		rc = boot_artifacts(b);
	if (rc == 0)
		rc = boot_kexec(b);
	if (rc < 0)
		report_send(&b->h, b->s.tok[SESSION_TOK_REPORT], 1, 0, rc,
			    b->o->fo.phase_ms);
out:
	boot_close_fds(b);
	session_wipe(&b->s);
	return rc;
}

static int boot_setup(struct boot *b)
{
	struct agent_opts *o = b->o;
	int rc;

	rc = verify_anchors(&b->an, o->etc);
	if (rc < 0)
		return rc;
	con_stage("anchors", "keyset serial %u threshold %u floor %u hwclass %s",
		  b->an.ks.serial, b->an.ks.threshold, b->an.floor, b->an.hwclass);
	rc = bootcred_load(&b->bc, o);
	if (rc < 0)
		return rc;
	con_stage("credential", "host %s (%s)", bootcred_host(&b->bc),
		  bootcred_is_token(&b->bc) ? "one-time boot token" : "boot credential");
	boot_mac(b);
	boot_inventory(b);
	rc = tls_ctx_init(&b->h.tls, b->an.ca_path);
	if (rc < 0)
		return con_fail(rc, "%s", b->an.ca_path);
	b->h.addr = o->cl.addr;
	b->h.port = o->cl.port;
	b->h.name = o->cl.server;
	b->h.user_agent = "epoxy-agent";
	b->h.keepalive = 1;     /* one TLS handshake per boot (issue 17) */
	return 0;
}

int boot_stage1(struct agent_opts *o)
{
	static struct boot b;
	unsigned attempt, counted = 0;
	int64_t away = -1;              /* retry_outage()'s clock */
	int rc, i;

	memset(&b, 0, sizeof(b));
	b.o = o;
	for (i = 0; i < MANIFEST_NROLES; i++)
		b.fd[i] = -1;
	rc = boot_setup(&b);
	if (rc < 0)
		goto out;
	con_stage("connect", "%s:%u as %s", o->cl.addr, o->cl.port, o->cl.server);
	for (attempt = 0; (rc = boot_once(&b)) < 0; attempt++) {
		if (retry_outage(&o->fo, &away, rc, attempt, b.retry_after))
			continue;
		if (++counted >= o->boot_retries)
			break;
		con_stage("retry", "boot attempt %u of %u", counted + 1, o->boot_retries);
		retry_backoff(o->fo.backoff_ms, attempt, b.retry_after);
	}
	https_close(&b.h);
	tls_ctx_free(&b.h.tls);
out:
	bootcred_wipe(&b.bc);
	if (rc < 0)
		return agent_give_up(o, rc);
	return 0;
}
