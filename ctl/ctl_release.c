/* ctl_release: `epoxyctl release sign|verify|publish|list|promote|pin|rollout`.
 *
 * sign and verify are offline and belong to the trust library's CLI
 * (keys/relsign.c); this module routes to them.  publish uploads the
 * signed manifest and its four artifacts in one request; the SERVER verifies
 * the manifest against its keyset and each artifact's length and SHA-256
 * before it records anything, so a tampered upload is refused there with
 * the trust library's own code.  Guarantees: files are streamed (never read
 * whole), each exactly its size at open time; a file that changes size
 * while being sent aborts the upload. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <curl/curl.h>

#include "ctl/ctl.h"
#include "ctl/ctl_cli.h"
#include "keys/relsign.h"
#include "lib/err.h"
#include "lib/hex.h"
#include "lib/manifest.h"

static const char ctl_release_help[] =
"usage: epoxyctl release sign ...             (offline; see epoxyctl release sign --help)\n"
"       epoxyctl release verify ...           (offline; see epoxyctl release verify --help)\n"
"       epoxyctl release publish --manifest M --artifacts DIR\n"
"       epoxyctl release list [--json]\n"
"       epoxyctl release promote VERSION --channel C\n"
"       epoxyctl release pin HOST VERSION\n"
"       epoxyctl release pin --group G [--channel C] VERSION\n"
"       epoxyctl release rollout VERSION --channel C [--canary N|P%] [--step P%]\n"
"                                [--max-failures F] [--wait DURATION]\n"
"       epoxyctl release rollout status [--channel C [--hosts]] [--json]\n"
"       epoxyctl release rollout pause|resume|abort --channel C\n"
"\n"
"publish uploads the signed manifest M and the artifacts DIR/kernel, DIR/initramfs,\n"
"DIR/cmdline and DIR/join (or DIR/<sha256> for each); the server checks the manifest\n"
"against its keyset and every artifact's length and SHA-256 before accepting.\n"
"promote points channel C (hosts follow 'stable' by default) at VERSION.  pin fixes\n"
"HOST, or the hosts of group G that follow channel C (default stable), to VERSION;\n"
"VERSION 0 removes the pin.\n"
"rollout moves the unpinned hosts of channel C to VERSION in waves: --canary hosts\n"
"(default 1) chosen across sites, then steps of --step % of the hosts (default 25%);\n"
"a wave starts when every host of the one before joined on VERSION, --wait later\n"
"(N, Ns, Nm, Nh or Nd; default 0); more than --max-failures failed hosts (default 0)\n"
"halt it, and hosts not yet moved stay on the old release.  At the end C points\n"
"at VERSION.  abort sends the moved hosts back to the channel's release.\n"
"\n"
"connection: --url URL --ca FILE --credential FILE [--resolve NAME:PORT:ADDR]\n"
"            [--config FILE] (or EPOXY_URL, EPOXY_CA, EPOXY_ADMIN_CREDENTIAL, ...)\n"
"exit status: 0 ok, 1 refused or failed, 2 usage, 3 unreachable or not authorised\n";

enum { OPT_MANIFEST = 1, OPT_ARTIFACTS, OPT_CHANNEL, OPT_GROUP, OPT_CANARY, OPT_STEP,
	OPT_MAXFAIL, OPT_WAIT, OPT_HOSTS };

static const struct option ctl_release_opts[] = {
	{ "manifest", required_argument, NULL, OPT_MANIFEST },
	{ "artifacts", required_argument, NULL, OPT_ARTIFACTS },
	{ "channel", required_argument, NULL, OPT_CHANNEL },
	{ "group", required_argument, NULL, OPT_GROUP },
	{ "canary", required_argument, NULL, OPT_CANARY },
	{ "step", required_argument, NULL, OPT_STEP },
	{ "max-failures", required_argument, NULL, OPT_MAXFAIL },
	{ "wait", required_argument, NULL, OPT_WAIT },
	{ "hosts", no_argument, NULL, OPT_HOSTS },
	CTLHTTP_LONGOPTS,
	{ NULL, 0, NULL, 0 },
};

struct ctl_release_args {
	const char *manifest, *artifacts, *channel, *group;
	const char *canary, *step, *maxfail, *wait;   /* rollout */
	int hosts;
};

