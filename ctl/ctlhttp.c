/* ctlhttp: epoxyctl's HTTPS client for the admin API.
 *
 * Guarantees (see ctlhttp.h): pinned CA only, host name verified, TLS >=
 * 1.2, no redirects, the credential only in the Authorization header and
 * wiped after use, replies capped.  Nothing here ever prints a credential. */
#include <ctype.h>
#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ctl/ctl.h"
#include "ctl/ctlhttp.h"
#include "lib/err.h"
#include "lib/hex.h"
#include "lib/pct.h"

#define CTLHTTP_CRED_FILE_MAX 256
#define CTLHTTP_CONF_LINE_MAX 1200

void ctlhttp_cfg_init(struct ctlhttp_cfg *c)
{
	memset(c, 0, sizeof(*c));
}

static int ctlhttp_set(char *dst, size_t cap, const char *src)
{
	size_t n = strlen(src);

	if (n == 0 || n >= cap)
		return -EINVAL;
	memcpy(dst, src, n + 1);
	return 0;
}

int ctlhttp_cfg_opt(struct ctlhttp_cfg *c, int opt, const char *arg)
{
	switch (opt) {
	case CTL_OPT_URL:
		c->set_url = 1;
		return ctlhttp_set(c->url, sizeof(c->url), arg);
	case CTL_OPT_CA:
		c->set_ca = 1;
		return ctlhttp_set(c->ca, sizeof(c->ca), arg);
	case CTL_OPT_CRED:
		c->set_cred = 1;
		return ctlhttp_set(c->cred, sizeof(c->cred), arg);
	case CTL_OPT_RESOLVE:
		c->set_resolve = 1;
		return ctlhttp_set(c->resolve, sizeof(c->resolve), arg);
	case CTL_OPT_CONFIG:
		return ctlhttp_set(c->config, sizeof(c->config), arg);
	case CTL_OPT_JSON:
		c->json = 1;
		return 0;
	default:
		return -EINVAL;
	}
}

static int ctlhttp_env(char *dst, size_t cap, int *set, const char *name)
{
	const char *v = getenv(name);

	if (*set || !v || !*v)
		return 0;
	if (ctlhttp_set(dst, cap, v)) {
		fprintf(stderr, "epoxyctl: %s is too long\n", name);
		return -EPX_E_CTL_CONFIG;
	}
	*set = 1;
	return 0;
}

/* One "key value" line of the config file. */
static int ctlhttp_conf_line(struct ctlhttp_cfg *c, char *line,
			     const char *file, int lineno)
{
	char *sp, *key = line;
	int rc = -EPX_E_CTL_CONFIG;

	while (isspace((unsigned char)*key))
		key++;
	if (*key == '\0' || *key == '#')
		return 0;
	sp = strchr(key, ' ');
	if (!sp)
		goto bad;
	*sp++ = '\0';
	if (!strcmp(key, "url") && !c->set_url)
		rc = ctlhttp_set(c->url, sizeof(c->url), sp);
	else if (!strcmp(key, "ca") && !c->set_ca)
		rc = ctlhttp_set(c->ca, sizeof(c->ca), sp);
	else if (!strcmp(key, "credential") && !c->set_cred)
		rc = ctlhttp_set(c->cred, sizeof(c->cred), sp);
	else if (!strcmp(key, "resolve") && !c->set_resolve)
		rc = ctlhttp_set(c->resolve, sizeof(c->resolve), sp);
	else if (!strcmp(key, "url") || !strcmp(key, "ca") ||
		 !strcmp(key, "credential") || !strcmp(key, "resolve"))
		rc = 0; /* overridden by a flag or the environment */
	if (rc == 0)
		return 0;
bad:
	fprintf(stderr, "epoxyctl: %s:%d: bad line (want 'url|ca|credential|resolve VALUE')\n",
		file, lineno);
	return -EPX_E_CTL_CONFIG;
}

