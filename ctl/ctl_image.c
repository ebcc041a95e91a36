/* ctl_image: `epoxyctl image retire FILE.auth | image dbx`, and the slice
 * images: `epoxyctl image publish FILE --name NAME | image list`.
 *
 * retire publishes a dbx update prepared offline (`epoxy-pki dbx-append`,
 * signed by the KEK, which never comes near this program) to epoxyd, which
 * checks its shape, stores it, audits it (image.retire) and names it in
 * every session statement from then on; each booting agent appends it to
 * its firmware's dbx.  Guarantees: the file is read whole, at most
 * DBX_UPDATE_MAX bytes, and checked with the same parser as the server's
 * (lib/dbx.h) before the first server call, so a wrong file changes
 * nothing anywhere; dbx shows the current update.  publish streams a root
 * filesystem tarball (at most STORE_IMAGE_MAX bytes) with its SHA-256,
 * computed here first: the server stores it under that hash only if the
 * bytes it received have it, and a slice names it as vref sha256:<hex>. */
#include <errno.h>
#include <fcntl.h>
#include <curl/curl.h>
#include <mbedtls/sha256.h>
#include <sys/stat.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "ctl/ctl.h"
#include "ctl/ctl_cli.h"
#include "lib/dbx.h"
#include "lib/err.h"
#include "lib/file.h"
#include "lib/hex.h"
#include "store/store.h"

static const char ctl_image_help[] =
"usage: epoxyctl image retire FILE.auth    publish a dbx update (epoxy-pki dbx-append)\n"
"       epoxyctl image dbx                 the current dbx update\n"
"       epoxyctl image publish FILE --name NAME   publish a slice image (rootfs tarball)\n"
"       epoxyctl image list                the published slice images\n"
"options: --url URL --credential FILE --ca FILE --resolve H:P:A --config FILE --json\n"
"A slice image is stored content-addressed; slices name it by its vref,\n"
"sha256:<64 hex> (epoxyctl slice create --image).  NAME is [a-z0-9._-]{1,64}.\n"
"Every booting node appends the current dbx update to its firmware's\n"
"forbidden-signature database before it goes on; the firmware then refuses\n"
"the retired images.  exit: 0 ok, 1 refused, 2 usage, 3 server unreachable\n";

enum { OPT_NAME = 1 };

static const struct option ctl_image_opts[] = {
	{ "name", required_argument, NULL, OPT_NAME },
	CTLHTTP_LONGOPTS,
	{ NULL, 0, NULL, 0 },
};

static int ctl_image_opt(int opt, const char *arg, void *p)
{
	if (opt != OPT_NAME)
		return -EPX_E_CTL_USAGE;
	*(const char **)p = arg;
	return 0;
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

static size_t ctl_image_up_read(char *p, size_t sz, size_t nm, void *arg)
{
	int fd = *(int *)arg;
	ssize_t n;

	do
		n = read(fd, p, sz * nm);
	while (n < 0 && errno == EINTR);
	return n < 0 ? CURL_READFUNC_ABORT : (size_t)n;
}

/* SHA-256 of the whole file behind fd (then rewound); *len its size. */
static int ctl_image_hash(int fd, char hex[STORE_HASH_HEX + 1], uint64_t *len)
{
	static uint8_t buf[65536];
	mbedtls_sha256_context ctx;
	uint8_t sum[32];
	ssize_t n;
	int rc = 0;

	*len = 0;
	mbedtls_sha256_init(&ctx);
	mbedtls_sha256_starts_ret(&ctx, 0);
	while ((n = read(fd, buf, sizeof(buf))) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = -errno;
			break;
		}
		mbedtls_sha256_update_ret(&ctx, buf, (size_t)n);
		*len += (uint64_t)n;
	}
	mbedtls_sha256_finish_ret(&ctx, sum);
	mbedtls_sha256_free(&ctx);
	hex_encode(sum, sizeof(sum), hex);
	if (!rc && lseek(fd, 0, SEEK_SET) < 0)
		rc = -errno;
	return rc;
}

