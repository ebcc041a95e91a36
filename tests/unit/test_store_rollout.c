/* test_store_rollout: release rollouts in the store (issue 16 point 2),
 * linked into test_store so that they run on SQLite and, under
 * t_store_pg, on a real PostgreSQL: the spec parser's table (good and
 * malformed spellings), refusals of a start that change nothing, the wave
 * plan (canaries across sites, pinned hosts never taken), the version a
 * host is served before and after its move, the tick moving a wave only
 * when the one before joined, waiting, pause/resume, a halt past
 * max_failures that leaves every host not yet moved on the old release,
 * abort sending the moved hosts back, and completion moving the channel. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/err.h"
#include "store/store.h"
#include "tests/test.h"

void test_store_rollouts(struct store *s, int64_t *now);

#define RO_EQ(got, want, name) do { int g_ = (got), w_ = (want); \
	ok(g_ == w_, "rollout: %s (got %d, want %d)", name, g_, w_); } while (0)

/* ------------------------------------------------------- the spec table */
static const struct {
	const char *canary, *step, *maxf, *wait;
	int rc;
	uint32_t canary_n, canary_pct, step_pct, maxf_n;
	int64_t wait_s;
} ro_specs[] = {
	{ NULL, NULL, NULL, NULL, 0, 1, 0, 25, 0, 0 },
	{ "5", "10%", "3", "90s", 0, 5, 0, 10, 3, 90 },
	{ "1%", "100%", "0", "2m", 0, 0, 1, 100, 0, 120 },
	{ "100%", "1%", "100000", "1h", 0, 0, 100, 1, 100000, 3600 },
	{ "100000", NULL, NULL, "30d", 0, 100000, 0, 25, 0, 30 * 86400 },
	{ NULL, NULL, NULL, "0", 0, 1, 0, 25, 0, 0 },
	{ NULL, NULL, NULL, "17", 0, 1, 0, 25, 0, 17 },
	{ "0", NULL, NULL, NULL, -EPX_E_RO_SPEC, 0, 0, 0, 0, 0 },
	{ "0%", NULL, NULL, NULL, -EPX_E_RO_SPEC, 0, 0, 0, 0, 0 },
	{ "101%", NULL, NULL, NULL, -EPX_E_RO_SPEC, 0, 0, 0, 0, 0 },
	{ "100001", NULL, NULL, NULL, -EPX_E_RO_SPEC, 0, 0, 0, 0, 0 },
	{ "", NULL, NULL, NULL, -EPX_E_RO_SPEC, 0, 0, 0, 0, 0 },
	{ "%", NULL, NULL, NULL, -EPX_E_RO_SPEC, 0, 0, 0, 0, 0 },
	{ "05", NULL, NULL, NULL, -EPX_E_RO_SPEC, 0, 0, 0, 0, 0 },
	{ "-1", NULL, NULL, NULL, -EPX_E_RO_SPEC, 0, 0, 0, 0, 0 },
	{ "+1", NULL, NULL, NULL, -EPX_E_RO_SPEC, 0, 0, 0, 0, 0 },
	{ " 1", NULL, NULL, NULL, -EPX_E_RO_SPEC, 0, 0, 0, 0, 0 },
	{ "1 ", NULL, NULL, NULL, -EPX_E_RO_SPEC, 0, 0, 0, 0, 0 },
	{ "5%%", NULL, NULL, NULL, -EPX_E_RO_SPEC, 0, 0, 0, 0, 0 },
	{ "0x10", NULL, NULL, NULL, -EPX_E_RO_SPEC, 0, 0, 0, 0, 0 },
	{ "1111111111111111111111111", NULL, NULL, NULL, -EPX_E_RO_SPEC, 0, 0, 0, 0, 0 },
	{ NULL, "10", NULL, NULL, -EPX_E_RO_SPEC, 0, 0, 0, 0, 0 },
	{ NULL, "0%", NULL, NULL, -EPX_E_RO_SPEC, 0, 0, 0, 0, 0 },
	{ NULL, "101%", NULL, NULL, -EPX_E_RO_SPEC, 0, 0, 0, 0, 0 },
	{ NULL, "%", NULL, NULL, -EPX_E_RO_SPEC, 0, 0, 0, 0, 0 },
	{ NULL, "", NULL, NULL, -EPX_E_RO_SPEC, 0, 0, 0, 0, 0 },
	{ NULL, NULL, "-1", NULL, -EPX_E_RO_SPEC, 0, 0, 0, 0, 0 },
	{ NULL, NULL, "100001", NULL, -EPX_E_RO_SPEC, 0, 0, 0, 0, 0 },
	{ NULL, NULL, "1%", NULL, -EPX_E_RO_SPEC, 0, 0, 0, 0, 0 },
	{ NULL, NULL, "", NULL, -EPX_E_RO_SPEC, 0, 0, 0, 0, 0 },
	{ NULL, NULL, NULL, "", -EPX_E_RO_SPEC, 0, 0, 0, 0, 0 },
	{ NULL, NULL, NULL, "s", -EPX_E_RO_SPEC, 0, 0, 0, 0, 0 },
	{ NULL, NULL, NULL, "1w", -EPX_E_RO_SPEC, 0, 0, 0, 0, 0 },
	{ NULL, NULL, NULL, "1ms", -EPX_E_RO_SPEC, 0, 0, 0, 0, 0 },
	{ NULL, NULL, NULL, "31d", -EPX_E_RO_SPEC, 0, 0, 0, 0, 0 },
	{ NULL, NULL, NULL, "2592001", -EPX_E_RO_SPEC, 0, 0, 0, 0, 0 },
	{ NULL, NULL, NULL, "1.5h", -EPX_E_RO_SPEC, 0, 0, 0, 0, 0 },
	{ NULL, NULL, NULL, "-5s", -EPX_E_RO_SPEC, 0, 0, 0, 0, 0 },
	{ NULL, NULL, NULL, "5 s", -EPX_E_RO_SPEC, 0, 0, 0, 0, 0 },
	{ NULL, NULL, NULL, "05m", -EPX_E_RO_SPEC, 0, 0, 0, 0, 0 },
	{ NULL, NULL, NULL, "99999999999999999999999d", -EPX_E_RO_SPEC, 0, 0, 0, 0, 0 },
};

