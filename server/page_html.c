/* page_html: the status page's views (see page_html.h). */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lib/err.h"
#include "server/page_html.h"
#include "store/store.h"

#define PAGE_HTML_STATES 4
#define PAGE_HTML_SVG_W 560

static const char *const page_html_states[PAGE_HTML_STATES] = {
	"enrolled", "booting", "joined", "failed",
};

const char page_html_css[] =
	"body{font:14px/1.4 sans-serif;margin:0;color:#222;background:#fafafa}\n"
	"header{background:#234;color:#fff;padding:.5em 1em;display:flex;gap:1em;align-items:center}\n"
	"header a{color:#fff;font-weight:bold}header form{margin-left:auto}\n"
	"main{padding:1em}table{border-collapse:collapse;margin:.5em 0 1.5em}\n"
	"th,td{border:1px solid #ccc;padding:.2em .6em;text-align:left;vertical-align:top}\n"
	"th{background:#eee}pre{background:#111;color:#ddd;padding:.6em;overflow:auto;max-height:30em}\n"
	".state-joined{background:#e6f4e6}.state-failed{background:#fbe3e3}\n"
	".state-booting{background:#fff6d8}.state-enrolled{background:#fff}\n"
	".state-running{background:#fff6d8}.state-halted{background:#fbe3e3}.state-done{background:#e6f4e6}\n"
	".counts td{font-size:1.4em;text-align:center}.muted{color:#777}\n"
	"form.filter{margin:.5em 0 1em}form.filter input{width:8em}\n"
	"svg.timeline{background:#fff;border:1px solid #ccc}\n"
	"svg .ok{fill:#6a6}svg .fail{fill:#c44}svg text{font:11px sans-serif;fill:#222}\n"
	".login{max-width:32em;margin:4em auto}.login input{width:100%;font-family:monospace}\n"
	".msg{color:#a00}.flag{background:#fbe3e3;color:#a00;padding:0 .3em;font-weight:bold}\n"
	"header .refresh a{font-weight:normal}header .refresh{font-size:.9em}\n"
	".state-waiting{background:#fff}.state-moved{background:#fff6d8}.state-gone{background:#eee}\n"
	".state-paused{background:#fff6d8}.state-aborted{background:#eee}\n"
	"pre.tail{margin:0;max-height:8em;white-space:pre-wrap}\n";

/* ------------------------------------------------------------- pieces */

static void page_html_time(struct record_buf *b, int64_t t)
{
	char s[32];
	struct tm tm;
	time_t tt = (time_t)t;

	if (t <= 0 || !gmtime_r(&tt, &tm) ||
	    !strftime(s, sizeof(s), "%Y-%m-%d %H:%M:%SZ", &tm)) {
		html_raw(b, "<span class=\"muted\">never</span>");
		return;
	}
	html_raw(b, "<time>");
	html_textz(b, s);
	html_raw(b, "</time>");
}

/* The page's head; an admin's page (actor set) also gets the header bar,
 * the external refresh script and a plain "refresh" link (href "": the
 * same URL), so it works the same without the script. */
static void page_html_head(struct record_buf *b, const char *title, const char *actor)
{
	html_raw(b, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
		 "<meta name=\"referrer\" content=\"no-referrer\"><title>epoxy: ");
	html_textz(b, title);
	html_raw(b, "</title><link rel=\"stylesheet\" href=\"/ui/style.css\">");
	if (actor)
		html_raw(b, "<script src=\"/ui/refresh.js\" defer></script>");
	html_raw(b, "</head>\n");
	if (!actor) {
		html_raw(b, "<body><main>");
		return;
	}
	html_rawf(b, "<body data-refresh=\"%d\">", PAGE_HTML_REFRESH);
	html_raw(b, "<header><span>epoxy</span><a href=\"/ui/\">Fleet</a>"
		 "<a href=\"/ui/releases\">Releases</a><span class=\"muted\">");
	html_textz(b, actor);
	html_raw(b, "</span><span class=\"refresh\"><a id=\"refresh\" href=\"\">refresh</a> "
		 "<span id=\"refreshed\"></span></span><form method=\"post\" "
		 "action=\"/ui/logout\"><button type=\"submit\">Log out</button></form>"
		 "</header>\n<main>");
}

/* The part of an admin's page that refresh.js replaces in place. */
static void page_html_live(struct record_buf *b)
{
	html_raw(b, "<div id=\"live\">");
}

/* live: page_html_live() opened the live part. */
static void page_html_foot(struct record_buf *b, int live)
{
	html_raw(b, live ? "</div></main></body></html>\n" : "</main></body></html>\n");
}

/* A code "EPOXY-E1234" with its meaning from the registry. */
static void page_html_code(struct record_buf *b, const char *code)
{
	int num = 0;

	if (!code[0]) {
		html_raw(b, "<span class=\"muted\">none</span>");
		return;
	}
	html_raw(b, "<code class=\"code\">");
	html_textz(b, code);
	html_raw(b, "</code> <span class=\"meaning\">");
	if (epx_code_parse(code, &num) == 0)
		html_textz(b, epx_strerror(-num));
	else
		html_raw(b, "(not a code of the registry)");
	html_raw(b, "</span>");
}

