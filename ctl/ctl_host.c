/* ctl_host: `epoxyctl host add|list|show|update|delete|credential`.
 *
 * Guarantees: every value goes to the server unmodified (the server is the
 * one that validates, so a refusal is the server's, with its code); a boot
 * credential is never printed unless --stdout asks for it: --out writes it
 * to a new 0600 file, --vars hands it to the variable-store tool through
 * such a file, which is then wiped and removed. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ctl/ctl.h"
#include "ctl/ctl_cli.h"
#include "lib/err.h"
#include "lib/hex.h"

#define CTL_HOST_LIST_MAX 1024   /* bytes of a joined --mac/--addr/--group list */

static const char ctl_host_help[] =
"usage: epoxyctl host add NAME --hwclass C [--mac M]... [--addr A]... [--group G]...\n"
"                             [--site S] [--channel C] [--pin V] [--reinstall 0|1]\n"
"                             [--boot-path direct|ipxe]\n"
"       epoxyctl host list [--json]\n"
"       epoxyctl host show NAME [--json]\n"
"       epoxyctl host update NAME [same options as add]\n"
"       epoxyctl host delete NAME\n"
"       epoxyctl host credential NAME [--rotate | --revoke] [--out FILE] [--vars VARS.fd]\n"
"                             [--stdout]\n"
"       epoxyctl host enroll NAME --vars VARS.fd [--rotate] [--boot-path direct|ipxe]\n"
"\n"
"Enrolls and edits hosts.  'credential' issues (or with --rotate replaces) the host's\n"
"boot credential and writes it to a new 0600 FILE (--out), into a QEMU node's OVMF\n"
"variable store (--vars, via $EPOXY_MKVARS), or to stdout (--stdout); --revoke revokes it.\n"
"'enroll' writes the whole UEFI enrollment of an added host into a new VARS.fd: the\n"
"fleet's PK/KEK/db, the fleet CA for HTTPS boot, the HTTPS boot option and a newly\n"
"issued (--rotate: replaced) boot credential; it is 'credential NAME --vars VARS.fd'.\n"
"--boot-path picks what the firmware's HTTPS boot fetches: direct, the db-signed stage1\n"
"UKI itself, or ipxe, the signed iPXE of stage0.  It is a host field (add, update;\n"
"shown by show; a host added without it gets epoxyd's boot_path_default, direct\n"
"unless configured otherwise); enroll and credential --vars write the host's into\n"
"the VARS, or the one given to them for that VARS only.\n"
"\n"
"connection: --url URL --ca FILE --credential FILE [--resolve NAME:PORT:ADDR]\n"
"            [--config FILE] (or EPOXY_URL, EPOXY_CA, EPOXY_ADMIN_CREDENTIAL,\n"
"            EPOXY_RESOLVE, EPOXY_CONFIG)\n"
"exit status: 0 ok, 1 refused or failed, 2 usage, 3 unreachable or not authorised\n";

enum {
	OPT_HWCLASS = 1, OPT_MAC, OPT_ADDR, OPT_GROUP, OPT_SITE, OPT_CHANNEL,
	OPT_PIN, OPT_REINSTALL, OPT_ROTATE, OPT_REVOKE, OPT_OUT, OPT_VARS, OPT_BOOT_PATH,
	OPT_STDOUT,
};

static const struct option ctl_host_opts[] = {
	{ "hwclass", required_argument, NULL, OPT_HWCLASS },
	{ "mac", required_argument, NULL, OPT_MAC },
	{ "addr", required_argument, NULL, OPT_ADDR },
	{ "group", required_argument, NULL, OPT_GROUP },
	{ "site", required_argument, NULL, OPT_SITE },
	{ "channel", required_argument, NULL, OPT_CHANNEL },
	{ "pin", required_argument, NULL, OPT_PIN },
	{ "reinstall", required_argument, NULL, OPT_REINSTALL },
	{ "rotate", no_argument, NULL, OPT_ROTATE },
	{ "revoke", no_argument, NULL, OPT_REVOKE },
	{ "out", required_argument, NULL, OPT_OUT },
	{ "vars", required_argument, NULL, OPT_VARS },
	{ "boot-path", required_argument, NULL, OPT_BOOT_PATH },
	{ "stdout", no_argument, NULL, OPT_STDOUT },
	CTLHTTP_LONGOPTS,
	{ NULL, 0, NULL, 0 },
};