static void ro_t_specs(void)
{
	struct store_rollout_spec sp;
	size_t i;
	int rc;

	for (i = 0; i < sizeof(ro_specs) / sizeof(ro_specs[0]); i++) {
		memset(&sp, 0xa5, sizeof(sp));
		rc = store_rollout_spec_parse(ro_specs[i].canary, ro_specs[i].step,
					      ro_specs[i].maxf, ro_specs[i].wait, &sp);
		if (ro_specs[i].rc) {
			ok(rc == ro_specs[i].rc && sp.step_pct == 0xa5a5a5a5u,
			   "rollout spec %zu (%s %s %s %s) refused, output untouched", i,
			   ro_specs[i].canary ? ro_specs[i].canary : "-",
			   ro_specs[i].step ? ro_specs[i].step : "-",
			   ro_specs[i].maxf ? ro_specs[i].maxf : "-",
			   ro_specs[i].wait ? ro_specs[i].wait : "-");
			continue;
		}
		ok(rc == 0 && sp.canary == ro_specs[i].canary_n &&
		   sp.canary_pct == ro_specs[i].canary_pct && sp.step_pct == ro_specs[i].step_pct &&
		   sp.max_failures == ro_specs[i].maxf_n && sp.wait == ro_specs[i].wait_s,
		   "rollout spec %zu parsed (rc %d)", i, rc);
	}
}

/* ------------------------------------------------------------ the fleet */

/* 12 hosts at 4 sites (ro01-ro03 at site ro-a, ro04-ro06 at ro-b ...), one
 * pinned host, one in a group pinned for the channel, one on another
 * channel. */
static void ro_host(struct store *s, const char *name, const char *site,
		    const char *channel, uint32_t pin, const char *group)
{
	struct store_host h;

	memset(&h, 0, sizeof(h));
	snprintf(h.name, sizeof(h.name), "%s", name);
	snprintf(h.site, sizeof(h.site), "%s", site);
	snprintf(h.hwclass, sizeof(h.hwclass), "rohw");
	snprintf(h.channel, sizeof(h.channel), "%s", channel);
	h.pinned_version = pin;
	if (group)
		snprintf(h.groups[h.n_groups++], sizeof(h.groups[0]), "%s", group);
	if (store_host_add(s, &h))
		ok(0, "rollout: host %s set up", name);
}