void page_html_login(struct record_buf *b, const char *msg, int code)
{
	char c[16];

	page_html_head(b, "log in", NULL);
	html_raw(b, "<div class=\"login\"><h1>epoxy status page</h1>");
	if (code) {
		/* every refusal carries its stable code, as the text answers do */
		html_raw(b, "<p class=\"muted\" id=\"code\">");
		html_textz(b, epx_code(-code, c, sizeof(c)));
		html_raw(b, " ");
		html_textz(b, epx_strerror(-code));
		html_raw(b, "</p>");
	}
	if (msg) {
		html_raw(b, "<p class=\"msg\" id=\"msg\">");
		html_textz(b, msg);
		html_raw(b, "</p>");
	}
	html_raw(b, "<form method=\"post\" action=\"/ui/login\" id=\"login\">"
		 "<p><label for=\"credential\">Admin credential (64 hex digits, as epoxyctl "
		 "uses)</label></p><p><input type=\"password\" id=\"credential\" "
		 "name=\"credential\" autocomplete=\"off\" maxlength=\"64\" required></p>"
		 "<p><button type=\"submit\" id=\"submit\">Log in</button></p></form></div>");
	page_html_foot(b, 0);
}

/* --------------------------------------------------------------- fleet */

struct page_fleet {
	struct record_buf rows;
	struct store *store;
	char site[STORE_LABEL_MAX + 2];        /* the site whose table is open */
	unsigned long count[PAGE_HTML_STATES + 1];
	int open;
};

static void page_html_site_head(struct page_fleet *pf, const char *site)
{
	struct store_site st;

	if (pf->open)
		html_raw(&pf->rows, "</tbody></table>\n");
	html_raw(&pf->rows, "<h2 class=\"site\">Site ");
	html_textz(&pf->rows, site[0] ? site : "(none)");
	if (site[0] && store_site_get(pf->store, site, &st) == 0 && st.description[0]) {
		html_raw(&pf->rows, " <small class=\"desc\">");
		html_textz(&pf->rows, st.description);
		html_raw(&pf->rows, "</small>");
	}
	html_raw(&pf->rows, "</h2>\n<table class=\"hosts\"><thead><tr><th>host</th><th>state</th>"
		 "<th>release</th><th>last stage</th><th>last error</th><th>last seen</th>"
		 "</tr></thead><tbody>\n");
	snprintf(pf->site, sizeof(pf->site), "%s", site);
	pf->open = 1;
}

static void page_html_count(struct page_fleet *pf, const char *state)
{
	size_t i;

	for (i = 0; i < PAGE_HTML_STATES; i++)
		if (!strcmp(state, page_html_states[i]))
			break;
	pf->count[i]++;
}

static int page_html_fleet_row(const struct fleet_row *r, void *arg)
{
	struct page_fleet *pf = arg;
	struct record_buf *b = &pf->rows;

	if (!pf->open || strcmp(pf->site, r->site))
		page_html_site_head(pf, r->site);
	page_html_count(pf, r->state);
	html_raw(b, "<tr class=\"host state-");
	html_textz(b, r->state);
	html_raw(b, "\" id=\"host-");
	html_textz(b, r->name);
	html_raw(b, "\"><td class=\"name\"><a href=\"/ui/host/");
	html_textz(b, r->name);
	html_raw(b, "\">");
	html_textz(b, r->name);
	html_raw(b, "</a>");
	if (r->inv_changed)
		html_raw(b, " <span class=\"flag inv-changed\">inventory changed</span>");
	html_raw(b, "</td><td class=\"state\">");
	html_textz(b, r->state);
	if (r->release)
		html_rawf(b, "</td><td class=\"release\">%" PRIu32, r->release);
	else
		html_raw(b, "</td><td class=\"release muted\">none");
	html_raw(b, "</td><td class=\"stage\">");
	html_textz(b, r->last_stage);
	html_raw(b, r->last_status[0] ? " (" : "");
	html_textz(b, r->last_status);
	html_raw(b, r->last_status[0] ? ")" : "");
	html_raw(b, "</td><td class=\"error\">");
	page_html_code(b, r->last_code);
	html_raw(b, "</td><td class=\"seen\">");
	page_html_time(b, r->last_seen);
	html_raw(b, "</td></tr>\n");
	return b->err;
}

static void page_html_input(struct record_buf *b, const char *name, const char *val)
{
	html_raw(b, " <label>");
	html_textz(b, name);
	html_raw(b, " <input name=\"");
	html_textz(b, name);
	html_raw(b, "\" value=\"");
	html_textz(b, val);
	html_raw(b, "\"></label>");
}

static void page_html_filter(struct record_buf *b, const struct fleet_filter *f)
{
	char rel[16] = "";

	if (f->release)
		snprintf(rel, sizeof(rel), "%" PRIu32, f->release);
	html_raw(b, "<form class=\"filter\" method=\"get\" action=\"/ui/\">Filter:");
	page_html_input(b, "site", f->site);
	page_html_input(b, "state", f->state);
	page_html_input(b, "release", rel);
	page_html_input(b, "group", f->group);
	html_raw(b, " <button type=\"submit\">Show</button> <a href=\"/ui/\">all</a></form>\n");
}