static int ctlhttp_conf_file(struct ctlhttp_cfg *c, const char *path,
			     int must_exist)
{
	char line[CTLHTTP_CONF_LINE_MAX];
	int rc = -EPX_E_CTL_CONFIG, lineno = 0;
	FILE *f = fopen(path, "r");

	if (!f) {
		if (!must_exist && errno == ENOENT)
			return 0;
		fprintf(stderr, "epoxyctl: cannot open config %s: %s\n", path,
			strerror(errno));
		return rc;
	}
	while (fgets(line, sizeof(line), f)) {
		size_t n = strlen(line);

		lineno++;
		if (n && line[n - 1] == '\n')
			line[--n] = '\0';
		else if (!feof(f)) {
			fprintf(stderr, "epoxyctl: %s:%d: line too long\n", path, lineno);
			goto out;
		}
		if (ctlhttp_conf_line(c, line, path, lineno))
			goto out;
	}
	rc = 0;
out:
	fclose(f);
	return rc;
}

int ctlhttp_cfg_finish(struct ctlhttp_cfg *c)
{
	char def[CTLHTTP_MAX_PATH];
	const char *home = getenv("HOME");
	int rc;

	rc = ctlhttp_env(c->url, sizeof(c->url), &c->set_url, "EPOXY_URL");
	rc = rc ? rc : ctlhttp_env(c->ca, sizeof(c->ca), &c->set_ca, "EPOXY_CA");
	rc = rc ? rc : ctlhttp_env(c->cred, sizeof(c->cred), &c->set_cred,
				   "EPOXY_ADMIN_CREDENTIAL");
	rc = rc ? rc : ctlhttp_env(c->resolve, sizeof(c->resolve),
				   &c->set_resolve, "EPOXY_RESOLVE");
	if (rc)
		return rc;
	if (!c->config[0] && getenv("EPOXY_CONFIG") && *getenv("EPOXY_CONFIG") &&
	    ctlhttp_set(c->config, sizeof(c->config), getenv("EPOXY_CONFIG")))
		return -EPX_E_CTL_CONFIG;
	if (c->config[0])
		rc = ctlhttp_conf_file(c, c->config, 1);
	else if (home && snprintf(def, sizeof(def), "%s/.config/epoxy/epoxyctl.conf",
				  home) < (int)sizeof(def))
		rc = ctlhttp_conf_file(c, def, 0);
	if (rc)
		return rc;
	while (c->url[0] && c->url[strlen(c->url) - 1] == '/')
		c->url[strlen(c->url) - 1] = '\0';
	if (strncmp(c->url, "https://", 8) || strlen(c->url) <= 8) {
		fprintf(stderr, "epoxyctl: no server URL (want --url https://NAME:PORT or EPOXY_URL)\n");
		return -EPX_E_CTL_CONFIG;
	}
	if (!c->ca[0]) {
		fprintf(stderr, "epoxyctl: no pinned CA (want --ca FILE or EPOXY_CA)\n");
		return -EPX_E_CTL_CONFIG;
	}
	return 0;
}

/* Reads the 64-hex credential into hdr as "Authorization: Epoxy-Admin X". */
static int ctlhttp_cred(const struct ctlhttp_cfg *c, char *hdr, size_t cap)
{
	char buf[CTLHTTP_CRED_FILE_MAX];
	int rc = -EPX_E_CTL_CRED, fd = -1;
	ssize_t n;
	size_t i;

	if (!c->cred[0]) {
		fprintf(stderr, "epoxyctl: no admin credential (want --credential FILE or EPOXY_ADMIN_CREDENTIAL)\n");
		return rc;
	}
	fd = open(c->cred, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		fprintf(stderr, "epoxyctl: cannot read credential file %s: %s\n",
			c->cred, strerror(errno));
		return rc;
	}
	n = read(fd, buf, sizeof(buf) - 1);
	if (n < 64)
		goto bad;
	if (hex_check(buf, 64, 64) < 0)        /* one spelling: lowercase */
		goto bad;
	for (i = 64; i < (size_t)n; i++)
		if (!isspace((unsigned char)buf[i]))
			goto bad;
	if (snprintf(hdr, cap, "Authorization: Epoxy-Admin %.64s", buf) >= (int)cap)
		goto bad;
	rc = 0;
	goto out;
bad:
	fprintf(stderr, "epoxyctl: credential file %s: want 64 lowercase hex digits\n", c->cred);
out:
	explicit_bzero(buf, sizeof(buf));
	close(fd);
	return rc;
}

