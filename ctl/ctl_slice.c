/* ctl_slice: `epoxyctl slice create|list|show|set|add-nodes|remove-nodes|
 * renew|delete|ticket`: the SliceDB over the admin API (server/admin.c).
 *
 * Guarantees: an attribute argument (ATTR=VALUE) is sent only when ATTR is
 * one of the store's attribute names (store_attrs[], store/store.h), so an
 * argument can never stand for another form field (name=, site=); every
 * other value goes to the server unmodified (it validates and refuses with
 * a stable code); nothing is changed by a usage error. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl/ctl.h"
#include "ctl/ctl_cli.h"
#include "lib/err.h"
#include "lib/grant.h"
#include "lib/num.h"
#include "store/store.h"

static const char ctl_slice_help[] =
"usage: epoxyctl slice create NAME --site SITE --image sha256:HEX --entry CMD\n"
"                             [--ttl SECONDS | --days N] [ATTR=VALUE ...]\n"
"       epoxyctl slice list [--json]\n"
"       epoxyctl slice show NAME [--node HOST] [--json]\n"
"       epoxyctl slice set NAME [--host HOST | --group GROUP] [--image sha256:HEX]\n"
"                             [--entry CMD] [ATTR=VALUE ...] [ATTR= ...]\n"
"                             [--grant GRANT]... [--revoke GRANT]...\n"
"       epoxyctl slice add-nodes NAME [--host HOST]... [--group GROUP]...\n"
"       epoxyctl slice remove-nodes NAME [--host HOST]... [--group GROUP]...\n"
"       epoxyctl slice renew NAME --ttl SECONDS | --days N\n"
"       epoxyctl slice delete NAME\n"
"       epoxyctl slice ticket NAME --node HOST [--ttl SECONDS] [--json]\n"
"\n"
"A slice runs one sliver on each of its nodes (hosts, and hosts of its node\n"
"groups) until it expires (60 s to 56 days from create or renew; an expired\n"
"slice leaves every node by itself).  NAME is [a-z0-9][a-z0-9._-]{0,31}.\n"
"Attributes, with their units (0 means no limit, but for cpu_share):\n"
"  cpu_share N              cpu.weight, 1..10000 (default 1)\n"
"  cpu_pct N                hard cap, percent of one CPU, 0..25600\n"
"  mem_max BYTES            memory.max\n"
"  tasks_max N              pids.max, 0..4194304\n"
"  disk_max BYTES           disk quota of the sliver's directory\n"
"  net_min_rate BIT/S       guaranteed outbound rate, 0..400000000000\n"
"  net_max_rate BIT/S       outbound ceiling, 0..400000000000\n"
"  net_max_bytes_per_day BYTES  bytes sent per day\n"
"set without --host/--group sets the slice's default; with one, that node's\n"
"or group's value; ATTR= removes a value.  Per node over node group over\n"
"slice default.  show --node HOST prints the sliver HOST runs, resolved.\n"
"Grants: the privileged operations the slice's slivers may ask the node's\n"
"epoxy-priv for (whole slice only, at most 8):\n"
"  sock_diag                a NETLINK_SOCK_DIAG socket of the node's netns\n"
"  file:PATH                a read-only descriptor of the node file PATH\n"
"  dir:PATH                 read-only descriptors of regular files beneath PATH\n"
"PATH is absolute and canonical ([a-z0-9._-] components); the node's secrets\n"
"(/run/epoxy, /etc/epoxy, /var/lib/epoxy, keys, /dev ...) are never granted.\n"
"--revoke removes a grant the slice holds.  show lists the slice's grants.\n"
"ticket prints a ticket signed by epoxyd's online key: the sliver HOST runs,\n"
"an expiry (--ttl, 60..604800 s, default 3600, never past the slice's) and a\n"
"random nonce; HOST's node manager redeems it once.\n"
"\n"
"connection: --url URL --ca FILE --credential FILE [--resolve NAME:PORT:ADDR]\n"
"            [--config FILE] (or EPOXY_URL, EPOXY_CA, EPOXY_ADMIN_CREDENTIAL, ...)\n"
"exit status: 0 ok, 1 refused or failed, 2 usage, 3 unreachable or not authorised\n";

enum { OPT_SITE = 1, OPT_IMAGE, OPT_ENTRY, OPT_TTL, OPT_DAYS, OPT_HOST, OPT_GROUP,
	OPT_NODE, OPT_GRANT, OPT_REVOKE };

#define CTL_SLICE_NODES 256     /* --host/--group in one call (the server's cap) */