static void page_html_counts(struct record_buf *b, const struct page_fleet *pf, int more)
{
	size_t i;

	html_raw(b, "<table class=\"counts\"><tr>");
	for (i = 0; i < PAGE_HTML_STATES; i++)
		html_rawf(b, "<th>%s</th>", page_html_states[i]);
	html_raw(b, "<th>other</th></tr><tr>");
	for (i = 0; i <= PAGE_HTML_STATES; i++)
		html_rawf(b, "<td id=\"count-%s\">%lu</td>",
			  i < PAGE_HTML_STATES ? page_html_states[i] : "other", pf->count[i]);
	html_raw(b, "</tr></table>\n");
	if (more)
		html_raw(b, "<p class=\"msg\">More hosts than one page shows: narrow the filter.</p>");
}

int page_html_fleet(struct srv *srv, const struct fleet_filter *f, const char *actor,
		    struct record_buf *b)
{
	struct page_fleet *pf = calloc(1, sizeof(*pf));
	int more = 0, rc = -ENOMEM;

	if (!pf)
		return rc;
	html_buf_init(&pf->rows, b->max);
	pf->store = srv->store;
	rc = fleet_list(srv->store, f, page_html_fleet_row, pf, &more);
	if (rc)
		goto out;
	if (pf->open)
		html_raw(&pf->rows, "</tbody></table>\n");
	page_html_head(b, "fleet", actor);
	html_raw(b, "<h1>Fleet</h1>\n");
	page_html_filter(b, f);
	page_html_live(b);
	page_html_counts(b, pf, more);
	if (!pf->rows.len)
		html_raw(b, "<p class=\"muted\" id=\"nohosts\">No host matches.</p>");
	else
		html_raw(b, pf->rows.buf);
	page_html_foot(b, 1);
	rc = pf->rows.err ? pf->rows.err : b->err;
out:
	html_buf_free(&pf->rows);
	free(pf);
	return rc;
}

/* ---------------------------------------------------------------- host */

struct page_host {
	struct store_host h;
	struct store_session sess[PAGE_HTML_SESSIONS];
	size_t nsess;
	struct store_report rep[PAGE_HTML_REPORTS];
	size_t nrep;
};

static int page_html_sess_cb(const struct store_session *s, void *arg)
{
	struct page_host *ph = arg;

	if (ph->nsess >= PAGE_HTML_SESSIONS)
		return 1;
	ph->sess[ph->nsess++] = *s;
	return 0;
}

static int page_html_rep_cb(const struct store_report *r, void *arg)
{
	struct page_host *ph = arg;

	if (ph->nrep >= PAGE_HTML_REPORTS)
		return 1;
	ph->rep[ph->nrep++] = *r;
	return 0;
}

static void page_html_host_facts(struct srv *srv, struct record_buf *b, const struct page_host *ph)
{
	const struct store_host *h = &ph->h;
	struct store_nodecert nc;
	int have = store_nodecert_latest(srv->store, h->name, &nc) == 0;
	int good = have && store_nodecert_check(srv->store, nc.serial, h->name) == 0;
	size_t i;

	html_raw(b, "<table class=\"facts\"><tr><th>state</th><td class=\"state\">");
	html_textz(b, h->state);
	html_raw(b, "</td></tr><tr><th>site</th><td>");
	html_textz(b, h->site);
	html_raw(b, "</td></tr><tr><th>channel</th><td>");
	html_textz(b, h->channel);
	html_rawf(b, "</td></tr><tr><th>pinned release</th><td>%" PRIu32, h->pinned_version);
	html_raw(b, "</td></tr><tr><th>groups</th><td>");
	for (i = 0; i < h->n_groups; i++) {
		html_raw(b, i ? ", " : "");
		html_textz(b, h->groups[i]);
	}
	html_raw(b, "</td></tr><tr><th>boot credential</th><td>");
	html_raw(b, !h->has_credential ? "none" : h->credential_revoked ? "revoked" : "active");
	html_raw(b, "</td></tr><tr><th>last error</th><td class=\"error\">");
	page_html_code(b, h->last_code);
	html_raw(b, "</td></tr><tr><th>last seen</th><td>");
	page_html_time(b, h->last_seen);
	html_raw(b, "</td></tr><tr><th>node certificate</th><td id=\"cert\">");
	if (!have) {
		html_raw(b, "none");
	} else {
		html_raw(b, good ? "good" : nc.not_after < http_now(srv) ? "expired" : "revoked");
		html_raw(b, " <code>");
		html_textz(b, nc.serial);
		html_raw(b, "</code> until ");
		page_html_time(b, nc.not_after);
		html_raw(b, ", last heartbeat ");
		page_html_time(b, nc.last_heartbeat);
	}
	html_raw(b, "</td></tr></table>\n");
}

/* ------------------------------------------------------------ inventory */

static void page_html_absent(struct record_buf *b)
{
	html_raw(b, "<span class=\"muted\">not reported</span>");
}

