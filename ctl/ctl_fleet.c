/* ctl_fleet: `epoxyctl fleet sd [--out FILE]`: the Prometheus file_sd
 * document of the joined nodes (server/fleetsd.h), printed or written
 * where Prometheus's file_sd_configs reads it.
 *
 * Guarantees: with --out, FILE is replaced atomically (FILE.tmp in the
 * same directory, written whole, fsynced, renamed over FILE, the
 * directory fsynced): Prometheus, which rereads the file when it
 * changes, never sees half a document; an answer that is not a JSON
 * array (its first byte '[' and its last "]\n") writes nothing; on any
 * failure FILE keeps its previous content. */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "ctl/ctl.h"
#include "ctl/ctl_cli.h"
#include "lib/err.h"

#define CTL_FLEET_PATH_MAX 4000

static const char ctl_fleet_help[] =
"usage: epoxyctl fleet sd [--out FILE]\n"
"\n"
"sd prints the Prometheus file-based service-discovery document (file_sd JSON)\n"
"of every joined node: one target group per node, its target HOST:PORT (PORT is\n"
"epoxyd's sd_metrics_port, default 9100) and its labels site, host and release.\n"
"--out FILE replaces FILE atomically (FILE.tmp, fsync, rename): point\n"
"Prometheus's file_sd_configs at FILE and run this from a timer.\n"
"\n"
"connection: --url URL --ca FILE --credential FILE [--resolve NAME:PORT:ADDR]\n"
"            [--config FILE] (or EPOXY_URL, EPOXY_CA, EPOXY_ADMIN_CREDENTIAL, ...)\n"
"exit status: 0 ok, 1 refused or failed, 2 usage, 3 unreachable or not authorised\n";

enum { OPT_OUT = 1 };

static const struct option ctl_fleet_opts[] = {
	{ "out", required_argument, NULL, OPT_OUT },
	CTLHTTP_LONGOPTS,
	{ NULL, 0, NULL, 0 },
};

static int ctl_fleet_opt(int opt, const char *arg, void *p)
{
	if (opt != OPT_OUT)
		return -EPX_E_CTL_USAGE;
	*(const char **)p = arg;
	return 0;
}

static int ctl_fleet_fail(int rc, const char *what)
{
	char code[32];

	fprintf(stderr, "epoxyctl: fleet sd: %s%s%s (%s)\n", epx_strerror(rc),
		what ? ": " : "", what ? ctl_cli_safe(what) : "", epx_code(rc, code, sizeof(code)));
	return CLI_FAIL;
}

/* fsyncs the directory holding path (the rename's durability) */
static int ctl_fleet_syncdir(const char *path)
{
	char d[CTL_FLEET_PATH_MAX + 1];
	int fd, rc;

	snprintf(d, sizeof(d), "%s", path);
	fd = open(dirname(d), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	rc = fsync(fd);
	close(fd);
	return rc;
}

static int ctl_fleet_write(const char *out, const char *doc, size_t len)
{
	char tmp[CTL_FLEET_PATH_MAX + 8];
	size_t off = 0;
	ssize_t w;
	int fd, rc = -EPX_E_CTL_SD_OUT;

	snprintf(tmp, sizeof(tmp), "%s.tmp", out);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (fd < 0)
		return ctl_fleet_fail(rc, tmp);
	while (off < len) {
		w = write(fd, doc + off, len - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			goto fail;
		off += (size_t)w;
	}
	if (fsync(fd) < 0 || close(fd) < 0) {
		fd = -1;
		goto fail;
	}
	fd = -1;
	if (rename(tmp, out) < 0 || ctl_fleet_syncdir(out) < 0)
		goto fail;
	return CLI_OK;
fail:
	if (fd >= 0)
		close(fd);
	unlink(tmp);
	return ctl_fleet_fail(rc, out);
}

static int ctl_fleet_sd(const struct ctlhttp_cfg *cfg, const char *out)
{
	struct ctlhttp_reply rep;
	const char *b;
	size_t n;
	int st = ctl_cli_call(cfg, "fleet sd", "GET", "/admin/v1/fleet/sd", NULL, &rep);

	if (st)
		return st;
	b = rep.body.buf;
	n = rep.body.len;
	if (!b || n < 3 || b[0] != '[' || b[n - 2] != ']' || b[n - 1] != '\n' ||
	    strlen(b) != n)
		st = ctl_fleet_fail(-EPX_E_CTL_SD_DOC, NULL);
	else if (out)
		st = ctl_fleet_write(out, b, n);
	else if (fwrite(b, 1, n, stdout) != n || fflush(stdout))
		st = CLI_FAIL;
	record_buf_free(&rep.body);
	return st;
}

int ctl_fleet_main(int argc, char **argv)
{
	const char *out = NULL;
	struct ctlhttp_cfg cfg;
	int st;

	ctlhttp_cfg_init(&cfg);
	if (ctl_cli_parse(argc, argv, ctl_fleet_opts, &cfg, ctl_fleet_help,
			  ctl_fleet_opt, &out, &st))
		return st;
	if (argc - optind != 1 || strcmp(argv[optind], "sd"))
		return ctl_cli_usage("fleet", "want: fleet sd [--out FILE]");
	if (cfg.json)
		return ctl_cli_usage("fleet", "sd prints JSON already; --json does not apply");
	if (out && (!out[0] || strlen(out) > CTL_FLEET_PATH_MAX))
		return ctl_cli_usage("fleet", "--out: want a file name of at most 4000 bytes");
	if (ctlhttp_cfg_finish(&cfg))
		return CLI_USAGE;
	return ctl_fleet_sd(&cfg, out);
}