struct ctl_slice_args {
	const char *site, *image, *entry, *ttl, *days, *node;
	struct record_buf hosts, groups;    /* comma lists */
	size_t n_hosts, n_groups;
	struct record_buf grant, revoke;    /* comma lists of lib/grant.h grants */
	size_t n_grant, n_revoke;
};

static const struct option ctl_slice_opts[] = {
	{ "site", required_argument, NULL, OPT_SITE },
	{ "image", required_argument, NULL, OPT_IMAGE },
	{ "entry", required_argument, NULL, OPT_ENTRY },
	{ "ttl", required_argument, NULL, OPT_TTL },
	{ "days", required_argument, NULL, OPT_DAYS },
	{ "host", required_argument, NULL, OPT_HOST },
	{ "group", required_argument, NULL, OPT_GROUP },
	{ "node", required_argument, NULL, OPT_NODE },
	{ "grant", required_argument, NULL, OPT_GRANT },
	{ "revoke", required_argument, NULL, OPT_REVOKE },
	CTLHTTP_LONGOPTS,
	{ NULL, 0, NULL, 0 },
};

static int ctl_slice_list_add(struct record_buf *b, size_t *n, const char *v)
{
	if (*n >= CTL_SLICE_NODES || !*v || strchr(v, ','))
		return -EPX_E_CTL_USAGE;
	if ((*n)++)
		record_buf_str(b, ",");
	record_buf_str(b, v);
	return b->err ? -EPX_E_CTL_USAGE : 0;
}

/* one --grant or --revoke: checked here by lib/grant.h (the server checks
 * again), so a typo costs no round trip */
static int ctl_slice_grant_add(struct record_buf *b, size_t *n, const char *v)
{
	struct grant g;
	int rc = grant_parse(v, strlen(v), &g);

	if (rc < 0) {
		fprintf(stderr, "epoxyctl: slice: grant '%s': %s %s\n", ctl_cli_safe(v),
			epx_code_str(rc), epx_strerror(rc));
		return rc;
	}
	if (*n >= GRANT_MAX)
		return -EPX_E_CTL_USAGE;
	if ((*n)++)
		record_buf_str(b, ",");
	record_buf_str(b, v);
	return b->err ? -EPX_E_CTL_USAGE : 0;
}

static int ctl_slice_opt(int opt, const char *arg, void *p)
{
	struct ctl_slice_args *a = p;

	switch (opt) {
	case OPT_SITE: a->site = arg; return 0;
	case OPT_IMAGE: a->image = arg; return 0;
	case OPT_ENTRY: a->entry = arg; return 0;
	case OPT_TTL: a->ttl = arg; return 0;
	case OPT_DAYS: a->days = arg; return 0;
	case OPT_NODE: a->node = arg; return 0;
	case OPT_HOST: return ctl_slice_list_add(&a->hosts, &a->n_hosts, arg);
	case OPT_GROUP: return ctl_slice_list_add(&a->groups, &a->n_groups, arg);
	case OPT_GRANT: return ctl_slice_grant_add(&a->grant, &a->n_grant, arg);
	case OPT_REVOKE: return ctl_slice_grant_add(&a->revoke, &a->n_revoke, arg);
	}
	return -EPX_E_CTL_USAGE;
}

static const char *const ctl_slice_cols[] = { "name", "site", "state", "expires",
	"hosts", "groups", "image", NULL };