static void page_html_opt_text(struct record_buf *b, const char *s)
{
	if (s[0])
		html_textz(b, s);
	else
		page_html_absent(b);
}

static void page_html_opt_u(struct record_buf *b, unsigned has, uint64_t v, const char *unit)
{
	if (has)
		html_rawf(b, "%" PRIu64 "%s", v, unit);
	else
		page_html_absent(b);
}

static void page_html_inv_node(struct record_buf *b, const struct fleet_inventory *fi)
{
	const struct inventory *v = &fi->cur;

	html_raw(b, "<table class=\"facts\" id=\"inventory\"><tr><th>reported</th><td>");
	page_html_time(b, fi->reported);
	html_raw(b, ", session <code>");
	html_textz(b, fi->session);
	html_raw(b, "</code></td></tr><tr><th>CPU</th><td class=\"cpu\">");
	page_html_opt_text(b, v->cpu_model);
	html_raw(b, "</td></tr><tr><th>CPUs</th><td class=\"cpus\">");
	page_html_opt_u(b, v->has & INVENTORY_HAS_CPUS, v->cpus, "");
	html_raw(b, "</td></tr><tr><th>memory</th><td class=\"mem\">");
	page_html_opt_u(b, v->has & INVENTORY_HAS_MEM, v->mem, " bytes");
	html_raw(b, "</td></tr><tr><th>firmware</th><td class=\"firmware\">");
	page_html_opt_text(b, v->fw_vendor);
	html_raw(b, " ");
	page_html_opt_text(b, v->fw_version);
	html_raw(b, "</td></tr><tr><th>Secure Boot</th><td class=\"secureboot\">");
	if (v->has & INVENTORY_HAS_SB)
		html_raw(b, v->secureboot ? "on" : "off");
	else
		page_html_absent(b);
	html_raw(b, "</td></tr></table>\n");
}

static void page_html_inv_parts(struct record_buf *b, const struct inventory *v)
{
	size_t i;

	html_raw(b, "<table id=\"disks\"><tr><th>disk</th><th>size</th><th>serial</th></tr>\n");
	for (i = 0; i < v->ndisks; i++) {
		html_raw(b, "<tr class=\"disk\"><td>");
		html_textz(b, v->disk[i].name);
		html_raw(b, "</td><td>");
		page_html_opt_u(b, v->disk[i].has & INVENTORY_HAS_SIZE, v->disk[i].size, " bytes");
		html_raw(b, "</td><td>");
		page_html_opt_text(b, v->disk[i].serial);
		html_raw(b, "</td></tr>\n");
	}
	html_raw(b, "</table>\n<table id=\"nics\"><tr><th>NIC</th><th>MAC</th><th>speed</th>"
		 "</tr>\n");
	for (i = 0; i < v->nnics; i++) {
		html_raw(b, "<tr class=\"nic\"><td>");
		html_textz(b, v->nic[i].name);
		html_raw(b, "</td><td><code>");
		html_textz(b, v->nic[i].mac);
		html_raw(b, "</code></td><td>");
		page_html_opt_u(b, v->nic[i].has & INVENTORY_HAS_SPEED, v->nic[i].speed, " Mbit/s");
		html_raw(b, "</td></tr>\n");
	}
	html_raw(b, "</table>\n");
}

/* The host's inventory (fleet_host_inventory, the one query), flagged
 * when a boot reported other hardware than the boot before. */
static int page_html_inventory(struct srv *srv, struct record_buf *b, const char *name)
{
	struct fleet_inventory *fi = malloc(sizeof(*fi));
	int rc = -ENOMEM;

	if (!fi)
		return rc;
	rc = fleet_host_inventory(srv->store, name, fi);
	html_raw(b, "<h2>Inventory</h2>\n");
	if (rc == 0 && !fi->have)
		html_raw(b, "<p class=\"muted\" id=\"inventory-none\">No inventory reported yet.</p>\n");
	if (rc == 0 && fi->have && fi->changed) {
		html_raw(b, "<p class=\"flag\" id=\"inventory-changed\">Inventory changed at ");
		page_html_time(b, fi->changed);
		html_raw(b, " since the boot before: ");
		html_textz(b, fi->changes[0] ? fi->changes : "order or format");
		html_raw(b, "</p>\n");
	}
	if (rc == 0 && fi->have) {
		page_html_inv_node(b, fi);
		page_html_inv_parts(b, &fi->cur);
	}
	free(fi);
	return rc;
}

/* The session's reports, oldest first, into idx; returns how many. */
static size_t page_html_sess_reps(const struct page_host *ph, const char *id,
				  size_t idx[PAGE_HTML_REPORTS])
{
	size_t i, n = 0;

	for (i = ph->nrep; i-- > 0;)
		if (!strcmp(ph->rep[i].session, id))
			idx[n++] = i;
	return n;
}