static int ctl_release_opt(int opt, const char *arg, void *p)
{
	struct ctl_release_args *a = p;

	switch (opt) {
	case OPT_MANIFEST: a->manifest = arg; return 0;
	case OPT_ARTIFACTS: a->artifacts = arg; return 0;
	case OPT_CHANNEL: a->channel = arg; return 0;
	case OPT_GROUP: a->group = arg; return 0;
	case OPT_CANARY: a->canary = arg; return 0;
	case OPT_STEP: a->step = arg; return 0;
	case OPT_MAXFAIL: a->maxfail = arg; return 0;
	case OPT_WAIT: a->wait = arg; return 0;
	case OPT_HOSTS: a->hosts = 1; return 0;
	}
	return -EPX_E_CTL_USAGE;
}

/* ---------------------------------------------------------------- publish */

struct ctl_up_seg {
	const uint8_t *mem;      /* or */
	int fd;
	uint64_t len, done;
};

struct ctl_up {
	struct ctl_up_seg seg[1 + MANIFEST_NROLES];
	size_t n, cur;
};

static size_t ctl_release_up_read(char *p, size_t sz, size_t nm, void *arg)
{
	struct ctl_up *u = arg;
	size_t want = sz * nm;
	struct ctl_up_seg *s;
	ssize_t got;

	while (u->cur < u->n && u->seg[u->cur].done == u->seg[u->cur].len)
		u->cur++;
	if (u->cur == u->n)
		return 0;
	s = &u->seg[u->cur];
	if (want > s->len - s->done)
		want = (size_t)(s->len - s->done);
	if (s->mem) {
		memcpy(p, s->mem + s->done, want);
		got = (ssize_t)want;
	} else {
		got = read(s->fd, p, want);
		if (got <= 0) /* shrank or failed: never send a short body */
			return CURL_READFUNC_ABORT;
	}
	s->done += (uint64_t)got;
	return (size_t)got;
}

static int ctl_release_open(const char *dir, const char *role,
			    const struct manifest_artifact *art, struct ctl_up_seg *s)
{
	char path[4096], hex[65];
	struct stat st;

	snprintf(path, sizeof(path), "%s/%s", dir, role);
	s->fd = open(path, O_RDONLY | O_CLOEXEC);
	if (s->fd < 0) {
		hex_encode(art->sha256, 32, hex);
		snprintf(path, sizeof(path), "%s/%s", dir, hex);
		s->fd = open(path, O_RDONLY | O_CLOEXEC);
	}
	if (s->fd < 0 || fstat(s->fd, &st) || !S_ISREG(st.st_mode)) {
		fprintf(stderr, "epoxyctl: release publish: no regular file %s/%s (or named by its SHA-256)\n",
			dir, role);
		return -EPX_E_CTL_INFILE;
	}
	s->len = (uint64_t)st.st_size;
	return 0;
}

static int ctl_release_publish(const struct ctlhttp_cfg *cfg,
			       const struct ctl_release_args *a)
{
	static const char *const cols[] = { "version", "hwclass", "expires",
		"manifest", NULL };
	uint8_t mbuf[DOC_MAX_BYTES + 1];
	struct ctlhttp_upload up;
	struct ctlhttp_reply rep;
	struct manifest m;
	struct ctl_up u;
	char path[64];
	ssize_t mlen;
	size_t i;
	int fd, rc, st = CLI_FAIL;

	memset(&u, 0, sizeof(u));
	for (i = 0; i < 1 + MANIFEST_NROLES; i++)
		u.seg[i].fd = -1;
	fd = open(a->manifest, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		fprintf(stderr, "epoxyctl: release publish: %s: %s\n", a->manifest, strerror(errno));
		return CLI_FAIL;
	}
	mlen = 0;
	for (;;) { /* whole file, at most one byte over the cap */
		ssize_t n = read(fd, mbuf + mlen, sizeof(mbuf) - (size_t)mlen);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			if (n < 0)
				mlen = -1;
			break;
		}
		mlen += n;
		if ((size_t)mlen == sizeof(mbuf))
			break;
	}
	close(fd);
	if (mlen <= 0 || (size_t)mlen > DOC_MAX_BYTES) {
		fprintf(stderr, "epoxyctl: release publish: %s: empty or over 16 KiB\n", a->manifest);
		return CLI_FAIL;
	}
	rc = manifest_parse(&m, (const char *)mbuf, (size_t)mlen);
	if (rc) {
		fprintf(stderr, "epoxyctl: release publish: %s: %s\n", a->manifest, epx_strerror(rc));
		return CLI_FAIL;
	}
	u.seg[0].mem = mbuf;
	u.seg[0].len = (uint64_t)mlen;
	up.len = (uint64_t)mlen;
	for (i = 0; i < MANIFEST_NROLES; i++) {
		if (ctl_release_open(a->artifacts, manifest_role_name((enum manifest_role)i),
				     &m.art[i], &u.seg[1 + i]))
			goto out;
		up.len += u.seg[1 + i].len;
	}
	u.n = 1 + MANIFEST_NROLES;
	up.read = ctl_release_up_read;
	up.arg = &u;
	snprintf(path, sizeof(path), "/admin/v1/releases?manifest=%zd", mlen);
	rc = ctlhttp_request(cfg, "POST", path, "application/octet-stream", NULL, 0,
			     &up, &rep);
	if (rc) {
		st = rc == -EPX_E_CTL_CONNECT || rc == -EPX_E_CTL_CRED ? CLI_UNREACHABLE : CLI_FAIL;
		goto out;
	}
	st = ctlhttp_exit("release publish", &rep);
	if (st == CLI_OK)
		st = ctl_cli_table(rep.body.buf, rep.body.len, cfg->json, cols);
	record_buf_free(&rep.body);