static void ro_release(struct store *s, uint32_t v, int64_t now)
{
	static const uint8_t mf[] = "epoxy-manifest 1\n";
	struct store_release r;
	unsigned i;

	memset(&r, 0, sizeof(r));
	r.version = v;
	snprintf(r.hwclass, sizeof(r.hwclass), "rohw");
	r.expires = now + 86400;
	for (i = 0; i < STORE_ROLES; i++) {
		r.art[i].length = 10;
		memset(r.art[i].sha256, 'b', STORE_HASH_HEX);
	}
	if (store_release_publish(s, &r, mf, sizeof(mf)))
		ok(0, "rollout: release %u set up", v);
}

static void ro_fleet(struct store *s, int64_t now)
{
	static const char *const sites[] = { "ro-a", "ro-b", "ro-c", "ro-d" };
	char name[16];
	int i;

	for (i = 0; i < 4; i++)
		if (store_site_add(s, sites[i], "rollout test"))
			ok(0, "rollout: site set up");
	for (i = 1; i <= 12; i++) {
		snprintf(name, sizeof(name), "ro%02d", i);
		ro_host(s, name, sites[(i - 1) / 3], "roch", 0, NULL);
	}
	ro_host(s, "ro-pinned", "ro-a", "roch", 1, NULL);
	ro_host(s, "ro-grp", "ro-a", "roch", 0, "rogrp");
	ro_host(s, "ro-other", "ro-a", "rooth", 0, NULL);
	ro_release(s, 1, now);
	ro_release(s, 2, now);
	ro_release(s, 3, now);
	if (store_group_pin(s, "rogrp", "roch", 1) || store_channel_set(s, "roch", 1) ||
	    store_channel_set(s, "rooth", 1))
		ok(0, "rollout: channels set up");
}

static uint32_t ro_served(struct store *s, const char *host)
{
	struct store_release r;

	return store_host_release(s, host, &r) == 0 ? r.version : 0;
}

/* A boot of host on the version it is served: session; then either a
 * heartbeat of a node certificate (joined) or state "failed". */
static void ro_boot(struct store *s, const char *host, int fail, int *serial)
{
	char sid[STORE_SESSION_HEX + 1], ser[STORE_SERIAL_HEX + 1];
	uint32_t v = ro_served(s, host);
	int first = 0, rc;

	rc = store_session_open(s, host, "00000000000000000000000000000000000000000000000000000000000000aa",
				v, "rohw", sid);
	if (rc == 0 && fail) {
		struct store_report rep;

		memset(&rep, 0, sizeof(rep));
		snprintf(rep.host, sizeof(rep.host), "%s", host);
		snprintf(rep.session, sizeof(rep.session), "%s", sid);
		snprintf(rep.stage, sizeof(rep.stage), "2");
		snprintf(rep.status, sizeof(rep.status), "fail");
		snprintf(rep.code, sizeof(rep.code), "EPOXY-E1322");
		rc = store_report_add(s, &rep);
		if (rc == 0)
			rc = store_host_set_state(s, host, "failed");
	}
	else if (rc == 0) {
		snprintf(ser, sizeof(ser), "%032x", 0x5000 + (*serial)++);
		rc = store_nodecert_add(s, ser, host, 0, store_now(s) + 3600);
		if (rc == 0)
			rc = store_nodecert_heartbeat(s, ser, host, &first);
	}
	if (rc)
		ok(0, "rollout: boot of %s: %s", host, epx_strerror(rc));
}

struct ro_plan {
	char hosts[32][STORE_NAME_MAX + 1];
	int64_t wave[32];
	/* "host state code" */
	char line[32][STORE_NAME_MAX + STORE_ROLLOUT_STATE_MAX + STORE_CODE_MAX + 3];
	size_t n;
};

