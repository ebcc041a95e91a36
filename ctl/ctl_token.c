/* ctl_token: `epoxyctl token issue HOST [--ttl SECONDS] [--out FILE |
 * --media FILE]`.
 *
 * Guarantees: the one-time boot token is the command's output, so it is
 * printed once on stdout (or, with --out, written only to a new 0600 file;
 * with --media, only into a new 0600 token medium image for a legacy-BIOS
 * node, docs/protocol.md "Token medium"); it is wiped from memory
 * afterwards and never logged.  The medium file is created before the
 * token is issued, so an existing file costs no token. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ctl/ctl.h"
#include "ctl/ctl_cli.h"
#include "lib/err.h"
#include "lib/hex.h"

static const char ctl_token_help[] =
"usage: epoxyctl token issue HOST [--ttl SECONDS] [--out FILE | --media FILE]\n"
"                              [--json]\n"
"\n"
"Issues a one-time boot token for HOST, valid for --ttl seconds (default 3600,\n"
"at most 604800).  It lets the host open one boot session without its boot\n"
"credential (first boot from removable media, or after a revocation).  The token\n"
"is printed once on stdout, or written to a new 0600 FILE with --out.\n"
"With --media, it goes into a new 0600 FILE of 512 bytes, a token medium for a\n"
"legacy-BIOS node: dd it to sector 0 of a USB stick or disk the node boots with\n"
"(dd if=FILE of=/dev/sdX bs=512 count=1 conv=fsync); nothing secret is printed.\n"
"\n"
"connection: --url URL --ca FILE --credential FILE [--resolve NAME:PORT:ADDR]\n"
"            [--config FILE] (or EPOXY_URL, EPOXY_CA, EPOXY_ADMIN_CREDENTIAL, ...)\n"
"exit status: 0 ok, 1 refused or failed, 2 usage, 3 unreachable or not authorised\n";

enum { OPT_TTL = 1, OPT_OUT, OPT_MEDIA };

/* The token medium, sector 0 of a disk (docs/protocol.md; the agent's
 * reader is stage2/media.c): these lines, then zeros to the end. */
#define CTL_MEDIA_SECTOR 512
#define CTL_MEDIA_HOST_MAX 63

static const struct option ctl_token_opts[] = {
	{ "ttl", required_argument, NULL, OPT_TTL },
	{ "out", required_argument, NULL, OPT_OUT },
	{ "media", required_argument, NULL, OPT_MEDIA },
	CTLHTTP_LONGOPTS,
	{ NULL, 0, NULL, 0 },
};

struct ctl_token_args {
	const char *ttl, *out, *media;
};

static int ctl_token_opt(int opt, const char *arg, void *p)
{
	struct ctl_token_args *a = p;

	if (opt == OPT_TTL)
		a->ttl = arg;
	else if (opt == OPT_OUT)
		a->out = arg;
	else if (opt == OPT_MEDIA)
		a->media = arg;
	else
		return -EPX_E_CTL_USAGE;
	return 0;
}

struct ctl_token_res {
	const char *token, *expires;
};

static int ctl_token_rec(const struct form *r, void *arg)
{
	struct ctl_token_res *t = arg;
	const char *v = form_get(r, "token");

	if (hex_check_str(v, 64) < 0)
		return -EPX_E_CTL_REPLY;
	t->token = v;
	t->expires = form_get(r, "expires");
	return 0;
}

/* Writes the 512-byte medium for host and token to fd and closes it;
 * wipes the sector.  Returns 0 or -EPX_E_CTL_OUTFILE. */
static int ctl_token_media_write(int fd, const char *host, const char *token)
{
	char sec[CTL_MEDIA_SECTOR];
	int n, rc = -EPX_E_CTL_OUTFILE;

	memset(sec, 0, sizeof(sec));
	n = snprintf(sec, sizeof(sec), "epoxy-token-medium 1\nhost %s\ntoken %s\nend\n",
		     host, token);
	if (n > 0 && (size_t)n < sizeof(sec) &&
	    write(fd, sec, sizeof(sec)) == (ssize_t)sizeof(sec) && fsync(fd) == 0)
		rc = 0;
	explicit_bzero(sec, sizeof(sec));
	if (close(fd) && !rc)
		rc = -EPX_E_CTL_OUTFILE;
	return rc;
}

