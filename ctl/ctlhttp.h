/* ctlhttp: epoxyctl's HTTPS client for the admin API (libcurl).
 *
 * Guarantees: every request goes over HTTPS, verified against the pinned
 * CA file only (never the system store) with the host name checked and
 * TLS >= 1.2; the admin credential is read from a file (never a flag or
 * environment value), sent only in the Authorization header, and wiped
 * from memory after use; answers are capped at CTLHTTP_MAX_REPLY bytes.
 *
 * Settings come from, in order of precedence: command-line flags, the
 * environment (EPOXY_URL, EPOXY_CA, EPOXY_ADMIN_CREDENTIAL, EPOXY_RESOLVE,
 * EPOXY_CONFIG) and a config file (--config, $EPOXY_CONFIG, or
 * ~/.config/epoxy/epoxyctl.conf when present) of "key value" lines. */
#ifndef EPOXY_CTLHTTP_H
#define EPOXY_CTLHTTP_H

#include <getopt.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/record.h"

#define CTLHTTP_MAX_URL 512
#define CTLHTTP_MAX_PATH 1024
#define CTLHTTP_MAX_REPLY (8u << 20)
#define CTLHTTP_TIMEOUT 600
#define CTLHTTP_CONNECT_TIMEOUT 10

struct ctlhttp_cfg {
	char url[CTLHTTP_MAX_URL];        /* https://name:port, no trailing / */
	char ca[CTLHTTP_MAX_PATH];
	char cred[CTLHTTP_MAX_PATH];      /* path of the credential file */
	char resolve[CTLHTTP_MAX_URL];    /* name:port:addr (curl --resolve) */
	char config[CTLHTTP_MAX_PATH];
	int json;
	int set_url, set_ca, set_cred, set_resolve;
};

/* Long options every online subcommand accepts; values CTL_OPT_* below. */
enum {
	CTL_OPT_URL = 1000, CTL_OPT_CA, CTL_OPT_CRED, CTL_OPT_RESOLVE,
	CTL_OPT_CONFIG, CTL_OPT_JSON, CTL_OPT_HELP,
};
#define CTLHTTP_LONGOPTS \
	{ "url", required_argument, NULL, CTL_OPT_URL }, \
	{ "ca", required_argument, NULL, CTL_OPT_CA }, \
	{ "credential", required_argument, NULL, CTL_OPT_CRED }, \
	{ "resolve", required_argument, NULL, CTL_OPT_RESOLVE }, \
	{ "config", required_argument, NULL, CTL_OPT_CONFIG }, \
	{ "json", no_argument, NULL, CTL_OPT_JSON }, \
	{ "help", no_argument, NULL, CTL_OPT_HELP }

void ctlhttp_cfg_init(struct ctlhttp_cfg *c);
/* Handles one CTL_OPT_* option.  Returns 0, or -EINVAL (not common or
 * value too long). */
int ctlhttp_cfg_opt(struct ctlhttp_cfg *c, int opt, const char *arg);
/* Fills unset fields from the environment and the config file, then
 * checks that url and ca are set.  Returns 0 or -EPX_E_CTL_CONFIG
 * (message printed). */
int ctlhttp_cfg_finish(struct ctlhttp_cfg *c);

struct ctlhttp_reply {
	long status;             /* HTTP status, 0 if none */
	struct record_buf body;     /* NUL-terminated */
};

/* A streamed request body: read() fills up to n bytes (libcurl's read
 * callback contract: 0 at the end, CURL_READFUNC_ABORT on error). */
struct ctlhttp_upload {
	size_t (*read)(char *p, size_t sz, size_t nm, void *arg);
	void *arg;
	uint64_t len;
};

/* One admin request.  path starts with "/admin/v1/"; body/len is sent with
 * content type ctype (NULL body: none); up != NULL streams up->len bytes
 * from up->read instead.  Returns 0 with the reply filled
 * (any status), or -EPX_E_CTL_CRED / -EPX_E_CTL_CONNECT / -EPX_E_CTL_REPLY
 * (message printed).  The caller frees rep->body (record_buf_wipe when it may
 * hold a secret). */
int ctlhttp_request(const struct ctlhttp_cfg *c, const char *method,
		    const char *path, const char *ctype, const void *body,
		    size_t len, const struct ctlhttp_upload *up,
		    struct ctlhttp_reply *rep);

/* A GET whose 2xx body is streamed to write(p, n, arg) (0, or a negative
 * code that stops the transfer and is returned); any other status's body
 * lands in rep->body as for ctlhttp_request.  anonymous: no credential is
 * read or sent (the public archive paths); else path is an admin one. */
struct ctlhttp_sink {
	int (*write)(const char *p, size_t n, void *arg);
	void *arg;
	int anonymous;
};
int ctlhttp_fetch(const struct ctlhttp_cfg *c, const char *path,
		  const struct ctlhttp_sink *sink, struct ctlhttp_reply *rep);

/* Maps a reply to an exit status (0 for 2xx, 3 for 401/403, 1 otherwise)
 * and prints the server's reason for a refusal, prefixed with what. */
int ctlhttp_exit(const char *what, const struct ctlhttp_reply *rep);

/* Percent-encodes s into a path segment.  Returns 0 or -ENAMETOOLONG. */
int ctlhttp_seg(char *out, size_t cap, const char *s);

#endif