static int ro_plan_cb(const struct store_rollout_host *h, void *arg)
{
	struct ro_plan *p = arg;

	if (p->n < 32) {
		snprintf(p->hosts[p->n], sizeof(p->hosts[0]), "%s", h->host);
		snprintf(p->line[p->n], sizeof(p->line[0]), "%s %s %s", h->host, h->state,
			 h->code[0] ? h->code : "-");
		p->wave[p->n++] = h->wave;
	}
	return 0;
}

static void ro_t_refusals(struct store *s)
{
	struct store_rollout_spec sp = { 1, 0, 25, 0, 0 }, bad = { 1, 5, 25, 0, 0 };
	struct store_rollout ro;

	RO_EQ(store_rollout_start(s, "admin:t", "roch", 1, &sp, NULL), -EPX_E_RO_CHANNEL,
	      "start on the channel's own version");
	RO_EQ(store_rollout_start(s, "admin:t", "ronone", 2, &sp, NULL), -EPX_E_RO_CHANNEL,
	      "start on a channel with no release");
	RO_EQ(store_rollout_start(s, "admin:t", "roch", 2, &bad, NULL), -EPX_E_RO_SPEC,
	      "canary count and percent both set");
	bad = sp;
	bad.wait = STORE_ROLLOUT_WAIT_MAX + 1;
	RO_EQ(store_rollout_start(s, "admin:t", "roch", 2, &bad, NULL), -EPX_E_RO_SPEC,
	      "wait over its cap");
	RO_EQ(store_rollout_start(s, "admin:t", "Roch", 2, &sp, NULL), -EPX_E_DB_INVALID,
	      "channel not a label");
	RO_EQ(store_rollout_start(s, "admin t", "roch", 2, &sp, NULL), -EPX_E_DB_INVALID,
	      "actor with a space");
	RO_EQ(store_rollout_start(s, "admin:t", "roch", 0, &sp, NULL), -EPX_E_DB_INVALID,
	      "version 0");
	RO_EQ(store_rollout_start(s, "admin:t", "roch", 2, NULL, NULL), -EPX_E_RO_SPEC,
	      "no spec");
	RO_EQ(store_rollout_get(s, "roch", &ro), -EPX_E_RO_NONE, "refusals left no rollout");
	RO_EQ(store_rollout_set(s, "admin:t", "roch", "pause", NULL), -EPX_E_RO_NONE,
	      "pause with no rollout");
	RO_EQ(store_rollout_set(s, "admin:t", "roch", "explode", NULL), -EPX_E_DB_INVALID,
	      "unknown verb");
	RO_EQ(store_channel_set(s, "roempty", 1), 0, "empty channel");
	RO_EQ(store_rollout_start(s, "admin:t", "roempty", 2, &sp, NULL), -EPX_E_RO_NOHOSTS,
	      "start on a channel without hosts");
	ok(ro_served(s, "ro01") == 1, "rollout: refusals moved nobody");
}

static int ro_tick(struct store *s)
{
	uint64_t n = 99;
	int rc = store_rollout_tick(s, &n);

	return rc ? rc : (int)n;
}