static size_t ctlhttp_write(char *p, size_t sz, size_t nm, void *arg)
{
	struct record_buf *b = arg;
	size_t n = sz * nm;

	record_buf_add(b, p, n);
	return b->err ? 0 : n;
}

static int ctlhttp_setup(CURL *h, const struct ctlhttp_cfg *c,
			 const char *method, const char *url)
{
	CURLcode e = CURLE_OK;

	e |= curl_easy_setopt(h, CURLOPT_URL, url);
	e |= curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "https");
	e |= curl_easy_setopt(h, CURLOPT_CAINFO, c->ca);
	e |= curl_easy_setopt(h, CURLOPT_CAPATH, NULL);
	e |= curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L);
	e |= curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 2L);
	/* trust anchors are CAs only: a pinned leaf certificate is no anchor */
	e |= curl_easy_setopt(h, CURLOPT_SSL_OPTIONS, (long)CURLSSLOPT_NO_PARTIALCHAIN);
	e |= curl_easy_setopt(h, CURLOPT_SSLVERSION, (long)CURL_SSLVERSION_TLSv1_2);
	e |= curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
	e |= curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	e |= curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, (long)CTLHTTP_CONNECT_TIMEOUT);
	e |= curl_easy_setopt(h, CURLOPT_TIMEOUT, (long)CTLHTTP_TIMEOUT);
	e |= curl_easy_setopt(h, CURLOPT_USERAGENT, "epoxyctl/" EPOXY_VERSION);
	e |= curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
	if (!strcmp(method, "HEAD"))
		e |= curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
	return e == CURLE_OK ? 0 : -EPX_E_CTL_CONFIG;
}

/* Where an answer's body goes: rep->body, or sink (a 2xx body only). */
struct ctlhttp_dest {
	CURL *h;
	struct ctlhttp_reply *rep;
	const struct ctlhttp_sink *sink;
	int sink_err;
};

static size_t ctlhttp_dest_write(char *p, size_t sz, size_t nm, void *arg)
{
	struct ctlhttp_dest *d = arg;
	long status = 0;

	if (d->sink) {
		curl_easy_getinfo(d->h, CURLINFO_RESPONSE_CODE, &status);
		if (status >= 200 && status < 300) {
			d->sink_err = d->sink->write(p, sz * nm, d->sink->arg);
			return d->sink_err ? 0 : sz * nm;
		}
	}
	return ctlhttp_write(p, sz, nm, &d->rep->body);
}