/* ttl field from --ttl SECONDS or --days N (the server checks the range). */
static int ctl_slice_ttl(const struct ctl_slice_args *a, struct record_buf *f, int need)
{
	uint64_t d;
	char v[32];

	if (a->ttl && a->days)
		return ctl_cli_usage("slice", "give --ttl or --days, not both");
	if (a->days) {
		if (num_str_u64(a->days, 56, &d) < 0 || d == 0)
			return ctl_cli_usage("slice", "--days: want 1..56");
		snprintf(v, sizeof(v), "%llu", (unsigned long long)d * 86400);
		record_buf_field(f, "ttl", v);
	} else if (a->ttl) {
		record_buf_field(f, "ttl", a->ttl);
	} else if (need) {
		return ctl_cli_usage("slice", "want --ttl SECONDS or --days N");
	}
	return 0;
}

/* ATTR=VALUE arguments argv[0..n) into f; only the store's attribute names. */
static int ctl_slice_attrs(struct record_buf *f, char **argv, int n, int allow_unset)
{
	char key[64];
	enum store_attr at;
	int i;

	for (i = 0; i < n; i++) {
		const char *eq = strchr(argv[i], '=');
		size_t kl = eq ? (size_t)(eq - argv[i]) : 0;

		if (!eq || kl == 0 || kl >= sizeof(key)) {
			fprintf(stderr, "epoxyctl: slice: '%s': want ATTR=VALUE\n",
				ctl_cli_safe(argv[i]));
			return CLI_USAGE;
		}
		memcpy(key, argv[i], kl);
		key[kl] = '\0';
		if (store_attr_parse(key, &at)) {
			fprintf(stderr, "epoxyctl: slice: unknown attribute '%s' (%s; see slice --help)\n",
				ctl_cli_safe(key), epx_code_str(EPX_E_SLICE_ATTR));
			return CLI_USAGE;
		}
		if (!eq[1] && !allow_unset)
			return ctl_cli_usage("slice", "an attribute at create needs a value");
		record_buf_field(f, key, eq + 1);
	}
	return 0;
}

static int ctl_slice_path(char *path, size_t cap, const char *name, const char *tail)
{
	char seg[400];

	if (strlen(name) > 128 || ctlhttp_seg(seg, sizeof(seg), name))
		return ctl_cli_usage("slice", "slice name too long");
	snprintf(path, cap, "/admin/v1/slices/%s%s", seg, tail);
	return 0;
}

static int ctl_slice_create(const struct ctlhttp_cfg *cfg, struct ctl_slice_args *a,
			    char **argv, int n)
{
	struct record_buf f;
	int st;

	if (!a->site || !a->image || !a->entry)
		return ctl_cli_usage("slice", "create needs --site, --image and --entry");
	record_buf_init(&f, RECORD_MAX_LINE);
	record_buf_field(&f, "name", argv[0]);
	record_buf_field(&f, "site", a->site);
	record_buf_field(&f, "image", a->image);
	record_buf_field(&f, "entry", a->entry);
	st = ctl_slice_ttl(a, &f, 1);
	if (!st)
		st = ctl_slice_attrs(&f, argv + 1, n - 1, 0);
	if (st) {
		record_buf_free(&f);
		return st;
	}
	return ctl_cli_send(cfg, "slice create", "POST", "/admin/v1/slices", &f, NULL);
}

static int ctl_slice_set(const struct ctlhttp_cfg *cfg, struct ctl_slice_args *a,
			 const char *path, char **argv, int n)
{
	struct record_buf f;
	int st;

	if (a->n_hosts + a->n_groups > 1)
		return ctl_cli_usage("slice", "set takes one --host or one --group");
	if (n < 1 && !a->image && !a->entry && !a->n_grant && !a->n_revoke)
		return ctl_cli_usage("slice", "nothing to set");
	record_buf_init(&f, RECORD_MAX_LINE);
	if (a->n_hosts)
		record_buf_field(&f, "host", a->hosts.buf);
	if (a->n_groups)
		record_buf_field(&f, "group", a->groups.buf);
	if (a->image)
		record_buf_field(&f, "image", a->image);
	if (a->entry)
		record_buf_field(&f, "entry", a->entry);
	if (a->n_grant)
		record_buf_field(&f, "grant", a->grant.buf);
	if (a->n_revoke)
		record_buf_field(&f, "revoke", a->revoke.buf);
	st = ctl_slice_attrs(&f, argv, n, 1);
	if (st) {
		record_buf_free(&f);
		return st;
	}
	return ctl_cli_send(cfg, "slice set", "PATCH", path, &f, NULL);
}