/* A good rollout: canaries 3 across 3 sites, steps of 50%: waves of 3, 6, 3. */
static void ro_t_good(struct store *s, int64_t *now, int *serial)
{
	static const char *const wave0[] = { "ro01", "ro04", "ro07" };
	static const char *const wave1[] = { "ro10", "ro02", "ro05", "ro08", "ro11", "ro03" };
	struct store_rollout_spec sp = { 3, 0, 50, 0, 0 };
	struct store_rollout ro;
	struct ro_plan p;
	size_t i;
	int ordered = 1;

	RO_EQ(store_rollout_start(s, "admin:t", "roch", 2, &sp, &ro), 0, "start 1 -> 2");
	ok(ro.hosts == 12 && ro.waves == 3 && ro.moved == 3 && ro.waiting == 9 &&
	   !strcmp(ro.state, "running") && ro.from_version == 1,
	   "rollout: 12 unpinned hosts in 3 waves, 3 canaries moved (%llu %lld %llu)",
	   (unsigned long long)ro.hosts, (long long)ro.waves, (unsigned long long)ro.moved);
	RO_EQ(store_rollout_start(s, "admin:t", "roch", 3, &sp, NULL), -EPX_E_RO_ACTIVE,
	      "second rollout on the channel");
	memset(&p, 0, sizeof(p));
	RO_EQ(store_rollout_hosts(s, ro.id, ro_plan_cb, &p), 0, "plan listed");
	for (i = 0; i < 3; i++)
		ordered &= !strcmp(p.hosts[i], wave0[i]) && p.wave[i] == 0;
	for (i = 0; i < 6; i++)
		ordered &= !strcmp(p.hosts[3 + i], wave1[i]) && p.wave[3 + i] == 1;
	ok(ordered && p.n == 12 && p.wave[11] == 2,
	   "rollout: canaries from 3 sites, then round-robin across sites");
	for (i = 0; i < p.n; i++)
		ordered &= strcmp(p.hosts[i], "ro-pinned") && strcmp(p.hosts[i], "ro-grp");
	ok(ordered, "rollout: pinned and group-pinned hosts are not in the plan");
	ok(ro_served(s, "ro01") == 2 && ro_served(s, "ro02") == 1 &&
	   ro_served(s, "ro-pinned") == 1 && ro_served(s, "ro-grp") == 1 &&
	   ro_served(s, "ro-other") == 1, "rollout: canaries served 2, the rest 1");
	RO_EQ(ro_tick(s), 0, "tick before any canary joined moves nothing");
	ro_boot(s, "ro01", 0, serial);
	ro_boot(s, "ro04", 0, serial);
	ro_boot(s, "ro02", 0, serial);   /* not moved: boots 1 */
	RO_EQ(ro_tick(s), 0, "two of three canaries joined: no wave");
	ok(ro_served(s, "ro10") == 1, "rollout: wave 1 still on 1");
	RO_EQ(store_rollout_set(s, "admin:t", "roch", "pause", &ro), 0, "pause");
	ro_boot(s, "ro07", 0, serial);
	RO_EQ(ro_tick(s), 0, "paused: no wave");
	RO_EQ(store_rollout_set(s, "admin:t", "roch", "pause", NULL), -EPX_E_RO_STATE,
	      "pause twice");
	RO_EQ(store_rollout_set(s, "admin:t", "roch", "resume", &ro), 0, "resume");
	RO_EQ(ro_tick(s), 1, "canaries joined: wave 1 moved");
	RO_EQ(ro_tick(s), 0, "a second tick moves nothing more");
	RO_EQ(store_rollout_get(s, "roch", &ro), 0, "status");
	ok(ro.wave == 1 && ro.moved == 6 && ro.joined == 3 && ro.wave_left == 6,
	   "rollout: wave 1 of 6 hosts moved, 3 joined");
	ok(ro_served(s, "ro10") == 2 && ro_served(s, "ro06") == 1,
	   "rollout: wave 1 served 2, wave 2 still 1");
	for (i = 0; i < 6; i++)
		ro_boot(s, wave1[i], 0, serial);
	RO_EQ(ro_tick(s), 1, "wave 1 joined: wave 2 moved");
	ro_boot(s, "ro06", 0, serial);
	ro_boot(s, "ro09", 0, serial);
	ro_boot(s, "ro12", 0, serial);
	(*now)++;
	RO_EQ(ro_tick(s), 1, "last wave joined: done");
	RO_EQ(store_rollout_get(s, "roch", &ro), 0, "status when done");
	ok(!strcmp(ro.state, "done") && ro.joined == 12 && ro.failed == 0,
	   "rollout: done, 12 joined");
	ok(ro_served(s, "ro-grp") == 1 && ro_served(s, "ro-pinned") == 1 &&
	   ro_served(s, "ro05") == 2 && ro_served(s, "ro-other") == 1,
	   "rollout: channel now 2; pins kept; the other channel untouched");
	RO_EQ(store_rollout_set(s, "admin:t", "roch", "abort", NULL), -EPX_E_RO_NONE,
	      "abort a finished rollout");
}

/* A bad release: 2 of 3 canaries fail with max_failures 1: halted; the
 * hosts not moved stay on 2; abort sends the canaries back. */
