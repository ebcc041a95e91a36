/* ctl_session: `epoxyctl session list` and `epoxyctl why HOST`.
 *
 * Guarantees: read-only views; `why` explains a host's last boot from the
 * server's records (last stage reached, the stable EPOXY-Exxxx code with its
 * text from lib/errors.def, per-stage timings of the last session, the
 * console tail) and never shows a token or credential (the server holds
 * only their hashes). */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ctl/ctl.h"
#include "ctl/ctl_cli.h"
#include "lib/err.h"
#include "lib/num.h"

static const char ctl_session_help[] =
"usage: epoxyctl session list [--host HOST] [--limit N] [--json]\n"
"\n"
"Lists boot sessions, newest first (default 100, at most 10000).\n"
"\n"
"connection: --url URL --ca FILE --credential FILE [--resolve NAME:PORT:ADDR]\n"
"            [--config FILE] (or EPOXY_URL, EPOXY_CA, EPOXY_ADMIN_CREDENTIAL, ...)\n"
"exit status: 0 ok, 1 refused or failed, 2 usage, 3 unreachable or not authorised\n";

static const char ctl_why_help[] =
"usage: epoxyctl why HOST [--json]\n"
"\n"
"Explains HOST's last boot: the last stage reached and its status, the error code\n"
"(EPOXY-Exxxx) with its meaning, per-stage timings of the last boot session as\n"
"reported by the agent, and the console tail of the last report.\n"
"\n"
"connection: --url URL --ca FILE --credential FILE [--resolve NAME:PORT:ADDR]\n"
"            [--config FILE] (or EPOXY_URL, EPOXY_CA, EPOXY_ADMIN_CREDENTIAL, ...)\n"
"exit status: 0 ok, 1 refused or failed, 2 usage, 3 unreachable or not authorised\n";

enum { OPT_HOST = 1, OPT_LIMIT };

static const struct option ctl_session_opts[] = {
	{ "host", required_argument, NULL, OPT_HOST },
	{ "limit", required_argument, NULL, OPT_LIMIT },
	CTLHTTP_LONGOPTS,
	{ NULL, 0, NULL, 0 },
};

static const struct option ctl_why_opts[] = {
	CTLHTTP_LONGOPTS,
	{ NULL, 0, NULL, 0 },
};

struct ctl_session_args {
	const char *host, *limit;
};

static int ctl_session_opt(int opt, const char *arg, void *p)
{
	struct ctl_session_args *a = p;

	if (opt == OPT_HOST)
		a->host = arg;
	else if (opt == OPT_LIMIT)
		a->limit = arg;
	else
		return -EPX_E_CTL_USAGE;
	return 0;
}

int ctl_session_main(int argc, char **argv)
{
	static const char *const cols[] = { "id", "host", "version", "hwclass",
		"state", "opened", "closed", NULL };
	struct ctl_session_args a = { NULL, NULL };
	struct ctlhttp_reply rep;
	struct ctlhttp_cfg cfg;
	struct record_buf q;
	char path[1200];
	int st;

	ctlhttp_cfg_init(&cfg);
	if (ctl_cli_parse(argc, argv, ctl_session_opts, &cfg, ctl_session_help,
			  ctl_session_opt, &a, &st))
		return st;
	if (argc - optind != 1 || strcmp(argv[optind], "list"))
		return ctl_cli_usage("session", "want: session list");
	if (ctlhttp_cfg_finish(&cfg))
		return CLI_USAGE;
	record_buf_init(&q, 800);
	if (a.host)
		record_buf_field(&q, "host", a.host);
	if (a.limit)
		record_buf_field(&q, "limit", a.limit);
	if (q.err)
		return ctl_cli_usage("session", "argument too long");
	snprintf(path, sizeof(path), "/admin/v1/sessions%s%s", q.len ? "?" : "",
		 q.len ? q.buf : "");
	record_buf_free(&q);
	st = ctl_cli_call(&cfg, "session list", "GET", path, NULL, &rep);
	if (st)
		return st;
	st = ctl_cli_table(rep.body.buf, rep.body.len, cfg.json, cols);
	record_buf_free(&rep.body);
	return st;
}

/* ------------------------------------------------------------------ why */

#define CTL_WHY_REPORTS 16

struct ctl_why {
	struct form host, session;
	struct form rep[CTL_WHY_REPORTS];
	size_t nrep;
	int have_host, have_session;
};

static int ctl_session_why_rec(const struct form *r, void *arg)
{
	struct ctl_why *w = arg;
	const char *type = form_get(r, "type");

	if (!type)
		return -EPX_E_CTL_REPLY;
	if (!strcmp(type, "host")) {
		w->host = *r;
		w->have_host = 1;
	} else if (!strcmp(type, "session")) {
		w->session = *r;
		w->have_session = 1;
	} else if (!strcmp(type, "report") && w->nrep < CTL_WHY_REPORTS) {
		w->rep[w->nrep++] = *r;
	}
	return 0;
}

static const char *ctl_session_why_get(const struct form *r, const char *k)
{
	const char *v = form_get(r, k);

	return v && *v ? v : "-";
}

/* A time from the server's records (num's spelling), or 0. */
static int64_t ctl_session_why_num(const char *s)
{
	int64_t v;

	return s && num_parse_i64(s, strlen(s), INT64_MIN, INT64_MAX, &v) == 0 ? v : 0;
}

/* Text of "EPOXY-E1234", or NULL if it is not one of ours. */
static const char *ctl_session_why_code_text(const char *code)
{
	int n = 0, rc = epx_code_parse(code, &n);

	if ((rc && rc != -ENOENT) || n < 1000)
		return NULL;
	return epx_strerror(-n);
}

