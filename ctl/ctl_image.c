/* ctl_image: `epoxyctl image retire FILE.auth | image dbx`.
 *
 * retire publishes a dbx update prepared offline (`epoxy-pki dbx-append`,
 * signed by the KEK, which never comes near this program) to epoxyd, which
 * checks its shape, stores it, audits it (image.retire) and names it in
 * every session statement from then on; each booting agent appends it to
 * its firmware's dbx.  Guarantees: the file is read whole, at most
 * DBX_UPDATE_MAX bytes, and checked with the same parser as the server's
 * (lib/dbx.h) before the first server call, so a wrong file changes
 * nothing anywhere; dbx shows the current update. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "ctl/ctl.h"
#include "ctl/ctl_cli.h"
#include "lib/dbx.h"
#include "lib/err.h"
#include "lib/file.h"

static const char ctl_image_help[] =
"usage: epoxyctl image retire FILE.auth    publish a dbx update (epoxy-pki dbx-append)\n"
"       epoxyctl image dbx                 the current dbx update\n"
"options: --url URL --credential FILE --ca FILE --resolve H:P:A --config FILE --json\n"
"Every booting node appends the current dbx update to its firmware's\n"
"forbidden-signature database before it goes on; the firmware then refuses\n"
"the retired images.  exit: 0 ok, 1 refused, 2 usage, 3 server unreachable\n";

static const struct option ctl_image_opts[] = {
	CTLHTTP_LONGOPTS,
	{ NULL, 0, NULL, 0 },
};

static int ctl_image_opt(int opt, const char *arg, void *p)
{
	return -EPX_E_CTL_USAGE;
}

static const char *const ctl_image_cols[] = { "sha256", "hashes", "length",
	"published", "actor", NULL };

static int ctl_image_retire(const struct ctlhttp_cfg *cfg, const char *file)
{
	static uint8_t buf[DBX_UPDATE_MAX + 1];
	struct ctlhttp_reply rep;
	struct dbx_update u;
	long len = file_read(file, buf, sizeof(buf));
	int rc, st;

	if (len < 0) {
		fprintf(stderr, "epoxyctl: image retire: %s: %s\n", file, strerror((int)-len));
		return CLI_FAIL;
	}
	rc = (size_t)len > DBX_UPDATE_MAX ? -EPX_E_DBX_SYNTAX : dbx_parse(&u, buf, (size_t)len);
	if (rc) {
		fprintf(stderr, "epoxyctl: image retire: %s: %s %s\n", file,
			epx_code_str(-rc), epx_strerror(rc));
		return CLI_FAIL;
	}
	rc = ctlhttp_request(cfg, "POST", "/admin/v1/dbx", "application/octet-stream",
			     buf, (size_t)len, NULL, &rep);
	if (rc)
		return rc == -EPX_E_CTL_CONNECT || rc == -EPX_E_CTL_CRED ? CLI_UNREACHABLE : CLI_FAIL;
	st = ctlhttp_exit("image retire", &rep);
	if (st == CLI_OK)
		st = ctl_cli_table(rep.body.buf, rep.body.len, cfg->json, ctl_image_cols);
	record_buf_free(&rep.body);
	return st;
}

static int ctl_image_dbx(const struct ctlhttp_cfg *cfg)
{
	struct ctlhttp_reply rep;
	int st = ctl_cli_call(cfg, "image dbx", "GET", "/admin/v1/dbx", NULL, &rep);

	if (st)
		return st;
	st = ctl_cli_table(rep.body.buf, rep.body.len, cfg->json, ctl_image_cols);
	record_buf_free(&rep.body);
	return st;
}

int ctl_image_main(int argc, char **argv)
{
	struct ctlhttp_cfg cfg;
	int st, npos;

	ctlhttp_cfg_init(&cfg);
	if (ctl_cli_parse(argc, argv, ctl_image_opts, &cfg, ctl_image_help,
			  ctl_image_opt, NULL, &st))
		return st;
	npos = argc - optind;
	if (npos < 1)
		return ctl_cli_usage("image", "missing subcommand");
	if (!strcmp(argv[optind], "retire") ? npos != 2 :
	    strcmp(argv[optind], "dbx") ? 1 : npos != 1)
		return ctl_cli_usage("image", "want: retire FILE.auth | dbx");
	if (ctlhttp_cfg_finish(&cfg))
		return CLI_USAGE;
	if (!strcmp(argv[optind], "retire"))
		return ctl_image_retire(&cfg, argv[optind + 1]);
	return ctl_image_dbx(&cfg);
}