static int ctl_slice_nodes(const struct ctlhttp_cfg *cfg, struct ctl_slice_args *a,
			   const char *verb, const char *path)
{
	struct record_buf f;

	if (!a->n_hosts && !a->n_groups)
		return ctl_cli_usage("slice", "give --host HOST or --group GROUP");
	record_buf_init(&f, RECORD_MAX_LINE);
	if (a->n_hosts)
		record_buf_field(&f, "hosts", a->hosts.buf);
	if (a->n_groups)
		record_buf_field(&f, "groups", a->groups.buf);
	return ctl_cli_send(cfg, verb, "POST", path, &f, NULL);
}

/* Which options each verb takes (bits of OPT_*), and its positional count
 * (-1: NAME then any number of ATTR=VALUE). */
static const struct {
	const char *verb;
	unsigned opts;
	int npos;
} ctl_slice_verbs[] = {
	{ "create", 1u << OPT_SITE | 1u << OPT_IMAGE | 1u << OPT_ENTRY | 1u << OPT_TTL |
		    1u << OPT_DAYS, -1 },
	{ "list", 0, 0 },
	{ "show", 1u << OPT_NODE, 1 },
	{ "set", 1u << OPT_HOST | 1u << OPT_GROUP | 1u << OPT_IMAGE | 1u << OPT_ENTRY |
		 1u << OPT_GRANT | 1u << OPT_REVOKE, -1 },
	{ "add-nodes", 1u << OPT_HOST | 1u << OPT_GROUP, 1 },
	{ "remove-nodes", 1u << OPT_HOST | 1u << OPT_GROUP, 1 },
	{ "renew", 1u << OPT_TTL | 1u << OPT_DAYS, 1 },
	{ "delete", 0, 1 },
	{ "ticket", 1u << OPT_NODE | 1u << OPT_TTL, 1 },
};

static unsigned ctl_slice_given(const struct ctl_slice_args *a)
{
	return (a->site ? 1u << OPT_SITE : 0) | (a->image ? 1u << OPT_IMAGE : 0) |
	       (a->entry ? 1u << OPT_ENTRY : 0) | (a->ttl ? 1u << OPT_TTL : 0) |
	       (a->days ? 1u << OPT_DAYS : 0) | (a->node ? 1u << OPT_NODE : 0) |
	       (a->n_hosts ? 1u << OPT_HOST : 0) | (a->n_groups ? 1u << OPT_GROUP : 0) |
	       (a->n_grant ? 1u << OPT_GRANT : 0) | (a->n_revoke ? 1u << OPT_REVOKE : 0);
}

/* The ticket is the answer itself: printed as it is, or as {"ticket": ...}. */
static int ctl_slice_ticket(const struct ctlhttp_cfg *cfg, struct ctl_slice_args *a,
			    const char *name)
{
	struct ctlhttp_reply rep;
	struct record_buf f;
	char path[600];
	int st;

	if (!a->node)
		return ctl_cli_usage("slice", "ticket needs --node HOST");
	if (ctl_slice_path(path, sizeof(path), name, "/ticket"))
		return CLI_USAGE;
	record_buf_init(&f, RECORD_MAX_LINE);
	record_buf_field(&f, "node", a->node);
	if (a->ttl)
		record_buf_field(&f, "ttl", a->ttl);
	st = ctl_cli_call(cfg, "slice ticket", "POST", path, &f, &rep);
	record_buf_free(&f);
	if (st)
		return st;
	if (cfg->json) {
		fputs("{\"ticket\": ", stdout);
		record_json_str(stdout, rep.body.buf);
		fputs("}\n", stdout);
	} else {
		fwrite(rep.body.buf, 1, rep.body.len, stdout);
	}
	record_buf_free(&rep.body);
	return fflush(stdout) ? CLI_FAIL : CLI_OK;
}