out:
	for (i = 1; i < 1 + MANIFEST_NROLES; i++)
		if (u.seg[i].fd >= 0)
			close(u.seg[i].fd);
	return st;
}

/* ------------------------------------------------- list, promote, pin */

static int ctl_release_list(const struct ctlhttp_cfg *cfg)
{
	static const char *const cols[] = { "version", "hwclass", "expires",
		"published", "manifest", NULL };
	struct ctlhttp_reply rep;
	int st = ctl_cli_call(cfg, "release list", "GET", "/admin/v1/releases", NULL, &rep);

	if (st)
		return st;
	st = ctl_cli_table(rep.body.buf, rep.body.len, cfg->json, cols);
	record_buf_free(&rep.body);
	return st;
}

static int ctl_release_post(const struct ctlhttp_cfg *cfg, const char *what,
			    const char *path, struct record_buf *f)
{
	struct ctlhttp_reply rep;
	int st = ctl_cli_call(cfg, what, "POST", path, f, &rep);

	record_buf_free(f);
	if (st)
		return st;
	st = ctl_cli_show(rep.body.buf, rep.body.len, cfg->json);
	record_buf_free(&rep.body);
	return st;
}

static int ctl_release_promote(const struct ctlhttp_cfg *cfg,
			       const struct ctl_release_args *a, const char *version)
{
	char seg[400], path[500];
	struct record_buf f;

	if (!a->channel)
		return ctl_cli_usage("release", "promote: --channel C is required");
	if (strlen(a->channel) > 128 || ctlhttp_seg(seg, sizeof(seg), a->channel))
		return ctl_cli_usage("release", "channel name too long");
	snprintf(path, sizeof(path), "/admin/v1/channels/%s", seg);
	record_buf_init(&f, 256);
	record_buf_field(&f, "version", version);
	return ctl_release_post(cfg, "release promote", path, &f);
}

static int ctl_release_pin(const struct ctlhttp_cfg *cfg,
			   const struct ctl_release_args *a, char **pos, int npos)
{
	struct record_buf f;

	if (a->group ? npos != 1 : npos != 2)
		return ctl_cli_usage("release", "want: pin HOST VERSION | pin --group G [--channel C] VERSION");
	if (!a->group && a->channel)
		return ctl_cli_usage("release", "pin: --channel applies to --group pins");
	record_buf_init(&f, 1024);
	if (a->group) {
		record_buf_field(&f, "group", a->group);
		if (a->channel)
			record_buf_field(&f, "channel", a->channel);
	} else {
		record_buf_field(&f, "host", pos[0]);
	}
	record_buf_field(&f, "version", pos[npos - 1]);
	return ctl_release_post(cfg, "release pin", "/admin/v1/pins", &f);
}

/* ---------------------------------------------------------------- rollout */

static const char *const ctl_release_rollout_cols[] = { "channel", "version", "from",
	"state", "wave", "waves", "hosts", "waiting", "moved", "joined", "failed", NULL };

static int ctl_release_rollout_path(const struct ctl_release_args *a, const char *tail,
				    char *path, size_t cap)
{
	char seg[400];

	if (!a->channel)
		return ctl_cli_usage("release", "rollout: --channel C is required");
	if (strlen(a->channel) > 128 || ctlhttp_seg(seg, sizeof(seg), a->channel))
		return ctl_cli_usage("release", "channel name too long");
	snprintf(path, cap, "/admin/v1/rollouts/%s%s", seg, tail);
	return 0;
}