static void ctl_session_why_time(char *out, size_t cap, const char *secs)
{
	time_t t = (time_t)ctl_session_why_num(secs);
	struct tm tm;

	if (t <= 0 || !gmtime_r(&t, &tm) || !strftime(out, cap, "%Y-%m-%d %H:%M:%SZ", &tm))
		snprintf(out, cap, "never");
}

static void ctl_session_why_json(const struct ctl_why *w, const char *code, const char *text)
{
	size_t i;

	printf("{\"host\": ");
	record_json_rec(stdout, &w->host);
	printf(",\n \"session\": ");
	if (w->have_session)
		record_json_rec(stdout, &w->session);
	else
		printf("null");
	printf(",\n \"error\": {\"code\": ");
	record_json_str(stdout, code ? code : "");
	printf(", \"text\": ");
	record_json_str(stdout, text ? text : "");
	printf("},\n \"reports\": [");
	for (i = 0; i < w->nrep; i++) {
		printf(i ? ",\n  " : "\n  ");
		record_json_rec(stdout, &w->rep[i]);
	}
	printf("%s]}\n", w->nrep ? "\n " : "");
}

static void ctl_session_why_text(const struct ctl_why *w, const char *code, const char *text)
{
	const char *sid = w->have_session ? form_get(&w->session, "id") : NULL;
	long long t0 = w->have_session ? ctl_session_why_num(ctl_session_why_get(&w->session, "opened")) : 0;
	const char *tail = w->nrep ? form_get(&w->rep[0], "tail") : NULL;
	char ts[64];
	size_t i;

	ctl_session_why_time(ts, sizeof(ts), form_get(&w->host, "last_seen"));
	printf("host:        %s (hwclass %s, state %s, last seen %s)\n",
	       ctl_cli_safe(ctl_session_why_get(&w->host, "name")),
	       ctl_cli_safe(ctl_session_why_get(&w->host, "hwclass")),
	       ctl_cli_safe(ctl_session_why_get(&w->host, "state")), ts);
	printf("credential:  %s\n", ctl_cli_safe(ctl_session_why_get(&w->host, "credential")));
	if (w->have_session) {
		ctl_session_why_time(ts, sizeof(ts), form_get(&w->session, "opened"));
		printf("session:     %s (release %s, %s, opened %s)\n", sid ? ctl_cli_safe(sid) : "-",
		       ctl_cli_safe(ctl_session_why_get(&w->session, "version")),
		       ctl_cli_safe(ctl_session_why_get(&w->session, "state")), ts);
	} else {
		printf("session:     none (the host never opened a boot session)\n");
	}
	printf("last stage:  %s (%s)\n", ctl_cli_safe(ctl_session_why_get(&w->host, "last_stage")),
	       ctl_cli_safe(ctl_session_why_get(&w->host, "last_status")));
	if (code && *code)
		printf("error:       %s %s\n", ctl_cli_safe(code),
		       text ? text : "(code unknown to this epoxyctl)");
	else
		printf("error:       none reported\n");
	printf("timings:     (reports of the last session, seconds after it opened)\n");
	for (i = w->nrep; i-- > 0;) {
		const char *s = form_get(&w->rep[i], "session");

		if (!sid || !s || strcmp(s, sid))
			continue;
		printf("  %-12s %-5s +%llds %s\n", ctl_cli_safe(ctl_session_why_get(&w->rep[i], "stage")),
		       ctl_cli_safe(ctl_session_why_get(&w->rep[i], "status")),
		       (long long)ctl_session_why_num(ctl_session_why_get(&w->rep[i], "time")) - t0,
		       ctl_cli_safe(form_get(&w->rep[i], "code") ? form_get(&w->rep[i], "code") : ""));
	}
	printf("console tail:\n");
	if (!tail || !*tail) {
		printf("  (none)\n");
		return;
	}
	while (*tail) {
		size_t n = strcspn(tail, "\n");

		fputs("  | ", stdout);
		ctl_cli_fput_safe(stdout, tail, n);
		putchar('\n');
		tail += n;
		if (*tail)
			tail++;
	}
}

int ctl_why_main(int argc, char **argv)
{
	struct ctlhttp_reply rep;
	struct ctlhttp_cfg cfg;
	struct ctl_why *w = NULL;
	char seg[800], path[900];
	const char *code, *text;
	int st;

	ctlhttp_cfg_init(&cfg);
	if (ctl_cli_parse(argc, argv, ctl_why_opts, &cfg, ctl_why_help, NULL,
			  NULL, &st))
		return st;
	if (argc - optind != 1)
		return ctl_cli_usage("why", "want: why HOST");
	if (strlen(argv[optind]) > 256 || ctlhttp_seg(seg, sizeof(seg), argv[optind]))
		return ctl_cli_usage("why", "host name too long");
	snprintf(path, sizeof(path), "/admin/v1/hosts/%s/why", seg);
	if (ctlhttp_cfg_finish(&cfg))
		return CLI_USAGE;
	st = ctl_cli_call(&cfg, "why", "GET", path, NULL, &rep);
	if (st)
		return st;
	st = CLI_FAIL;
	w = calloc(1, sizeof(*w));
	if (!w)
		goto out;
	if (record_each(rep.body.buf, rep.body.len, ctl_session_why_rec, w) || !w->have_host) {
		fprintf(stderr, "epoxyctl: why: answer malformed (%s)\n",
			epx_code_str(EPX_E_CTL_REPLY));
		goto out;
	}
	code = form_get(&w->host, "last_code");
	text = ctl_session_why_code_text(code);
	if (cfg.json)
		ctl_session_why_json(w, code, text);
	else
		ctl_session_why_text(w, code, text);
	st = CLI_OK;
out:
	free(w);
	record_buf_free(&rep.body);
	return st;
}