/* One session's stages as bars of an inline SVG (widths by time). */
static void page_html_timeline(struct record_buf *b, const struct page_host *ph,
			       const struct store_session *s)
{
	size_t idx[PAGE_HTML_REPORTS], n = page_html_sess_reps(ph, s->id, idx), i;
	int64_t t0 = s->opened, end = s->closed > s->opened ? s->closed : s->opened, prev;

	for (i = 0; i < n; i++)
		if (ph->rep[idx[i]].time > end)
			end = ph->rep[idx[i]].time;
	html_rawf(b, "<svg class=\"timeline\" xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" "
		  "height=\"%zu\" role=\"img\">", PAGE_HTML_SVG_W + 160, 20 * (n ? n : 1) + 4);
	for (prev = t0, i = 0; i < n; i++) {
		const struct store_report *r = &ph->rep[idx[i]];
		int64_t span = end > t0 ? end - t0 : 1;
		long x = (long)((prev - t0) * PAGE_HTML_SVG_W / span);
		long w = (long)((r->time - prev) * PAGE_HTML_SVG_W / span);

		html_rawf(b, "<rect class=\"%s\" x=\"%ld\" y=\"%zu\" width=\"%ld\" height=\"16\"/>",
			  strcmp(r->status, "ok") ? "fail" : "ok", x, 2 + 20 * i, w < 2 ? 2 : w);
		html_rawf(b, "<text x=\"%d\" y=\"%zu\">", PAGE_HTML_SVG_W + 6, 14 + 20 * i);
		html_textz(b, r->stage);
		html_rawf(b, " +%llds</text>", (long long)(r->time - t0));
		prev = r->time;
	}
	html_raw(b, "</svg>\n");
}

static void page_html_sessions(struct record_buf *b, const struct page_host *ph)
{
	size_t i;

	html_raw(b, "<h2>Boot sessions</h2>\n");
	if (!ph->nsess)
		html_raw(b, "<p class=\"muted\">No boot session yet.</p>\n");
	for (i = 0; i < ph->nsess; i++) {
		const struct store_session *s = &ph->sess[i];

		html_raw(b, "<h3 class=\"session\">Session <code>");
		html_textz(b, s->id);
		html_rawf(b, "</code>: release %" PRIu32 ", ", s->version);
		html_textz(b, s->state);
		html_raw(b, ", opened ");
		page_html_time(b, s->opened);
		html_raw(b, "</h3>\n");
		page_html_timeline(b, ph, s);
	}
}

static int page_html_aud_cb(const struct store_audit *e, void *arg)
{
	struct record_buf *b = arg;

	html_rawf(b, "<tr class=\"audit\"><td>%lld</td><td>", (long long)e->seq);
	page_html_time(b, e->time);
	html_raw(b, "</td><td>");
	html_textz(b, e->actor);
	html_raw(b, "</td><td class=\"action\">");
	html_textz(b, e->action);
	html_raw(b, "</td><td>");
	html_textz(b, e->detail);
	html_raw(b, "</td></tr>\n");
	return b->err;
}

/* The newest audit entries about the host (fleet_host_audit). */
static int page_html_audit(struct srv *srv, struct record_buf *b, const char *name)
{
	int rc;

	html_raw(b, "<h2>Audit</h2>\n<table class=\"audit\"><tr><th>seq</th><th>time</th>"
		 "<th>actor</th><th>action</th><th>detail</th></tr>\n");
	rc = fleet_host_audit(srv->store, name, page_html_aud_cb, b);
	html_raw(b, "</table>\n");
	return rc;
}

static int page_html_host_load(struct srv *srv, const char *name, struct page_host *ph)
{
	int rc;

	if (!store_valid_hostname(name))
		return -EPX_E_PAGE_NOTFOUND;
	rc = store_host_get(srv->store, name, &ph->h);
	if (rc == -EPX_E_DB_NOTFOUND)
		return -EPX_E_PAGE_NOTFOUND;
	if (rc == 0)
		rc = store_session_list(srv->store, name, PAGE_HTML_SESSIONS,
					page_html_sess_cb, ph);
	if (rc == 0)
		rc = store_report_list(srv->store, name, PAGE_HTML_REPORTS, page_html_rep_cb, ph);
	return rc < 0 ? rc : 0;
}

int page_html_host(struct srv *srv, const char *name, const char *actor, struct record_buf *b)
{
	struct page_host *ph = calloc(1, sizeof(*ph));
	int rc = -ENOMEM;

	if (!ph)
		return rc;
	rc = page_html_host_load(srv, name, ph);
	if (rc)
		goto out;
	page_html_head(b, ph->h.name, actor);
	html_raw(b, "<h1>Host <span id=\"hostname\">");
	html_textz(b, ph->h.name);
	html_raw(b, "</span></h1>\n");
	page_html_live(b);
	page_html_host_facts(srv, b, ph);
	rc = page_html_inventory(srv, b, ph->h.name);
	if (rc)
		goto out;
	page_html_sessions(b, ph);
	html_raw(b, "<h2>Console tail</h2>\n<pre id=\"tail\">");
	html_text(b, ph->h.last_tail, ph->h.last_tail_len, HTML_NL);
	html_raw(b, "</pre>\n");
	rc = page_html_audit(srv, b, ph->h.name);
	page_html_foot(b, 1);
	if (rc == 0)
		rc = b->err;
out:
	free(ph);
	return rc;
}

/* ------------------------------------------------------------ releases */

