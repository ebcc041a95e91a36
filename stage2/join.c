/* join: the stage-2 flow of the agent, in the production kernel.
 *
 * Reads the handover the stage-1 agent appended to the verified initramfs,
 * checks the join script against the handed-over (and re-verified)
 * manifest, fetches the one-time join credential, runs the script with the
 * credential in a 0600 file named by EPOXY_JOINCRED_FILE (never argv), and
 * reports.  When epoxyd also answers a one-time node credential (node
 * identity, issue 14), it goes into a second 0600 file named by
 * EPOXY_NODECRED_FILE, for `epoxy-nm join`.  The script runs from a sealed memfd holding exactly the bytes
 * that were hashed. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lib/doc.h"
#include "lib/err.h"
#include "lib/sha256.h"
#include "net/https.h"
#include "stage2/agent.h"
#include "stage2/con.h"
#include "stage2/handover.h"
#include "stage2/verify.h"

#define JOIN_MAX (1u << 20)
#define JOINCRED_MAX 16384
#define JOIN_LINE_MAX 256

struct join {
	struct agent_opts *o;
	struct anchors an;
	struct handover ho;
	struct manifest m;
	struct https h;
	char *script;
	size_t script_len;
	char cred_path[VERIFY_PATH_MAX];
	char nodecred_path[VERIFY_PATH_MAX];    /* "" when epoxyd sent none */
};

static int join_path(char *out, size_t cap, const char *root, const char *rel)
{
	int n = snprintf(out, cap, "%s/%s", root, rel);

	return n > 0 && (size_t)n < cap ? 0 : -ENAMETOOLONG;
}

static int join_handover(struct join *j)
{
	char path[VERIFY_PATH_MAX], buf[HANDOVER_MAX + 1];
	struct stat sb;
	long n;
	int fd, rc;

	join_path(path, sizeof(path), j->o->root, HANDOVER_PATH);
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return con_fail(-EPX_E_HO_MISSING, "%s", path);
	if (fstat(fd, &sb) < 0 || (sb.st_mode & 077) || !S_ISREG(sb.st_mode)) {
		close(fd);
		return con_fail(-EPX_E_HO_PERM, "%s mode %o", path,
				(unsigned)sb.st_mode & 0777);
	}
	n = read(fd, buf, sizeof(buf));
	close(fd);
	rc = n < 0 || n > HANDOVER_MAX ? -EPX_E_HO_SYNTAX :
		handover_parse(&j->ho, buf, (size_t)n);
	explicit_bzero(buf, sizeof(buf));
	if (rc < 0)
		return con_fail(rc, "%s", path);
	if (strcmp(j->ho.session, j->o->cl.session) != 0)
		return con_fail(-EPX_E_HO_SESSION, "handover %s, cmdline %s",
				j->ho.session, j->o->cl.session);
	return 0;
}

static int join_manifest(struct join *j)
{
	static char buf[DOC_MAX_BYTES + 1];
	char path[VERIFY_PATH_MAX];
	long n;
	int rc;

	join_path(path, sizeof(path), j->o->root, HANDOVER_MANIFEST_PATH);
	n = verify_slurp(path, buf, sizeof(buf));
	if (n < 0)
		return con_fail(-EPX_E_HO_MISSING, "%s", path);
	rc = manifest_verify(&j->m, buf, (size_t)n, &j->an.ks);
	if (rc < 0)
		return con_fail(rc, "handed-over manifest %s", path);
	return 0;
}

static int join_script(struct join *j)
{
	const struct manifest_artifact *a = &j->m.art[MANIFEST_JOIN];
	char path[VERIFY_PATH_MAX];
	uint8_t got[32];
	long n;

	join_path(path, sizeof(path), j->o->root, HANDOVER_JOIN_PATH);
	j->script = malloc(JOIN_MAX + 1);
	if (!j->script)
		return -ENOMEM;
	n = verify_slurp(path, j->script, JOIN_MAX + 1);
	if (n < 0)
		return con_fail(-EPX_E_JOIN_MISSING, "%s", path);
	j->script_len = (size_t)n;
	sha256_buf(j->script, j->script_len, got);
	if ((uint64_t)n != a->length || memcmp(got, a->sha256, 32) != 0)
		return con_fail(-EPX_E_JOIN_HASH, "%s (%ld bytes, manifest %llu)",
				path, n, (unsigned long long)a->length);
	con_stage("verify", "join script %ld bytes sha256 ok", n);
	return 0;
}