struct ctl_host_args {
	const char *hwclass, *site, *channel, *pin, *reinstall;
	char macs[CTL_HOST_LIST_MAX], addrs[CTL_HOST_LIST_MAX],
	     groups[CTL_HOST_LIST_MAX];
	int set_macs, set_addrs, set_groups;
	int rotate, revoke, to_stdout, nfields;
	const char *out, *vars, *boot_path;
	int set_boot_path;   /* --boot-path given: a field for add/update */
};

static int ctl_host_append(char *list, size_t cap, const char *v)
{
	size_t n = strlen(list), l = strlen(v);

	if (l + 2 > cap - n)
		return -EPX_E_CTL_USAGE;
	if (n)
		list[n++] = ',';
	memcpy(list + n, v, l + 1);
	return 0;
}

static int ctl_host_opt(int opt, const char *arg, void *p)
{
	struct ctl_host_args *a = p;

	a->nfields++;
	switch (opt) {
	case OPT_HWCLASS: a->hwclass = arg; return 0;
	case OPT_SITE: a->site = arg; return 0;
	case OPT_CHANNEL: a->channel = arg; return 0;
	case OPT_PIN: a->pin = arg; return 0;
	case OPT_REINSTALL: a->reinstall = arg; return 0;
	case OPT_MAC:
		a->set_macs = 1;
		return ctl_host_append(a->macs, sizeof(a->macs), arg);
	case OPT_ADDR:
		a->set_addrs = 1;
		return ctl_host_append(a->addrs, sizeof(a->addrs), arg);
	case OPT_GROUP:
		a->set_groups = 1;
		return ctl_host_append(a->groups, sizeof(a->groups), arg);
	}
	a->nfields--;
	switch (opt) {
	case OPT_ROTATE: a->rotate = 1; return 0;
	case OPT_REVOKE: a->revoke = 1; return 0;
	case OPT_OUT: a->out = arg; return 0;
	case OPT_VARS: a->vars = arg; return 0;
	case OPT_BOOT_PATH: a->boot_path = arg; a->set_boot_path = 1; return 0;
	case OPT_STDOUT: a->to_stdout = 1; return 0;
	}
	return -EPX_E_CTL_USAGE;
}

static void ctl_host_form(struct record_buf *f, const struct ctl_host_args *a)
{
	if (a->hwclass)
		record_buf_field(f, "hwclass", a->hwclass);
	if (a->site)
		record_buf_field(f, "site", a->site);
	if (a->channel)
		record_buf_field(f, "channel", a->channel);
	if (a->pin)
		record_buf_field(f, "pin", a->pin);
	if (a->reinstall)
		record_buf_field(f, "reinstall", a->reinstall);
	if (a->set_macs)
		record_buf_field(f, "macs", a->macs);
	if (a->set_addrs)
		record_buf_field(f, "addrs", a->addrs);
	if (a->set_groups)
		record_buf_field(f, "groups", a->groups);
	if (a->set_boot_path)
		record_buf_field(f, "boot_path", a->boot_path);
}

static int ctl_host_path(char *out, size_t cap, const char *name,
			 const char *suffix)
{
	char seg[3 * 256 + 1];

	if (strlen(name) > 256 || ctlhttp_seg(seg, sizeof(seg), name))
		return -EPX_E_CTL_USAGE;
	if (snprintf(out, cap, "/admin/v1/hosts/%s%s", seg, suffix) >= (int)cap)
		return -EPX_E_CTL_USAGE;
	return 0;
}

/* The variable-store tool: $EPOXY_MKVARS, else epoxy-mkvars next to this
 * epoxyctl (both are installed into $(O)/bin). */
static const char *ctl_host_tool(char *buf, size_t cap)
{
	const char *tool = getenv("EPOXY_MKVARS");
	ssize_t n;
	char *slash;

	if (tool && *tool)
		return tool;
	n = readlink("/proc/self/exe", buf, cap - 1);
	if (n <= 0)
		return NULL;
	buf[n] = '\0';
	slash = strrchr(buf, '/');
	if (!slash || (size_t)(slash - buf) + sizeof("/epoxy-mkvars") > cap)
		return NULL;
	memcpy(slash, "/epoxy-mkvars", sizeof("/epoxy-mkvars"));
	return buf;
}

/* Runs MKVARS --vars FILE --host NAME --credential-file CREDFILE [--mac M]
 * [--boot-path P]. */