static int page_html_rel_cb(const struct store_release *r, void *arg)
{
	struct record_buf *b = arg;

	html_rawf(b, "<tr class=\"release\"><td>%" PRIu32 "</td><td>", r->version);
	html_textz(b, r->hwclass);
	html_raw(b, "</td><td>");
	page_html_time(b, r->published);
	html_raw(b, "</td><td>");
	page_html_time(b, r->expires);
	html_raw(b, "</td><td><code>");
	html_text(b, r->manifest_sha256, strnlen(r->manifest_sha256, 16), 0);
	html_raw(b, "</code></td></tr>\n");
	return b->err;
}

static int page_html_chan_cb(const char *name, uint32_t version, void *arg)
{
	struct record_buf *b = arg;

	html_raw(b, "<tr class=\"channel\"><td>");
	html_textz(b, name);
	if (version)
		html_rawf(b, "</td><td>%" PRIu32 "</td></tr>\n", version);
	else
		html_raw(b, "</td><td class=\"muted\">not set</td></tr>\n");
	return b->err;
}

/* One rollout: the same store_rollout_list() as GET /admin/v1/rollouts. */
static int page_html_rollout_cb(const struct store_rollout *ro, void *arg)
{
	struct record_buf *b = arg;

	html_raw(b, "<tr class=\"rollout\" id=\"rollout-");
	html_textz(b, ro->channel);
	html_raw(b, "\"><td><a href=\"/ui/rollout/");
	html_textz(b, ro->channel);
	html_raw(b, "\">");
	html_textz(b, ro->channel);
	html_rawf(b, "</a></td><td>%" PRIu32 " &rarr; %" PRIu32 "</td><td class=\"state-",
		  ro->from_version, ro->version);
	html_textz(b, ro->state);
	html_raw(b, "\">");
	html_textz(b, ro->state);
	html_rawf(b, "</td><td>%lld / %lld</td><td>%llu</td><td>%llu</td><td>%llu</td>"
		  "<td>%llu</td><td>%llu</td><td>", (long long)ro->wave + 1, (long long)ro->waves,
		  (unsigned long long)ro->hosts, (unsigned long long)ro->waiting,
		  (unsigned long long)ro->moved, (unsigned long long)ro->joined,
		  (unsigned long long)ro->failed);
	page_html_time(b, ro->updated);
	html_rawf(b, "</td><td><progress value=\"%llu\" max=\"%llu\"></progress></td></tr>\n",
		  (unsigned long long)(ro->joined + ro->failed + ro->gone),
		  (unsigned long long)(ro->hosts ? ro->hosts : 1));
	return b->err;
}

int page_html_releases(struct srv *srv, const char *actor, struct record_buf *b)
{
	int rc;

	page_html_head(b, "releases", actor);
	html_raw(b, "<h1>Releases</h1>\n");
	page_html_live(b);
	html_raw(b, "<table class=\"releases\"><tr><th>version</th>"
		 "<th>hardware class</th><th>published</th><th>expires</th><th>manifest</th></tr>\n");
	rc = store_release_list(srv->store, page_html_rel_cb, b);
	html_raw(b, "</table>\n<h2>Channels</h2>\n<table class=\"channels\"><tr><th>channel</th>"
		 "<th>release</th></tr>\n");
	if (rc == 0)
		rc = fleet_channels(srv->store, page_html_chan_cb, b);
	html_raw(b, "</table>\n<h2>Rollouts</h2>\n<table class=\"rollouts\"><tr><th>channel</th>"
		 "<th>release</th><th>state</th><th>wave</th><th>hosts</th><th>waiting</th>"
		 "<th>moved</th><th>joined</th><th>failed</th><th>updated</th><th>progress</th>"
		 "</tr>\n");
	if (rc == 0)
		rc = store_rollout_list(srv->store, page_html_rollout_cb, b);
	html_raw(b, "</table>\n");
	page_html_foot(b, 1);
	return rc < 0 ? rc : b->err;
}

/* ------------------------------------------------------------- rollout */

struct page_ro {
	struct store_rollout ro;
	struct record_buf waves;             /* a table per wave */
	int64_t wave;                        /* the wave whose table is open, -1: none */
	size_t shown;
	char fail[PAGE_HTML_FAILS][STORE_NAME_MAX + 1];
	char fail_code[PAGE_HTML_FAILS][STORE_CODE_MAX + 1];
	int64_t fail_wave[PAGE_HTML_FAILS];
	size_t nfail;
};

static const char *page_html_ro_note(const char *state)
{
	if (!strcmp(state, "running"))
		return "Waves move as their hosts join on the new release.";
	if (!strcmp(state, "paused"))
		return "Paused: no wave moves until `epoxyctl release rollout resume`.";
	if (!strcmp(state, "halted"))
		return "Halted: more hosts failed than max failures allows; hosts not moved "
		       "stay on the old release. Read the failures below, then `epoxyctl release "
		       "rollout abort` sends the moved hosts back.";
	if (!strcmp(state, "aborted"))
		return "Aborted: every moved host went back to the channel's release.";
	if (!strcmp(state, "done"))
		return "Done: the channel serves the new release.";
	return "";
}