/* A secret into a new 0600 file root/rel (path kept in out). */
static int join_secret_file(struct join *j, char *out, size_t cap, const char *rel,
			    const char *buf, size_t len)
{
	int fd, rc = join_path(out, cap, j->o->root, rel);

	if (rc < 0)
		return -EPX_E_JOINCRED;
	unlink(out);
	fd = open(out, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	rc = fd >= 0 && write(fd, buf, len) == (ssize_t)len ? 0 : -EPX_E_JOINCRED;
	if (fd >= 0)
		close(fd);
	return rc;
}

static int join_cred_fetch(struct join *j)
{
	static char cred[JOINCRED_MAX];
	static char nodecred[HTTPC_TOKEN_HEX + 2];
	struct https_buf out = { cred, sizeof(cred), 0 };
	struct https_resp resp;
	struct https_req r;
	int rc;

	memset(&r, 0, sizeof(r));
	r.method = "POST";
	r.path = "/v1/joincred";
	r.ctype = "application/x-www-form-urlencoded";
	r.body = "";
	r.bearer = j->ho.joincred;
	r.body_max = sizeof(cred);
	r.deadline = tls_now_ms() + j->o->fo.phase_ms;
	r.on_data = https_buf_data;
	r.ctx = &out;
	rc = https_do(&j->h, &r, &resp);
	snprintf(nodecred, sizeof(nodecred), "%s", resp.head.node_cred);
	httpc_head_wipe(&resp.head);
	if (rc == 0 && out.len == 0)
		rc = -EPX_E_JOINCRED;
	if (rc < 0) {
		explicit_bzero(cred, sizeof(cred));
		explicit_bzero(nodecred, sizeof(nodecred));
		return con_fail(rc == -EPX_E_HTTP_BODYBIG ? -EPX_E_JOINCRED : rc,
				"POST /v1/joincred%s%s",
				resp.reason[0] ? "; server: " : "", resp.reason);
	}
	rc = join_secret_file(j, j->cred_path, sizeof(j->cred_path), "run/epoxy/joincred",
			      cred, out.len);
	explicit_bzero(cred, sizeof(cred));
	if (rc == 0 && nodecred[0]) {
		strcat(nodecred, "\n");
		rc = join_secret_file(j, j->nodecred_path, sizeof(j->nodecred_path),
				      "run/epoxy/nodecred", nodecred, strlen(nodecred));
	}
	explicit_bzero(nodecred, sizeof(nodecred));
	if (rc < 0)
		return con_fail(rc, "cannot write %s", j->nodecred_path[0] ?
				j->nodecred_path : j->cred_path);
	con_stage("joincred", "received %zu bytes (in a 0600 file)%s", out.len,
		  j->nodecred_path[0] ? "; node credential too" : "");
	return 0;
}

/* Child: exec the sealed script memfd; "#!" scripts get their interpreter
 * with /proc/self/fd/N, exactly as the kernel would do with a path.  Its
 * environment: the credential file(s), the host, the server's name,
 * address and HTTPS port (where the node manager finds epoxyd), the
 * session and PATH; nothing secret. */
static void join_child(struct join *j, int mfd, int out)
{
	char fdpath[64], interp[JOIN_LINE_MAX], *arg = NULL, *nl, *sp;
	char e1[VERIFY_PATH_MAX + 32], e2[96], e3[300], e4[64], e5[VERIFY_PATH_MAX + 32];
	char e6[64], e7[32];
	char *path = (char *)"PATH=/usr/sbin:/usr/bin:/sbin:/bin";
	char *envp[] = { e1, e2, e3, e4, e6, e7, path, NULL, NULL };

	dup2(out, 1);
	dup2(out, 2);
	snprintf(fdpath, sizeof(fdpath), "/proc/self/fd/%d", mfd);
	snprintf(e1, sizeof(e1), "EPOXY_JOINCRED_FILE=%s", j->cred_path);
	snprintf(e2, sizeof(e2), "EPOXY_HOST=%s", j->ho.host);
	snprintf(e3, sizeof(e3), "EPOXY_SERVER=%s", j->ho.server);
	snprintf(e4, sizeof(e4), "EPOXY_SESSION=%s", j->ho.session);
	snprintf(e5, sizeof(e5), "EPOXY_NODECRED_FILE=%s", j->nodecred_path);
	snprintf(e6, sizeof(e6), "EPOXY_SERVER_ADDR=%s", j->ho.addr);
	snprintf(e7, sizeof(e7), "EPOXY_SERVER_PORT=%u", (unsigned)j->ho.port);
	if (j->nodecred_path[0]) {
		envp[6] = e5;
		envp[7] = path;
	}
	if (j->script_len > 2 && memcmp(j->script, "#!", 2) == 0) {
		snprintf(interp, sizeof(interp), "%.*s",
			 (int)(j->script_len - 2 < JOIN_LINE_MAX - 1 ?
			       j->script_len - 2 : JOIN_LINE_MAX - 1),
			 j->script + 2);
		nl = strchr(interp, '\n');
		if (nl)
			*nl = '\0';
		sp = interp + strspn(interp, " \t");
		memmove(interp, sp, strlen(sp) + 1);
		sp = strpbrk(interp, " \t");
		if (sp) {
			*sp = '\0';
			arg = sp + 1 + strspn(sp + 1, " \t");
			if (!*arg)
				arg = NULL;
		}
		{
			char *argv[] = { interp, arg ? arg : fdpath, arg ? fdpath : NULL,
					 NULL };

			execve(interp, argv, envp);
		}
	} else {
		char *argv[] = { (char *)"join", NULL };

		fexecve(mfd, argv, envp);
	}
	_exit(127);
}

/* Copies the child's output to the console, line by line, until it exits
 * or the deadline passes (then it is killed). */
static int join_wait(pid_t pid, int in, int64_t deadline)
{
	char line[JOIN_LINE_MAX];
	size_t len = 0;
	int status = 0;

	for (;;) {
		struct pollfd p = { .fd = in, .events = POLLIN };
		int64_t left = deadline - tls_now_ms();
		ssize_t n;
		char ch;

		if (left <= 0 || poll(&p, 1, (int)(left > 60000 ? 60000 : left)) == 0) {
			if (tls_now_ms() < deadline)
				continue;
			kill(pid, SIGKILL);
			waitpid(pid, &status, 0);
			return -EPX_E_HTTP_DEADLINE;
		}
		n = read(in, &ch, 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		if (ch == '\n' || len == sizeof(line) - 1) {
			line[len] = '\0';
			con_info("join: %s", line);
			len = 0;
			if (ch == '\n')
				continue;
		}
		line[len++] = ch;
	}
	if (len) {
		line[len] = '\0';
		con_info("join: %s", line);
	}
	if (waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) ||
	    WEXITSTATUS(status) != 0)
		return -EPX_E_JOIN_FAIL;
	return 0;
}

static int join_run(struct join *j)
{
	int mfd, pfd[2] = { -1, -1 }, rc = -EPX_E_JOIN_FAIL;
	pid_t pid;

	mfd = memfd_create("join", MFD_ALLOW_SEALING);
	if (mfd < 0)
		return rc;
	if (write(mfd, j->script, j->script_len) != (ssize_t)j->script_len ||
	    fcntl(mfd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE |
		  F_SEAL_SEAL) < 0 || pipe2(pfd, O_CLOEXEC) < 0)
		goto out;
	pid = fork();
	if (pid < 0)
		goto out;
	if (pid == 0)
		join_child(j, mfd, pfd[1]);
	close(pfd[1]);
	pfd[1] = -1;
	rc = join_wait(pid, pfd[0], tls_now_ms() + 10 * j->o->fo.phase_ms);
out:
	if (pfd[0] >= 0)
		close(pfd[0]);
	if (pfd[1] >= 0)
		close(pfd[1]);
	close(mfd);
	return rc;
}

static int join_flow(struct join *j)
{
	unsigned attempt;
	int64_t away = -1;              /* retry_outage()'s clock */
	int rc;

	rc = verify_anchors(&j->an, j->o->etc);
	if (rc == 0)
		rc = join_handover(j);
	if (rc == 0)
		rc = join_manifest(j);
	if (rc == 0)
		rc = join_script(j);
	if (rc < 0)
		return rc;
	con_stage("handover", "session %s host %s manifest version %u",
		  j->ho.session, j->ho.host, j->m.version);
	rc = tls_ctx_init(&j->h.tls, j->an.ca_path);
	if (rc < 0)
		return con_fail(rc, "%s", j->an.ca_path);
	j->h.addr = j->ho.addr;
	j->h.port = j->ho.port;
	j->h.name = j->ho.server;
	j->h.user_agent = "epoxy-agent";
	j->h.keepalive = 1;
	/* a server that is away is waited for; the one-time credential token
	 * is kept until then (a refused or spent one is never retried) */
	for (attempt = 0; (rc = join_cred_fetch(j)) < 0 &&
	     retry_outage(&j->o->fo, &away, rc, attempt, -1); attempt++)
		;
	explicit_bzero(j->ho.joincred, 32);
	for (attempt = 0; rc == 0 && attempt < j->o->fo.retries; attempt++) {
		if (attempt)
			retry_backoff(j->o->fo.backoff_ms, attempt - 1, -1);
		con_stage("join", "running the join script (attempt %u of %u)",
			  attempt + 1, j->o->fo.retries);
		rc = join_run(j);
		if (rc == 0)
			break;
		con_fail(rc, "join script attempt %u", attempt + 1);
		if (attempt + 1 < j->o->fo.retries)
			rc = 0;
	}
	if (j->cred_path[0])
		unlink(j->cred_path);
	if (j->nodecred_path[0])
		unlink(j->nodecred_path);
	if (rc == 0)
		con_stage("join", "done");
	report_send(&j->h, j->ho.report, 2, rc == 0, rc, j->o->fo.phase_ms);
	https_close(&j->h);
	con_connect(j->h.requests, j->h.handshakes, j->h.suite);
	tls_ctx_free(&j->h.tls);
	return rc;
}

int join_stage2(struct agent_opts *o)
{
	static struct join j;
	int rc;

	memset(&j, 0, sizeof(j));
	j.o = o;
	if (!o->cl.session[0])
		return agent_give_up(o, con_fail(-EPX_E_CMDLINE,
						  "stage 2 needs epoxy.session"));
	rc = join_flow(&j);
	handover_wipe(&j.ho);
	free(j.script);
	if (rc < 0)
		return agent_give_up(o, rc);
	return 0;
}