static int ctl_release_rollout_status(const struct ctlhttp_cfg *cfg,
				      const struct ctl_release_args *a)
{
	static const char *const hcols[] = { "host", "site", "wave", "state", "code", NULL };
	struct ctlhttp_reply rep;
	char path[500];
	int st;

	if (a->hosts && !a->channel)
		return ctl_cli_usage("release", "rollout status: --hosts needs --channel C");
	if (!a->channel)
		snprintf(path, sizeof(path), "/admin/v1/rollouts");
	else if ((st = ctl_release_rollout_path(a, a->hosts ? "?hosts=1" : "", path,
					       sizeof(path))))
		return st;
	st = ctl_cli_call(cfg, "release rollout status", "GET", path, NULL, &rep);
	if (st)
		return st;
	if (a->hosts)
		st = ctl_cli_table(rep.body.buf, rep.body.len, cfg->json, hcols);
	else
		st = ctl_cli_table(rep.body.buf, rep.body.len, cfg->json,
				   ctl_release_rollout_cols);
	record_buf_free(&rep.body);
	return st;
}

static int ctl_release_rollout(const struct ctlhttp_cfg *cfg,
			       const struct ctl_release_args *a, const char *arg)
{
	char path[500], tail[16];
	struct record_buf f;
	int verb = !strcmp(arg, "pause") || !strcmp(arg, "resume") || !strcmp(arg, "abort");
	int st;

	if (!strcmp(arg, "status"))
		return ctl_release_rollout_status(cfg, a);
	if (verb && (a->canary || a->step || a->maxfail || a->wait))
		return ctl_cli_usage("release", "rollout pause|resume|abort take --channel only");
	snprintf(tail, sizeof(tail), "%s%s", verb ? "/" : "", verb ? arg : "");
	st = ctl_release_rollout_path(a, tail, path, sizeof(path));
	if (st)
		return st;
	record_buf_init(&f, 1024);
	if (!verb) {
		record_buf_field(&f, "version", arg);
		if (a->canary)
			record_buf_field(&f, "canary", a->canary);
		if (a->step)
			record_buf_field(&f, "step", a->step);
		if (a->maxfail)
			record_buf_field(&f, "max_failures", a->maxfail);
		if (a->wait)
			record_buf_field(&f, "wait", a->wait);
	}
	return ctl_release_post(cfg, verb ? "release rollout" : "release rollout start",
				path, &f);
}

int ctl_release_main(int argc, char **argv)
{
	struct ctl_release_args a;
	struct ctlhttp_cfg cfg;
	const char *verb;
	int st, npos;

	if (argc >= 2 && !strcmp(argv[1], "sign"))
		return relsign_sign(argc - 1, argv + 1);
	if (argc >= 2 && !strcmp(argv[1], "verify"))
		return relsign_verify(argc - 1, argv + 1);
	memset(&a, 0, sizeof(a));
	ctlhttp_cfg_init(&cfg);
	if (ctl_cli_parse(argc, argv, ctl_release_opts, &cfg, ctl_release_help,
			  ctl_release_opt, &a, &st))
		return st;
	npos = argc - optind;
	if (npos < 1)
		return ctl_cli_usage("release", "missing subcommand");
	verb = argv[optind];
	if (strcmp(verb, "publish") && (a.manifest || a.artifacts))
		return ctl_cli_usage("release", "--manifest/--artifacts apply to publish only");
	if (strcmp(verb, "rollout") && (a.canary || a.step || a.maxfail || a.wait || a.hosts))
		return ctl_cli_usage("release", "--canary/--step/--max-failures/--wait/--hosts apply to rollout only");
	if (!strcmp(verb, "publish")) {
		if (npos != 1 || !a.manifest || !a.artifacts || a.channel || a.group)
			return ctl_cli_usage("release", "want: publish --manifest M --artifacts DIR");
	} else if (!strcmp(verb, "list")) {
		if (npos != 1 || a.channel || a.group)
			return ctl_cli_usage("release", "list takes no arguments");
	} else if (!strcmp(verb, "promote")) {
		if (npos != 2 || a.group)
			return ctl_cli_usage("release", "want: promote VERSION --channel C");
	} else if (!strcmp(verb, "rollout")) {
		if (npos != 2 || a.group)
			return ctl_cli_usage("release", "want: rollout VERSION --channel C | rollout status|pause|resume|abort");
	} else if (strcmp(verb, "pin")) {
		return ctl_cli_usage("release", "unknown subcommand");
	}
	if (ctlhttp_cfg_finish(&cfg))
		return CLI_USAGE;
	if (!strcmp(verb, "publish"))
		return ctl_release_publish(&cfg, &a);
	if (!strcmp(verb, "list"))
		return ctl_release_list(&cfg);
	if (!strcmp(verb, "promote"))
		return ctl_release_promote(&cfg, &a, argv[optind + 1]);
	if (!strcmp(verb, "rollout"))
		return ctl_release_rollout(&cfg, &a, argv[optind + 1]);
	return ctl_release_pin(&cfg, &a, argv + optind + 1, npos - 1);
}
