/* ctl_admin: `epoxyctl admin init|revoke`, run on the server host against
 * the store itself (the bootstrap: before any admin credential exists there
 * is nobody to authenticate to the admin API).
 *
 * Guarantees: the new credential (256 bits from getrandom, via the store)
 * is written only to a new 0600 file (O_EXCL: never over an existing one),
 * the store keeps only its hash, the value is wiped from memory; both
 * operations append an audit entry. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "ctl/ctl.h"
#include "ctl/ctl_cli.h"
#include "lib/err.h"
#include "lib/label.h"
#include "store/store.h"

static const char ctl_admin_help[] =
"usage: epoxyctl admin init --store URI --out FILE [--name NAME]\n"
"       epoxyctl admin revoke --store URI [--name NAME]\n"
"\n"
"Run on the server host.  'init' creates (or replaces) the admin credential NAME\n"
"(default 'admin') in the store URI (sqlite:/path/epoxy.db or postgres:<conninfo>,\n"
"as in epoxyd's config) and writes it to a new 0600 FILE; give that file to\n"
"epoxyctl with --credential or EPOXY_ADMIN_CREDENTIAL.  'revoke' revokes it.\n"
"\n"
"exit status: 0 ok, 1 failed, 2 usage\n";

enum { OPT_STORE = 1, OPT_OUT, OPT_NAME };

static const struct option ctl_admin_opts[] = {
	{ "store", required_argument, NULL, OPT_STORE },
	{ "out", required_argument, NULL, OPT_OUT },
	{ "name", required_argument, NULL, OPT_NAME },
	CTLHTTP_LONGOPTS,
	{ NULL, 0, NULL, 0 },
};

struct ctl_admin_args {
	const char *store, *out, *name;
};

static int ctl_admin_opt(int opt, const char *arg, void *p)
{
	struct ctl_admin_args *a = p;

	if (opt == OPT_STORE)
		a->store = arg;
	else if (opt == OPT_OUT)
		a->out = arg;
	else if (opt == OPT_NAME)
		a->name = arg;
	else
		return -EPX_E_CTL_USAGE;
	return 0;
}

int ctl_admin_main(int argc, char **argv)
{
	struct ctl_admin_args a = { NULL, NULL, "admin" };
	char cred[STORE_TOKEN_HEX + 1] = "";
	struct ctlhttp_cfg cfg;
	struct store *s = NULL;
	int st, rc, init, fd = -1;

	ctlhttp_cfg_init(&cfg);
	if (ctl_cli_parse(argc, argv, ctl_admin_opts, &cfg, ctl_admin_help,
			  ctl_admin_opt, &a, &st))
		return st;
	if (argc - optind != 1)
		return ctl_cli_usage("admin", "want: admin init | admin revoke");
	init = !strcmp(argv[optind], "init");
	if (!init && strcmp(argv[optind], "revoke"))
		return ctl_cli_usage("admin", "unknown subcommand");
	if (!a.store)
		return ctl_cli_usage("admin", "--store URI is required");
	if (init != !!a.out)
		return ctl_cli_usage("admin", init ? "init: --out FILE is required" :
				     "revoke: --out does not apply");
	/* the store's rule for an admin's name (store_admin_issue) */
	if (label_check_str(LABEL_TAG, a.name) < 0)
		return ctl_cli_usage("admin", "--name: want [a-z0-9._-]{1,64}");
	/* claim the output file first: a refusal must not touch the store */
	if (init) {
		fd = open(a.out, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
		if (fd < 0) {
			char code[16];

			fprintf(stderr, "epoxyctl: cannot create %s: %s (%s; it must not exist yet)\n",
				a.out, strerror(errno),
				epx_code(-EPX_E_CTL_OUTFILE, code, sizeof(code)));
			return CLI_FAIL;
		}
	}
	rc = store_open(&s, a.store);
	if (rc) {
		fprintf(stderr, "epoxyctl: admin: cannot open store %s: %s\n", a.store,
			epx_strerror(rc));
		goto out;
	}
	rc = init ? store_admin_issue(s, a.name, cred) : store_admin_revoke(s, a.name);
	if (rc) {
		fprintf(stderr, "epoxyctl: admin %s %s: %s\n", argv[optind], a.name,
			epx_strerror(rc));
		goto out;
	}
	if (init && (write(fd, cred, STORE_TOKEN_HEX) != STORE_TOKEN_HEX ||
		     write(fd, "\n", 1) != 1 || fsync(fd))) {
		fprintf(stderr, "epoxyctl: cannot write %s: %s\n", a.out, strerror(errno));
		/* nobody holds the value: revoke it rather than leave it live */
		store_admin_revoke(s, a.name);
		rc = -EIO;
		goto out;
	}
	rc = store_audit_append(s, "ctl", init ? "admin.issue" : "admin.revoke",
				a.name, "");
	if (rc)
		fprintf(stderr, "epoxyctl: admin: audit append failed: %s\n", epx_strerror(rc));
	if (init)
		fprintf(stderr, "epoxyctl: admin credential '%s' written to %s\n", a.name, a.out);
	else
		fprintf(stderr, "epoxyctl: admin credential '%s' revoked\n", a.name);
out:
	explicit_bzero(cred, sizeof(cred));
	store_close(s);
	if (fd >= 0) {
		if (close(fd))
			rc = rc ? rc : -EIO;
		if (rc)
			unlink(a.out);
	}
	return rc ? CLI_FAIL : CLI_OK;
}