static int ctlhttp_perform(const struct ctlhttp_cfg *c, const char *method,
			   const char *path, const char *ctype, const void *body,
			   size_t len, const struct ctlhttp_upload *up,
			   const struct ctlhttp_sink *sink, struct ctlhttp_reply *rep)
{
	char auth[128], url[CTLHTTP_MAX_URL + CTLHTTP_MAX_PATH], cth[96];
	struct curl_slist *hdrs = NULL, *res = NULL, *t;
	struct ctlhttp_dest dest = { NULL, rep, sink, 0 };
	int rc = -EPX_E_CTL_CONNECT;
	CURLcode e;
	CURL *h = NULL;

	memset(rep, 0, sizeof(*rep));
	record_buf_init(&rep->body, CTLHTTP_MAX_REPLY);
	auth[0] = '\0';
	if (snprintf(url, sizeof(url), "%s%s", c->url, path) >= (int)sizeof(url))
		return -EPX_E_CTL_CONFIG;
	if (!sink || !sink->anonymous) {
		rc = ctlhttp_cred(c, auth, sizeof(auth));
		if (rc)
			return rc;
	}
	rc = -EPX_E_CTL_CONNECT;
	h = dest.h = curl_easy_init();
	if (!h || ctlhttp_setup(h, c, method, url))
		goto out;
	if (auth[0]) {
		t = curl_slist_append(hdrs, auth);
		if (!t)
			goto out;
		hdrs = t;
	}
	if (ctype) {
		snprintf(cth, sizeof(cth), "Content-Type: %s", ctype);
		t = curl_slist_append(hdrs, cth);
		if (!t)
			goto out;
		hdrs = t;
	}
	/* an upload asks first (100-continue): epoxyd refuses a body over
	 * its cap from the headers, and the refusal (413 EPOXY-E2204) then
	 * reaches us instead of a reset in the middle of sending the body */
	t = curl_slist_append(hdrs, up ? "Expect: 100-continue" : "Expect:");
	if (!t)
		goto out;
	hdrs = t;
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
	if (c->resolve[0]) {
		res = curl_slist_append(NULL, c->resolve);
		if (!res)
			goto out;
		curl_easy_setopt(h, CURLOPT_RESOLVE, res);
	}
	if (up) {
		curl_easy_setopt(h, CURLOPT_UPLOAD, 1L);
		curl_easy_setopt(h, CURLOPT_READFUNCTION, up->read);
		curl_easy_setopt(h, CURLOPT_READDATA, up->arg);
		curl_easy_setopt(h, CURLOPT_INFILESIZE_LARGE, (curl_off_t)up->len);
		curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
	} else if (body) {
		curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
		curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
	}
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, ctlhttp_dest_write);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, &dest);
	e = curl_easy_perform(h);
	if (e == CURLE_WRITE_ERROR && dest.sink_err) {
		rc = dest.sink_err;
		goto out;
	}
	if (e == CURLE_WRITE_ERROR && rep->body.err) {
		fprintf(stderr, "epoxyctl: reply from %s over its cap\n", c->url);
		rc = -EPX_E_CTL_REPLY;
		goto out;
	}
	if (e != CURLE_OK) {
		char code[16];

		fprintf(stderr, "epoxyctl: %s %s: %s (%s)\n", method, url,
			curl_easy_strerror(e), epx_code(-EPX_E_CTL_CONNECT, code, sizeof(code)));
		goto out;
	}
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &rep->status);
	if (!rep->body.buf)
		record_buf_add(&rep->body, "", 0);
	rc = rep->body.err ? -EPX_E_CTL_REPLY : 0;
out:
	explicit_bzero(auth, sizeof(auth));
	/* libcurl keeps its own copy of the header list: wipe those too */
	for (t = hdrs; t; t = t->next)
		explicit_bzero(t->data, strlen(t->data));
	curl_slist_free_all(hdrs);
	curl_slist_free_all(res);
	if (h)
		curl_easy_cleanup(h);
	if (rc)
		record_buf_free(&rep->body);
	return rc;
}

int ctlhttp_request(const struct ctlhttp_cfg *c, const char *method,
		    const char *path, const char *ctype, const void *body,
		    size_t len, const struct ctlhttp_upload *up,
		    struct ctlhttp_reply *rep)
{
	return ctlhttp_perform(c, method, path, ctype, body, len, up, NULL, rep);
}

int ctlhttp_fetch(const struct ctlhttp_cfg *c, const char *path,
		  const struct ctlhttp_sink *sink, struct ctlhttp_reply *rep)
{
	return ctlhttp_perform(c, "GET", path, NULL, NULL, 0, NULL, sink, rep);
}

int ctlhttp_exit(const char *what, const struct ctlhttp_reply *rep)
{
	const char *b = rep->body.buf ? rep->body.buf : "";
	int n = (int)strcspn(b, "\n");

	if (rep->status >= 200 && rep->status < 300)
		return CLI_OK;
	if (n > 300)
		n = 300;
	fprintf(stderr, "epoxyctl: %s: HTTP %ld: %.*s\n", what, rep->status,
		n, b);
	if (rep->status == 401 || rep->status == 403)
		return CLI_UNREACHABLE;
	return CLI_FAIL;
}

int ctlhttp_seg(char *out, size_t cap, const char *s)
{
	/* lib/pct.h: RFC 3986 unreserved by byte value, whatever the locale */
	return pct_encode(s, strlen(s), out, cap, NULL);
}