static void page_html_ro_facts(struct record_buf *b, const struct store_rollout *ro)
{
	const struct store_rollout_spec *sp = &ro->spec;

	html_raw(b, "<table class=\"facts\" id=\"rollout\"><tr><th>state</th>"
		 "<td id=\"ro-state\" class=\"state-");
	html_textz(b, ro->state);
	html_raw(b, "\">");
	html_textz(b, ro->state);
	html_raw(b, "</td></tr><tr><th></th><td id=\"ro-note\">");
	html_textz(b, page_html_ro_note(ro->state));
	html_rawf(b, "</td></tr><tr><th>release</th><td id=\"ro-release\">%" PRIu32 " &rarr; %"
		  PRIu32 "</td></tr>", ro->from_version, ro->version);
	html_rawf(b, "<tr><th>wave</th><td id=\"ro-wave\">%lld of %lld (%llu hosts, %llu still "
		  "moving)</td></tr>", (long long)ro->wave + 1, (long long)ro->waves,
		  (unsigned long long)ro->wave_hosts, (unsigned long long)ro->wave_left);
	html_rawf(b, "<tr><th>hosts</th><td id=\"ro-counts\">%llu: %llu waiting, %llu moved, "
		  "%llu joined, %llu failed, %llu gone</td></tr>", (unsigned long long)ro->hosts,
		  (unsigned long long)ro->waiting, (unsigned long long)ro->moved,
		  (unsigned long long)ro->joined, (unsigned long long)ro->failed,
		  (unsigned long long)ro->gone);
	html_rawf(b, "<tr><th>plan</th><td id=\"ro-plan\">canary %" PRIu32 "%s, step %" PRIu32
		  "%%, max failures %" PRIu32 ", wait %llds</td></tr>",
		  sp->canary ? sp->canary : sp->canary_pct, sp->canary ? "" : "%", sp->step_pct,
		  sp->max_failures, (long long)sp->wait);
	html_raw(b, "<tr><th>started</th><td>");
	page_html_time(b, ro->created);
	html_raw(b, " by ");
	html_textz(b, ro->actor);
	html_raw(b, "</td></tr><tr><th>updated</th><td>");
	page_html_time(b, ro->updated);
	html_raw(b, "</td></tr></table>\n");
}

static void page_html_ro_wave_head(struct page_ro *pr, int64_t wave)
{
	struct record_buf *b = &pr->waves;

	if (pr->wave >= 0)
		html_raw(b, "</tbody></table>\n");
	html_rawf(b, "<h3 class=\"wave\" id=\"wave-%lld\">Wave %lld%s</h3>\n"
		  "<table class=\"wave\"><thead><tr><th>host</th><th>site</th><th>state</th>"
		  "<th>moved</th><th>done</th><th>error</th></tr></thead><tbody>\n",
		  (long long)wave + 1, (long long)wave + 1, wave ? "" : " (canaries)");
	pr->wave = wave;
}

/* One host of the rollout: store_rollout_hosts(), as GET
 * /admin/v1/rollouts/<channel>?hosts=1. */
static int page_html_ro_host_cb(const struct store_rollout_host *h, void *arg)
{
	struct page_ro *pr = arg;
	struct record_buf *b = &pr->waves;

	if (pr->shown >= PAGE_HTML_RO_HOSTS)
		return 1;
	pr->shown++;
	if (pr->wave != h->wave)
		page_html_ro_wave_head(pr, h->wave);
	if (!strcmp(h->state, "failed") && pr->nfail < PAGE_HTML_FAILS) {
		snprintf(pr->fail[pr->nfail], sizeof(pr->fail[0]), "%s", h->host);
		snprintf(pr->fail_code[pr->nfail], sizeof(pr->fail_code[0]), "%s", h->code);
		pr->fail_wave[pr->nfail++] = h->wave;
	}
	html_raw(b, "<tr class=\"rohost state-");
	html_textz(b, h->state);
	html_raw(b, "\" id=\"ro-");
	html_textz(b, h->host);
	html_raw(b, "\"><td class=\"name\"><a href=\"/ui/host/");
	html_textz(b, h->host);
	html_raw(b, "\">");
	html_textz(b, h->host);
	html_raw(b, "</a></td><td class=\"site\">");
	html_textz(b, h->site);
	html_raw(b, "</td><td class=\"state\">");
	html_textz(b, h->state);
	html_raw(b, "</td><td>");
	page_html_time(b, h->moved_at);
	html_raw(b, "</td><td>");
	page_html_time(b, h->done_at);
	html_raw(b, "</td><td class=\"error\">");
	page_html_code(b, h->code);
	html_raw(b, "</td></tr>\n");
	return b->err;
}