static void ro_t_bad(struct store *s, int64_t *now, int *serial)
{
	struct store_rollout_spec sp = { 3, 0, 50, 1, 0 };
	struct store_rollout ro;
	struct ro_plan p;
	char name[16];
	int i, untouched = 1;

	RO_EQ(store_rollout_start(s, "admin:t", "roch", 3, &sp, &ro), 0, "start 2 -> 3");
	ro_boot(s, "ro01", 1, serial);
	RO_EQ(ro_tick(s), 0, "one failure within max_failures 1: no halt");
	ro_boot(s, "ro04", 1, serial);
	RO_EQ(ro_tick(s), 1, "two failures: halted");
	RO_EQ(store_rollout_get(s, "roch", &ro), 0, "status when halted");
	ok(!strcmp(ro.state, "halted") && ro.failed == 2 && ro.wave == 0,
	   "rollout: halted at the canaries with 2 failed");
	ro_boot(s, "ro07", 0, serial);
	RO_EQ(ro_tick(s), 0, "halted: nothing moves");
	memset(&p, 0, sizeof(p));
	RO_EQ(store_rollout_hosts(s, ro.id, ro_plan_cb, &p), 0, "hosts of the halted rollout");
	ok(p.n == 12 && !strcmp(p.line[0], "ro01 failed EPOXY-E1322") &&
	   !strcmp(p.line[1], "ro04 failed EPOXY-E1322") && !strcmp(p.line[2], "ro07 moved -") &&
	   !strcmp(p.line[3], "ro10 waiting -"),
	   "rollout hosts: a failed host with its code, no code for the others (%s, %s, %s, %s)",
	   p.line[0], p.line[1], p.line[2], p.line[3]);
	for (i = 1; i <= 12; i++) {
		snprintf(name, sizeof(name), "ro%02d", i);
		if (strcmp(name, "ro01") && strcmp(name, "ro04") && strcmp(name, "ro07"))
			untouched &= ro_served(s, name) == 2;
	}
	ok(untouched, "rollout: every host not moved stays on 2");
	RO_EQ(store_rollout_set(s, "admin:t", "roch", "resume", NULL), -EPX_E_RO_HALTED,
	      "resume a halted rollout");
	RO_EQ(store_rollout_set(s, "admin:t", "roch", "abort", &ro), 0, "abort");
	ok(!strcmp(ro.state, "aborted") && ro_served(s, "ro01") == 2 && ro_served(s, "ro07") == 2,
	   "rollout: aborted, the canaries back on 2");
	(*now)++;
}

/* --wait: the next wave only wait seconds after the last one completed. */
static void ro_t_wait(struct store *s, int64_t *now, int *serial)
{
	struct store_rollout_spec sp = { 1, 0, 100, 0, 600 };
	struct store_rollout ro;
	struct ro_plan p;

	RO_EQ(store_rollout_start(s, "admin:t", "roch", 3, &sp, &ro), 0, "start with wait 600");
	memset(&p, 0, sizeof(p));
	RO_EQ(store_rollout_hosts(s, ro.id, ro_plan_cb, &p), 0, "plan");
	ro_boot(s, p.hosts[0], 0, serial);
	RO_EQ(ro_tick(s), 0, "canary joined, wait not over");
	*now += 599;
	RO_EQ(ro_tick(s), 0, "599 s later: still waiting");
	*now += 1;
	RO_EQ(ro_tick(s), 1, "600 s later: the next wave");
	RO_EQ(store_rollout_get(s, "roch", &ro), 0, "status");
	ok(ro.wave == 1 && ro.moved == 11, "rollout: 11 hosts moved in wave 1");
	RO_EQ(store_rollout_set(s, "admin:t", "roch", "abort", NULL), 0, "abort");
	ok(ro_served(s, p.hosts[5]) == 2, "rollout: after abort the channel's 2");
}

void test_store_rollouts(struct store *s, int64_t *now)
{
	int serial = 1;

	ro_t_specs();
	ro_fleet(s, *now);
	ro_t_refusals(s);
	ro_t_good(s, now, &serial);
	ro_t_bad(s, now, &serial);
	ro_t_wait(s, now, &serial);
}