static int ctl_host_mkvars(const char *vars, const char *host, const char *credfile,
			   const char *mac, const char *boot_path)
{
	char def[4096], macc[32];
	const char *tool = ctl_host_tool(def, sizeof(def));
	const char *argv[12];
	size_t i, n = 0;
	pid_t pid;
	int st;

	if (!tool || access(tool, X_OK)) {
		fprintf(stderr, "epoxyctl: host credential --vars: no variable-store tool %s "
			"(set EPOXY_MKVARS to the images' epoxy-mkvars) (%s)\n",
			tool ? tool : "", epx_code_str(EPX_E_CTL_MKVARS));
		return -EPX_E_CTL_MKVARS;
	}
	snprintf(macc, sizeof(macc), "%s", mac ? mac : "");
	for (i = 0; macc[i]; i++)
		if (macc[i] == '-')
			macc[i] = ':';
	argv[n++] = tool;
	argv[n++] = "--vars"; argv[n++] = vars;
	argv[n++] = "--host"; argv[n++] = host;
	argv[n++] = "--credential-file"; argv[n++] = credfile;
	if (macc[0]) {
		argv[n++] = "--mac"; argv[n++] = macc;
	}
	if (boot_path) {
		argv[n++] = "--boot-path"; argv[n++] = boot_path;
	}
	argv[n] = NULL;
	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0) {
		execv(tool, (char *const *)argv);
		_exit(127);
	}
	if (waitpid(pid, &st, 0) < 0 || !WIFEXITED(st) || WEXITSTATUS(st)) {
		fprintf(stderr, "epoxyctl: %s failed for %s (%s)\n", tool, vars,
			epx_code_str(EPX_E_CTL_MKVARS));
		return -EPX_E_CTL_MKVARS;
	}
	return 0;
}

/* Writes the credential into a private temp file for the tool, runs it,
 * wipes and removes the file. */
static int ctl_host_vars(const char *vars, const char *host, const char *cred,
			 const char *mac, const char *boot_path)
{
	const char *tmp = getenv("TMPDIR");
	char dir[512], file[560];
	char wipe[80];
	int rc, fd;

	if (!tmp || !*tmp || strlen(tmp) > 400)
		tmp = "/tmp";
	snprintf(dir, sizeof(dir), "%s/epoxyctl-cred-XXXXXX", tmp);
	if (!mkdtemp(dir))
		return -errno;
	snprintf(file, sizeof(file), "%s/credential", dir);
	rc = ctl_cli_secret_file(file, cred);
	if (!rc)
		rc = ctl_host_mkvars(vars, host, file, mac, boot_path);
	fd = open(file, O_WRONLY | O_CLOEXEC);
	if (fd >= 0) {
		memset(wipe, 0, sizeof(wipe));
		if (write(fd, wipe, sizeof(wipe)) < 0 || fsync(fd) < 0)
			rc = rc ? rc : -EIO;
		close(fd);
	}
	unlink(file);
	rmdir(dir);
	return rc;
}

/* The credential record: host=..&credential=<64 hex>[&mac=M]. */
struct ctl_host_cred {
	const char *cred, *mac, *boot_path;
};

static int ctl_host_cred_rec(const struct form *r, void *arg)
{
	struct ctl_host_cred *hc = arg;
	const char *v = form_get(r, "credential");

	if (hex_check_str(v, 64) < 0)
		return -EPX_E_CTL_REPLY;
	hc->cred = v;
	hc->mac = form_get(r, "mac");
	hc->boot_path = form_get(r, "boot_path");
	if (hc->boot_path && strcmp(hc->boot_path, "direct") && strcmp(hc->boot_path, "ipxe"))
		return -EPX_E_CTL_REPLY;
	return 0;
}

/* The local preconditions of handing a credential out, checked before the
 * server is asked for one: the --out file created (empty, 0600), the
 * variable-store tool present. */
static int ctl_host_cred_pre(const struct ctl_host_args *a, int *ofd)
{
	char def[4096];
	const char *tool;

	*ofd = -1;
	if (a->vars) {
		tool = ctl_host_tool(def, sizeof(def));
		if (!tool || access(tool, X_OK)) {
			fprintf(stderr, "epoxyctl: host credential --vars: no variable-store tool %s "
				"(set EPOXY_MKVARS to the images' epoxy-mkvars); nothing was changed "
				"(%s)\n", tool ? tool : "", epx_code_str(EPX_E_CTL_MKVARS));
			return -EPX_E_CTL_MKVARS;
		}
	}
	if (a->out && (*ofd = ctl_cli_secret_open(a->out)) < 0)
		return *ofd;
	return 0;
}

/* The second phase: the credential is stored where it was asked to go, so
 * the server may make it the host's (and end the old one). */