/* The failed hosts first: code, meaning and the end of the console tail. */
static void page_html_ro_failures(struct srv *srv, struct record_buf *b, const struct page_ro *pr)
{
	struct store_host *h = malloc(sizeof(*h));
	size_t i, off;

	html_raw(b, "<h2>Failures</h2>\n");
	if (!pr->nfail)
		html_raw(b, "<p class=\"muted\" id=\"nofailures\">No host failed.</p>\n");
	else
		html_raw(b, "<table class=\"failures\"><tr><th>host</th><th>wave</th>"
			 "<th>error</th><th>console tail (end)</th></tr>\n");
	for (i = 0; i < pr->nfail; i++) {
		html_raw(b, "<tr class=\"failure\"><td class=\"name\"><a href=\"/ui/host/");
		html_textz(b, pr->fail[i]);
		html_raw(b, "\">");
		html_textz(b, pr->fail[i]);
		html_rawf(b, "</a></td><td>%lld</td><td class=\"error\">",
			  (long long)pr->fail_wave[i] + 1);
		page_html_code(b, pr->fail_code[i]);
		html_raw(b, "</td><td><pre class=\"tail\">");
		if (h && store_host_get(srv->store, pr->fail[i], h) == 0) {
			off = h->last_tail_len > PAGE_HTML_TAIL_END ?
			      h->last_tail_len - PAGE_HTML_TAIL_END : 0;
			html_text(b, h->last_tail + off, h->last_tail_len - off, HTML_NL);
		}
		html_raw(b, "</pre></td></tr>\n");
	}
	if (pr->nfail)
		html_raw(b, "</table>\n");
	if (pr->ro.failed > pr->nfail)
		html_rawf(b, "<p class=\"msg\">%llu more failed hosts: see the waves below.</p>\n",
			  (unsigned long long)(pr->ro.failed - pr->nfail));
	free(h);
}

int page_html_rollout(struct srv *srv, const char *channel, const char *actor,
		      struct record_buf *b)
{
	struct page_ro *pr;
	int rc;

	if (!store_valid_label(channel))
		return -EPX_E_PAGE_NOTFOUND;
	pr = calloc(1, sizeof(*pr));
	if (!pr)
		return -ENOMEM;
	html_buf_init(&pr->waves, b->max);
	pr->wave = -1;
	rc = store_rollout_get(srv->store, channel, &pr->ro);
	if (rc == 0)
		rc = store_rollout_hosts(srv->store, pr->ro.id, page_html_ro_host_cb, pr);
	if (rc)
		goto out;
	if (pr->wave >= 0)
		html_raw(&pr->waves, "</tbody></table>\n");
	page_html_head(b, "rollout", actor);
	html_raw(b, "<h1>Rollout of channel <span id=\"channel\">");
	html_textz(b, pr->ro.channel);
	html_raw(b, "</span></h1>\n");
	page_html_live(b);
	page_html_ro_facts(b, &pr->ro);
	page_html_ro_failures(srv, b, pr);
	html_raw(b, "<h2>Waves</h2>\n");
	if (pr->shown >= PAGE_HTML_RO_HOSTS)
		html_rawf(b, "<p class=\"msg\">The first %d hosts only: `epoxyctl release rollout "
			  "status --hosts` lists them all.</p>\n", PAGE_HTML_RO_HOSTS);
	html_raw(b, pr->waves.len ? pr->waves.buf : "");
	page_html_foot(b, 1);
	rc = pr->waves.err ? pr->waves.err : b->err;
out:
	html_buf_free(&pr->waves);
	free(pr);
	return rc;
}

/* ------------------------------------------------------------- script */

const char page_html_js[] =
	"/* epoxy status page: every data-refresh seconds, fetch this page again\n"
	" * (same URL, same session) and swap its part with id \"live\" in place.\n"
	" * Without this script the page is complete; its refresh link reloads it. */\n"
	"(function () {\n"
	"  'use strict';\n"
	"  var every = parseInt(document.body.getAttribute('data-refresh'), 10);\n"
	"  var note = document.getElementById('refreshed');\n"
	"  var count = 0;\n"
	"  if (!(every > 0) || !document.getElementById('live') || !window.fetch ||\n"
	"      !window.DOMParser) { return; }\n"
	"  function say(text) { if (note) { note.textContent = text; } }\n"
	"  function swap(html) {\n"
	"    var doc = new DOMParser().parseFromString(html, 'text/html');\n"
	"    var fresh = doc.getElementById('live');\n"
	"    var old = document.getElementById('live');\n"
	"    if (!fresh || !old) { throw new Error('no live part (logged out?)'); }\n"
	"    old.replaceWith(document.importNode(fresh, true));\n"
	"    count += 1;\n"
	"    document.documentElement.setAttribute('data-refreshed', String(count));\n"
	"    say('updated ' + new Date().toISOString().slice(11, 19) + 'Z');\n"
	"  }\n"
	"  function tick() {\n"
	"    fetch(window.location.href, {credentials: 'same-origin', cache: 'no-store',\n"
	"                                 redirect: 'error'})\n"
	"      .then(function (r) {\n"
	"        if (!r.ok) { throw new Error('HTTP ' + r.status); }\n"
	"        return r.text();\n"
	"      })\n"
	"      .then(swap)\n"
	"      .catch(function (e) { say('not updated: ' + e.message + '; use refresh'); })\n"
	"      .then(function () { window.setTimeout(tick, every * 1000); });\n"
	"  }\n"
	"  window.setTimeout(tick, every * 1000);\n"
	"}());\n";
