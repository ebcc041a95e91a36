/* joincred: builtin, command and URL join-credential plug-ins (see
 * joincred.h).  The command runs via posix_spawn (safe in a threaded
 * server); its stdout is read through a pipe with poll() until EOF, the cap
 * or the deadline, then it is reaped (killed first on timeout). */
#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "lib/err.h"
#include "lib/rand.h"
#include "server/joincred.h"

struct joincred {
	const struct config *cfg;
};

int joincred_new(struct joincred **out, const struct config *cfg)
{
	struct joincred *jc = calloc(1, sizeof(*jc));

	*out = jc;
	if (!jc)
		return -ENOMEM;
	jc->cfg = cfg;
	if (cfg->joincred == CONFIG_JOINCRED_URL)
		curl_global_init(CURL_GLOBAL_DEFAULT);
	return 0;
}

void joincred_free(struct joincred *jc)
{
	free(jc);
}

static int joincred_alnum(char *out, size_t n)
{
	static const char set[] = "abcdefghijklmnopqrstuvwxyz0123456789";
	unsigned char b[64];
	size_t got = 0, i;
	int rc;

	while (got < n) {
		rc = rand_bytes(b, sizeof(b));
		if (rc < 0)
			return rc;
		for (i = 0; i < sizeof(b) && got < n; i++)
			if (b[i] < 252)            /* 252 = 7 * 36: no modulo bias */
				out[got++] = set[b[i] % 36];
	}
	explicit_bzero(b, sizeof(b));
	return 0;
}

int joincred_builtin(char *out, size_t cap)
{
	int rc;

	if (cap < 24)
		return -ENOSPC;
	rc = joincred_alnum(out, 6);
	if (rc == 0)
		rc = joincred_alnum(out + 7, 16);
	if (rc < 0)
		return -EPX_E_SRV_JOINCRED;
	out[6] = '.';
	out[23] = '\0';
	return 23;
}

/* Accepts printable ASCII plus '\n'/'\r'/'\t'; at least one visible byte. */
static int joincred_text_ok(const char *s, size_t n)
{
	size_t i, vis = 0;

	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c > 0x20 && c < 0x7f)
			vis++;
		else if (c != ' ' && c != '\n' && c != '\r' && c != '\t')
			return 0;
	}
	return vis > 0;
}

static int64_t joincred_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Reads the child's stdout until EOF, cap or deadline. */
static int joincred_read(int fd, char *out, size_t cap, int64_t deadline)
{
	size_t len = 0;

	for (;;) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		int64_t left = deadline - joincred_ms();
		ssize_t n;

		if (left <= 0)
			return -ETIMEDOUT;
		if (poll(&p, 1, (int)left) <= 0)
			continue;
		if (cap - len <= 1)
			return -E2BIG;
		n = read(fd, out + len, cap - 1 - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			break;
		len += (size_t)n;
	}
	out[len] = '\0';
	return (int)len;
}

static int joincred_run_command(struct joincred *jc, const char *host, const char *session,
		      const char *hwclass, char *out, size_t cap)
{
	const struct config *cfg = jc->cfg;
	char e_host[96], e_sess[64], e_hw[96];
	char *argv[CONFIG_ARGS_MAX + 1];
	char *envp[] = { e_host, e_sess, e_hw, (char *)"PATH=/usr/sbin:/usr/bin:/sbin:/bin", NULL };
	posix_spawn_file_actions_t fa;
	int pfd[2], rc = -EPX_E_SRV_JOINCRED, n, status = 0;
	size_t i;
	pid_t pid;

	snprintf(e_host, sizeof(e_host), "EPOXY_HOST=%s", host);
	snprintf(e_sess, sizeof(e_sess), "EPOXY_SESSION=%s", session);
	snprintf(e_hw, sizeof(e_hw), "EPOXY_HWCLASS=%s", hwclass);
	for (i = 0; i < cfg->joincred_nargs; i++)
		argv[i] = (char *)cfg->joincred_cmd[i];
	argv[i] = NULL;
	if (pipe2(pfd, O_CLOEXEC) < 0)
		return -EPX_E_SRV_JOINCRED;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, pfd[1], 1);
	if (posix_spawn(&pid, argv[0], &fa, NULL, argv, envp) != 0) {
		posix_spawn_file_actions_destroy(&fa);
		close(pfd[0]);
		close(pfd[1]);
		return -EPX_E_SRV_JOINCRED;
	}
	posix_spawn_file_actions_destroy(&fa);
	close(pfd[1]);
	n = joincred_read(pfd[0], out, cap, joincred_ms() + (int64_t)cfg->joincred_timeout * 1000);
	close(pfd[0]);
	if (n < 0)
		kill(pid, SIGKILL);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (n >= 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0 &&
	    joincred_text_ok(out, (size_t)n))
		rc = n;
	if (rc < 0)
		explicit_bzero(out, cap);
	return rc;
}

struct jc_buf {
	char *p;
	size_t cap, len;
	int over;
};

static size_t joincred_write(char *ptr, size_t size, size_t nmemb, void *arg)
{
	struct jc_buf *b = arg;
	size_t n = size * nmemb;

	if (n >= b->cap - b->len) {
		b->over = 1;
		return 0;
	}
	memcpy(b->p + b->len, ptr, n);
	b->len += n;
	return n;
}

static int joincred_post_url(struct joincred *jc, const char *host, const char *session,
		  const char *hwclass, char *out, size_t cap)
{
	struct jc_buf b = { out, cap, 0, 0 };
	char form[256];
	long status = 0;
	CURLcode cc;
	CURL *c;
	int rc = -EPX_E_SRV_JOINCRED;

	c = curl_easy_init();
	if (!c)
		return rc;
	snprintf(form, sizeof(form), "host=%s&session=%s&hwclass=%s", host, session, hwclass);
	curl_easy_setopt(c, CURLOPT_URL, jc->cfg->joincred_url);
	curl_easy_setopt(c, CURLOPT_POSTFIELDS, form);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, (long)jc->cfg->joincred_timeout);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, joincred_write);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &b);
	cc = curl_easy_perform(c);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	curl_easy_cleanup(c);
	if (cc == CURLE_OK && status == 200 && !b.over && joincred_text_ok(out, b.len)) {
		out[b.len] = '\0';
		rc = (int)b.len;
	} else {
		explicit_bzero(out, cap);
	}
	return rc;
}

/* A trailing newline (echo, HTTP bodies) is framing, not credential. */
static int joincred_trim(char *out, int n)
{
	while (n > 0 && (out[n - 1] == '\n' || out[n - 1] == '\r'))
		out[--n] = '\0';
	return n > 0 ? n : -EPX_E_SRV_JOINCRED;
}

int joincred_get(struct joincred *jc, const char *host, const char *session,
		 const char *hwclass, char *out, size_t cap)
{
	if (cap > JOINCRED_MAX + 1)
		cap = JOINCRED_MAX + 1;
	switch (jc->cfg->joincred) {
	case CONFIG_JOINCRED_COMMAND:
		return joincred_trim(out, joincred_run_command(jc, host, session, hwclass, out, cap));
	case CONFIG_JOINCRED_URL:
		return joincred_trim(out, joincred_post_url(jc, host, session, hwclass, out, cap));
	case CONFIG_JOINCRED_BUILTIN:
		break;
	}
	return joincred_builtin(out, cap);
}