static int ctl_slice_run(const struct ctlhttp_cfg *cfg, struct ctl_slice_args *a,
			 const char *verb, char **argv, int n)
{
	char path[600], q[300];
	struct record_buf f;
	int st;

	if (!strcmp(verb, "list"))
		return ctl_cli_send(cfg, "slice list", "GET", "/admin/v1/slices", NULL, ctl_slice_cols);
	if (!strcmp(verb, "create"))
		return ctl_slice_create(cfg, a, argv, n);
	if (!strcmp(verb, "ticket"))
		return ctl_slice_ticket(cfg, a, argv[0]);
	if (!strcmp(verb, "add-nodes") || !strcmp(verb, "remove-nodes")) {
		snprintf(q, sizeof(q), "/%s", verb);
		return ctl_slice_path(path, sizeof(path), argv[0], q) ?:
			ctl_slice_nodes(cfg, a, verb, path);
	}
	if (!strcmp(verb, "renew")) {
		if (ctl_slice_path(path, sizeof(path), argv[0], "/renew"))
			return CLI_USAGE;
		record_buf_init(&f, RECORD_MAX_LINE);
		st = ctl_slice_ttl(a, &f, 1);
		if (st) {
			record_buf_free(&f);
			return st;
		}
		return ctl_cli_send(cfg, "slice renew", "POST", path, &f, NULL);
	}
	q[0] = '\0';
	if (a->node && (strlen(a->node) > 128 || ctlhttp_seg(q + 6, sizeof(q) - 6, a->node)))
		return ctl_cli_usage("slice", "--node: host name too long");
	if (a->node)
		memcpy(q, "?node=", 6);
	if (ctl_slice_path(path, sizeof(path), argv[0], q))
		return CLI_USAGE;
	if (!strcmp(verb, "show"))
		return ctl_cli_send(cfg, "slice show", "GET", path, NULL, NULL);
	if (!strcmp(verb, "delete"))
		return ctl_cli_send(cfg, "slice delete", "DELETE", path, NULL, NULL);
	return ctl_slice_set(cfg, a, path, argv + 1, n - 1);
}

int ctl_slice_main(int argc, char **argv)
{
	struct ctl_slice_args a;
	struct ctlhttp_cfg cfg;
	size_t i;
	int st, pos;

	memset(&a, 0, sizeof(a));
	record_buf_init(&a.hosts, 65536);
	record_buf_init(&a.groups, 65536);
	record_buf_init(&a.grant, 4 * GRANT_LIST_MAX);
	record_buf_init(&a.revoke, 4 * GRANT_LIST_MAX);
	ctlhttp_cfg_init(&cfg);
	if (ctl_cli_parse(argc, argv, ctl_slice_opts, &cfg, ctl_slice_help,
			  ctl_slice_opt, &a, &st))
		goto out;
	st = CLI_USAGE;
	pos = argc - optind;
	if (pos < 1) {
		ctl_cli_usage("slice", "missing subcommand");
		goto out;
	}
	for (i = 0; i < sizeof(ctl_slice_verbs) / sizeof(ctl_slice_verbs[0]); i++)
		if (!strcmp(argv[optind], ctl_slice_verbs[i].verb))
			break;
	if (i == sizeof(ctl_slice_verbs) / sizeof(ctl_slice_verbs[0])) {
		ctl_cli_usage("slice", "unknown subcommand");
		goto out;
	}
	if (ctl_slice_verbs[i].npos < 0 ? pos < 2 : pos != 1 + ctl_slice_verbs[i].npos) {
		ctl_cli_usage("slice", "wrong number of arguments");
		goto out;
	}
	if (ctl_slice_given(&a) & ~ctl_slice_verbs[i].opts) {
		ctl_cli_usage("slice", "an option that does not apply to this subcommand");
		goto out;
	}
	if (ctlhttp_cfg_finish(&cfg))
		goto out;
	st = ctl_slice_run(&cfg, &a, argv[optind], argv + optind + 1, pos - 1);
out:
	record_buf_free(&a.hosts);
	record_buf_free(&a.groups);
	record_buf_free(&a.grant);
	record_buf_free(&a.revoke);
	return st;
}