int ctl_token_main(int argc, char **argv)
{
	struct ctl_token_args a = { NULL, NULL, NULL };
	struct ctl_token_res t = { NULL, NULL };
	struct ctlhttp_reply rep;
	struct ctlhttp_cfg cfg;
	char seg[800], path[900];
	struct record_buf f;
	int st, mfd = -1, ofd = -1;

	ctlhttp_cfg_init(&cfg);
	if (ctl_cli_parse(argc, argv, ctl_token_opts, &cfg, ctl_token_help,
			  ctl_token_opt, &a, &st))
		return st;
	if (argc - optind != 2 || strcmp(argv[optind], "issue"))
		return ctl_cli_usage("token", "want: token issue HOST");
	if (strlen(argv[optind + 1]) > 256 ||
	    ctlhttp_seg(seg, sizeof(seg), argv[optind + 1]))
		return ctl_cli_usage("token", "host name too long");
	if (a.media && (a.out || cfg.json))
		return ctl_cli_usage("token", "--media writes the token only to FILE: "
				     "not with --out or --json");
	if (a.media && strlen(argv[optind + 1]) > CTL_MEDIA_HOST_MAX)
		return ctl_cli_usage("token", "host name too long for a token medium (63 bytes)");
	snprintf(path, sizeof(path), "/admin/v1/hosts/%s/token", seg);
	if (ctlhttp_cfg_finish(&cfg))
		return CLI_USAGE;
	/* every local precondition before the server issues anything */
	if (a.media && (mfd = ctl_cli_secret_open(a.media)) < 0)
		return CLI_FAIL;
	if (a.out && (ofd = ctl_cli_secret_open(a.out)) < 0)
		return CLI_FAIL;
	record_buf_init(&f, 256);
	if (a.ttl)
		record_buf_field(&f, "ttl", a.ttl);
	st = ctl_cli_call(&cfg, "token issue", "POST", path, &f, &rep);
	record_buf_free(&f);
	if (st) {
		if (mfd >= 0) {
			close(mfd);
			unlink(a.media);
		}
		ctl_cli_secret_abandon(ofd, a.out);
		return st;
	}
	st = CLI_FAIL;
	if (record_each(rep.body.buf, rep.body.len, ctl_token_rec, &t) || !t.token) {
		fprintf(stderr, "epoxyctl: token issue: answer malformed (%s)\n",
			epx_code_str(EPX_E_CTL_REPLY));
		goto out;
	}
	if (mfd >= 0) {
		int wrc = ctl_token_media_write(mfd, argv[optind + 1], t.token);

		mfd = -1;
		if (wrc) {
			fprintf(stderr, "epoxyctl: cannot write %s: %s (%s)\n",
				a.media, strerror(errno), epx_code_str(EPX_E_CTL_OUTFILE));
			unlink(a.media);
			goto out;
		}
		fprintf(stderr, "epoxyctl: token medium for %s written to %s (512 bytes, expires %s); "
			"dd it to sector 0 of a disk or USB stick the node boots with\n",
			argv[optind + 1], a.media, t.expires ? t.expires : "?");
	} else if (a.out) {
		int wrc = ctl_cli_secret_write(ofd, a.out, t.token);

		ofd = -1;
		if (wrc)
			goto out;
		fprintf(stderr, "epoxyctl: boot token for %s written to %s (expires %s)\n",
			argv[optind + 1], a.out, t.expires ? t.expires : "?");
	} else if (cfg.json) {
		printf("{\"host\": ");
		record_json_str(stdout, argv[optind + 1]);
		printf(", \"token\": \"%s\", \"expires\": ", t.token);
		record_json_str(stdout, t.expires ? t.expires : "");
		printf("}\n");
	} else {
		printf("%s\n", t.token);
	}
	st = CLI_OK;
out:
	if (mfd >= 0) {
		close(mfd);
		unlink(a.media);
	}
	ctl_cli_secret_abandon(ofd, a.out);
	record_buf_wipe(&rep.body);
	return st;
}