static int ctl_image_publish(const struct ctlhttp_cfg *cfg, const char *file,
			     const char *name)
{
	static const char *const cols[] = { "vref", "name", "length", NULL };
	char hex[STORE_HASH_HEX + 1], path[300], seg[200];
	struct ctlhttp_upload up;
	struct ctlhttp_reply rep;
	struct stat st;
	int fd, rc, ex = CLI_FAIL;

	if (strlen(name) > 64 || ctlhttp_seg(seg, sizeof(seg), name))
		return ctl_cli_usage("image", "--name: at most 64 bytes");
	fd = open(file, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) || !S_ISREG(st.st_mode)) {
		fprintf(stderr, "epoxyctl: image publish: %s: %s (%s)\n", file,
			fd < 0 ? strerror(errno) : "not a regular file", epx_code_str(EPX_E_CTL_INFILE));
		goto out;
	}
	rc = ctl_image_hash(fd, hex, &up.len);
	if (rc || up.len == 0 || up.len > STORE_IMAGE_MAX) {
		fprintf(stderr, "epoxyctl: image publish: %s: %s (%s)\n", file,
			rc ? strerror(-rc) : "empty or over 16 GiB", epx_code_str(EPX_E_CTL_INFILE));
		goto out;
	}
	up.read = ctl_image_up_read;
	up.arg = &fd;
	snprintf(path, sizeof(path), "/admin/v1/images?name=%s&sha256=%s", seg, hex);
	rc = ctlhttp_request(cfg, "POST", path, "application/octet-stream", NULL, 0, &up, &rep);
	if (rc) {
		ex = rc == -EPX_E_CTL_CONNECT || rc == -EPX_E_CTL_CRED ? CLI_UNREACHABLE : CLI_FAIL;
		goto out;
	}
	ex = ctlhttp_exit("image publish", &rep);
	if (ex == CLI_OK)
		ex = ctl_cli_table(rep.body.buf, rep.body.len, cfg->json, cols);
	record_buf_free(&rep.body);
out:
	if (fd >= 0)
		close(fd);
	return ex;
}

static int ctl_image_list(const struct ctlhttp_cfg *cfg)
{
	static const char *const cols[] = { "vref", "name", "length", "published", NULL };
	struct ctlhttp_reply rep;
	int st = ctl_cli_call(cfg, "image list", "GET", "/admin/v1/images", NULL, &rep);

	if (st)
		return st;
	st = ctl_cli_table(rep.body.buf, rep.body.len, cfg->json, cols);
	record_buf_free(&rep.body);
	return st;
}

int ctl_image_main(int argc, char **argv)
{
	const char *name = NULL, *verb;
	struct ctlhttp_cfg cfg;
	int st, npos, want;

	ctlhttp_cfg_init(&cfg);
	if (ctl_cli_parse(argc, argv, ctl_image_opts, &cfg, ctl_image_help,
			  ctl_image_opt, &name, &st))
		return st;
	npos = argc - optind;
	if (npos < 1)
		return ctl_cli_usage("image", "missing subcommand");
	verb = argv[optind];
	want = !strcmp(verb, "retire") || !strcmp(verb, "publish") ? 2 :
	       !strcmp(verb, "dbx") || !strcmp(verb, "list") ? 1 : -1;
	if (npos != want)
		return ctl_cli_usage("image", "want: retire FILE.auth | dbx | publish FILE --name NAME | list");
	if (!strcmp(verb, "publish") != !!name)
		return ctl_cli_usage("image", "--name goes with publish, and publish needs it");
	if (ctlhttp_cfg_finish(&cfg))
		return CLI_USAGE;
	if (!strcmp(verb, "retire"))
		return ctl_image_retire(&cfg, argv[optind + 1]);
	if (!strcmp(verb, "publish"))
		return ctl_image_publish(&cfg, argv[optind + 1], name);
	if (!strcmp(verb, "list"))
		return ctl_image_list(&cfg);
	return ctl_image_dbx(&cfg);
}