static int ctl_host_cred_confirm(const struct ctlhttp_cfg *cfg, const char *name,
				 const char *path, const char *cred)
{
	struct ctlhttp_reply rep;
	struct record_buf f;
	int st;

	record_buf_init(&f, 256);
	record_buf_field(&f, "action", "confirm");
	record_buf_field(&f, "credential", cred);
	st = ctl_cli_call(cfg, "host credential (confirm)", "POST", path, &f, &rep);
	record_buf_wipe(&f);
	record_buf_free(&f);
	if (st) {
		fprintf(stderr, "epoxyctl: the new credential of %s is stored but not yet confirmed: "
			"it stays pending and the old one works until the node first boots with "
			"the new one (%s)\n", name, epx_code_str(EPX_E_CTL_PENDING));
		return st;
	}
	record_buf_wipe(&rep.body);
	return 0;
}

static int ctl_host_credential(const struct ctlhttp_cfg *cfg, const char *name,
			       const struct ctl_host_args *a)
{
	struct ctlhttp_reply rep;
	struct record_buf f;
	struct ctl_host_cred hc = { NULL, NULL, NULL };
	char path[1024];
	int st, ofd = -1;

	if (a->rotate && a->revoke)
		return ctl_cli_usage("host", "--rotate and --revoke exclude each other");
	if (a->revoke && (a->out || a->vars || a->to_stdout))
		return ctl_cli_usage("host", "--revoke hands nothing out");
	if (a->boot_path && !a->vars)
		return ctl_cli_usage("host", "--boot-path goes with --vars");
	if (a->boot_path && strcmp(a->boot_path, "direct") && strcmp(a->boot_path, "ipxe"))
		return ctl_cli_usage("host", "--boot-path is direct or ipxe");
	if (!a->revoke && !a->out && !a->vars && !a->to_stdout)
		return ctl_cli_usage("host", "say where the credential goes: --out FILE, --vars VARS.fd or --stdout");
	if (ctl_host_path(path, sizeof(path), name, "/credential"))
		return ctl_cli_usage("host", "host name too long");
	if (!a->revoke && ctl_host_cred_pre(a, &ofd) < 0)
		return CLI_FAIL;
	record_buf_init(&f, 256);
	record_buf_field(&f, "action", a->revoke ? "revoke" : a->rotate ? "rotate" : "issue");
	st = ctl_cli_call(cfg, "host credential", "POST", path, &f, &rep);
	record_buf_free(&f);
	if (st) {
		ctl_cli_secret_abandon(ofd, a->out);
		return st;
	}
	if (a->revoke) {
		st = ctl_cli_show(rep.body.buf, rep.body.len, cfg->json);
		goto out;
	}
	st = CLI_FAIL;
	if (record_each(rep.body.buf, rep.body.len, ctl_host_cred_rec, &hc) || !hc.cred) {
		fprintf(stderr, "epoxyctl: host credential: answer malformed (%s)\n",
			epx_code_str(EPX_E_CTL_REPLY));
		goto out;
	}
	/* the new credential is pending on the server: a failure from here
	 * on leaves the host's current credential in force */
	if (a->out) {
		int wrc = ctl_cli_secret_write(ofd, a->out, hc.cred);

		ofd = -1;
		if (wrc)
			goto pending;
	}
	/* the path given for this VARS, else the host's (an older epoxyd
	 * sends none: the tool's default) */
	if (a->vars && ctl_host_vars(a->vars, name, hc.cred, hc.mac,
				     a->boot_path ? a->boot_path : hc.boot_path))
		goto pending;
	if (a->to_stdout)
		printf("%s\n", hc.cred);
	st = ctl_host_cred_confirm(cfg, name, path, hc.cred);
	if (st)
		goto out;
	if (!a->to_stdout)
		fprintf(stderr, "epoxyctl: boot credential of %s %s%s%s%s\n", name,
			a->out ? "written to " : "", a->out ? a->out : "",
			a->out && a->vars ? " and " : "",
			a->vars ? "written into the variable store" : "");
	st = CLI_OK;
	goto out;
pending:
	if (a->out)
		unlink(a->out);
	fprintf(stderr, "epoxyctl: the new credential of %s was not stored, so it was not "
		"confirmed: the host keeps its current one (%s)\n", name, epx_code_str(EPX_E_CTL_PENDING));
out:
	ctl_cli_secret_abandon(ofd, a->out);
	record_buf_wipe(&rep.body);
	return st;
}

static int ctl_host_list(const struct ctlhttp_cfg *cfg)
{
	static const char *const cols[] = { "name", "hwclass", "site", "channel",
		"pin", "macs", "credential", "state", "last_stage", "last_code", NULL };
	struct ctlhttp_reply rep;
	int st = ctl_cli_call(cfg, "host list", "GET", "/admin/v1/hosts", NULL, &rep);

	if (st)
		return st;
	st = ctl_cli_table(rep.body.buf, rep.body.len, cfg->json, cols);
	record_buf_free(&rep.body);
	return st;
}

static int ctl_host_one(const struct ctlhttp_cfg *cfg, const char *verb,
			const char *method, const char *name, struct record_buf *form)
{
	struct ctlhttp_reply rep;
	char path[1024], what[32];
	int st;

	if (strcmp(verb, "add") && ctl_host_path(path, sizeof(path), name, ""))
		return ctl_cli_usage("host", "host name too long");
	snprintf(what, sizeof(what), "host %s", verb);
	st = ctl_cli_call(cfg, what, method, strcmp(verb, "add") ? path : "/admin/v1/hosts",
			  form, &rep);
	if (st)
		return st;
	st = ctl_cli_show(rep.body.buf, rep.body.len, cfg->json);
	record_buf_free(&rep.body);
	return st;
}

int ctl_host_main(int argc, char **argv)
{
	struct ctl_host_args a;
	struct ctlhttp_cfg cfg;
	struct record_buf f;
	const char *verb, *name = NULL;
	int st, pos, cred, enroll;

	memset(&a, 0, sizeof(a));
	ctlhttp_cfg_init(&cfg);
	if (ctl_cli_parse(argc, argv, ctl_host_opts, &cfg, ctl_host_help,
			  ctl_host_opt, &a, &st))
		return st;
	pos = argc - optind;
	if (pos < 1)
		return ctl_cli_usage("host", "missing subcommand");
	verb = argv[optind];
	cred = !strcmp(verb, "credential");
	enroll = !strcmp(verb, "enroll");
	if (pos > 2 || (pos == 2) != !!strcmp(verb, "list"))
		return ctl_cli_usage("host", strcmp(verb, "list") ? "want one host NAME" :
				     "'list' takes no NAME");
	if (pos == 2)
		name = argv[optind + 1];
	if (strcmp(verb, "add") && strcmp(verb, "update") && a.nfields)
		return ctl_cli_usage("host", "host fields apply to add and update only");
	if (a.set_boot_path && (!strcmp(verb, "add") || !strcmp(verb, "update")) &&
	    strcmp(a.boot_path, "direct") && strcmp(a.boot_path, "ipxe"))
		return ctl_cli_usage("host", "--boot-path is direct or ipxe");
	if (a.set_boot_path && strcmp(verb, "add") && strcmp(verb, "update") && !cred && !enroll)
		return ctl_cli_usage("host", "--boot-path applies to add, update, credential and enroll");
	if (!cred && !enroll && (a.rotate || a.revoke || a.out || a.vars || a.to_stdout))
		return ctl_cli_usage("host", "--rotate/--revoke/--out/--vars/--stdout apply to credential and enroll only");
	if (enroll && (!a.vars || a.revoke || a.out || a.to_stdout))
		return ctl_cli_usage("host", "enroll: --vars VARS.fd (and --rotate to replace the credential), nothing else");
	if (!strcmp(verb, "list") || !strcmp(verb, "show") || !strcmp(verb, "add") ||
	    !strcmp(verb, "update") || !strcmp(verb, "delete") || cred || enroll) {
		if (ctlhttp_cfg_finish(&cfg))
			return CLI_USAGE;
	} else {
		return ctl_cli_usage("host", "unknown subcommand");
	}
	if (!strcmp(verb, "list"))
		return ctl_host_list(&cfg);
	if (!strcmp(verb, "show"))
		return ctl_host_one(&cfg, "show", "GET", name, NULL);
	if (!strcmp(verb, "delete"))
		return ctl_host_one(&cfg, "delete", "DELETE", name, NULL);
	if (cred || enroll)
		return ctl_host_credential(&cfg, name, &a);
	if (!strcmp(verb, "update") && !a.nfields && !a.set_boot_path)
		return ctl_cli_usage("host", "update: nothing to change");
	record_buf_init(&f, RECORD_MAX_LINE);
	if (!strcmp(verb, "add"))
		record_buf_field(&f, "name", name);
	ctl_host_form(&f, &a);
	st = ctl_host_one(&cfg, verb, !strcmp(verb, "add") ? "POST" : "PATCH", name, &f);
	record_buf_free(&f);
	return st;
}
